import { describe, expect, it } from '@jest/globals';
import { ProcessError, runChecked, systemRunner, tailLines } from '../src/index.js';

describe('systemRunner', () => {
  it('passes argv verbatim, with no shell to expand it', async () => {
    const result = await systemRunner.run('printf', ['%s|', '$HOME', '`id`', 'a b']);
    expect(result).toMatchObject({ exitCode: 0, stdout: '$HOME|`id`|a b|' });
  });

  it('feeds stdin and reports lines of both streams', async () => {
    const lines: string[] = [];
    const result = await systemRunner.run('sh', ['-c', 'read v; echo "got $v"; echo oops >&2'], {
      stdin: 'secret\n',
      onLine: (line, stream) => lines.push(`${stream}:${line}`),
    });
    expect(result.stdout).toBe('got secret\n');
    expect(lines).toEqual(expect.arrayContaining(['stdout:got secret', 'stderr:oops']));
  });

  it('keeps stdout as bytes too: output that is not UTF-8 arrives intact', async () => {
    const result = await systemRunner.run('printf', ['caf\\351\\000.yaml']);
    expect(result.stdoutBytes).toEqual(
      Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x00, 0x2e, 0x79, 0x61, 0x6d, 0x6c]),
    );
    expect(result.stdout).toBe('caf\ufffd\u0000.yaml');
  });

  it('resolves 127 for a missing program', async () => {
    const result = await systemRunner.run('/nonexistent/program', []);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toMatch(/ENOENT/);
  });

  it('kills a child that passes its timeout', async () => {
    const result = await systemRunner.run('sleep', ['5'], { timeoutMs: 100 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
  });
  it('kills a child when its abort signal fires, and reports the signal', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = systemRunner.run('sleep', ['30'], { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const result = await pending;
    expect(result.signal).toBe('SIGTERM');
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('runChecked', () => {
  it('throws a ProcessError carrying the stderr tail', async () => {
    const script = 'for i in $(seq 1 30); do echo "line $i" >&2; done; exit 3';
    const error = (await runChecked(systemRunner, 'sh', ['-c', script]).catch(
      (e: unknown) => e,
    )) as ProcessError;
    expect(error).toBeInstanceOf(ProcessError);
    expect(error.result.exitCode).toBe(3);
    expect(error.stderrTail).toHaveLength(20);
    expect(error.stderrTail[19]).toBe('line 30');
    expect(error.message).toMatch(/exited with code 3:\nline 11\n/);
  });
});

describe('tailLines', () => {
  it('returns nothing for blank output', () => {
    expect(tailLines('  \n')).toEqual([]);
  });
});
