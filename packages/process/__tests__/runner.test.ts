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
    const result = await systemRunner.run('sh', ['-c', 'echo started; exec sleep 30'], {
      signal: controller.signal,
      onLine: () => controller.abort(),
    });
    expect(result.signal).toBe('SIGTERM');
    expect(result.exitCode).not.toBe(0);
  });

  it('keeps a UTF-8 character whole when the child writes it in two parts', async () => {
    // "€" is E2 82 AC: the first byte goes out alone, the rest only once the test has seen the child's "ready".
    const script = `
      process.on('SIGUSR1', () => { process.stdout.write(Buffer.from([0x82, 0xac, 0x0a])); process.exit(0); });
      process.stdout.write(Buffer.from([0xe2]));
      process.stderr.write('ready ' + process.pid + '\\n');
      setInterval(() => undefined, 1000);
    `;
    const lines: string[] = [];
    const result = await systemRunner.run(process.execPath, ['-e', script], {
      onLine: (line, stream) => {
        if (stream === 'stderr') process.kill(Number(line.split(' ')[1]), 'SIGUSR1');
        else lines.push(line);
      },
    });
    expect(result.exitCode).toBe(0);
    expect(lines).toEqual(['€']);
    expect(result.stdout).toBe('€\n');
  });
});

describe('the environment of a child', () => {
  const printEnv = [process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))']] as const;
  const given = {
    PATH: process.env['PATH'] ?? '',
    'INPUT_CREDENTIALS-JSON': '{"private_key": "secret"}',
    'INPUT_ACCESS-TOKEN': 'ya29.secret',
    input_lower: 'x',
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://oidc.example/token',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-request-secret',
    ACTIONS_RUNTIME_TOKEN: 'runtime-secret',
    ACTIONS_RUNTIME_URL: 'https://runtime.example/',
    DOCKER_CONFIG: '/tmp/docker-config',
  };

  async function envOf(options: {
    env?: NodeJS.ProcessEnv;
    handOver?: string[];
  }): Promise<Record<string, string>> {
    const result = await systemRunner.run(...printEnv, options);
    return JSON.parse(result.stdout) as Record<string, string>;
  }

  it('never holds the inputs, the OIDC request variables or the runtime token', async () => {
    const env = await envOf({ env: given });
    expect(Object.keys(env).sort()).toEqual(['ACTIONS_RUNTIME_URL', 'DOCKER_CONFIG', 'PATH']);
  });

  it('holds those it is handed by name, and only those', async () => {
    const env = await envOf({ env: given, handOver: ['ACTIONS_RUNTIME_TOKEN', 'INPUT_ACCESS'] });
    expect(env['ACTIONS_RUNTIME_TOKEN']).toBe('runtime-secret');
    expect(Object.keys(env).filter((name) => name.startsWith('INPUT_'))).toEqual([]);
  });

  it("applies to the action's own environment when the caller passes none", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, given);
    try {
      const env = await envOf({});
      expect(
        Object.keys(env).filter((name) => /^(INPUT_|ACTIONS_ID_TOKEN|ACTIONS_RUNTIME_TOKEN)/i.test(name)),
      ).toEqual([]);
      expect(env['DOCKER_CONFIG']).toBe('/tmp/docker-config');
    } finally {
      process.env = saved;
    }
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
