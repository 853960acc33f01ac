// Module state (the live children, the cleanups, the cancelled flag) lives for this file only: jest gives each
// test file its own module registry.
import { describe, expect, it } from '@jest/globals';
import { asCleanup, cancelRun, onCancel, systemRunner, type RunResult } from '../src/index.js';

/** Starts a node child that prints "ready" once it is set up; resolves with its pending result then. */
function startNode(script: string): Promise<{ result: Promise<RunResult> }> {
  return new Promise((resolve) => {
    const result = systemRunner.run(process.execPath, ['-e', `${script}; console.log('ready')`], {
      onLine: (line) => {
        if (line === 'ready') resolve({ result });
      },
    });
  });
}

describe('cancelRun', () => {
  it('ends every live child, kills one that ignores the signal, runs the cleanups newest first, then starts nothing', async () => {
    const polite = await startNode('setInterval(() => undefined, 1000)');
    const stubborn = await startNode(
      "process.on('SIGTERM', () => undefined); setInterval(() => undefined, 1000)",
    );
    const done: string[] = [];
    onCancel(() => done.push('first'));
    const dropped = onCancel(() => done.push('unregistered'));
    onCancel(async () => {
      // A cleanup may still run programs, e.g. docker to undo a tag.
      const echo = await systemRunner.run('echo', ['from a cleanup']);
      done.push(echo.stdout.trim());
    });
    onCancel(() => {
      throw new Error('this cleanup failed');
    });
    dropped();

    const report = await cancelRun('SIGTERM', 300);

    expect(await polite.result).toMatchObject({ signal: 'SIGTERM' });
    expect(await stubborn.result).toMatchObject({ signal: 'SIGKILL' });
    expect(report).toEqual({ ended: 1, killed: 1, failures: ['this cleanup failed'] });
    expect(done).toEqual(['from a cleanup', 'first']);
    const late = await systemRunner.run('echo', ['too late']);
    expect(late).toMatchObject({ signal: 'SIGTERM', stdout: '' });
    expect(late.stderr).toBe('echo: not started, the step was cancelled (SIGTERM)\n');
    // Cleanup work started elsewhere (e.g. main's own finally) may still run programs.
    expect(await asCleanup(() => systemRunner.run('echo', ['cleaning']))).toMatchObject({
      stdout: 'cleaning\n',
    });
  });
});
