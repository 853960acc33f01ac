import { describe, expect, it } from '@jest/globals';
import type { ProcessRunner } from '@hub-image-actions/process';
import { Docker } from '../src/docker.js';
import { runBrowserTests } from '../src/tests.js';

/** A clock that only moves when the code under test sleeps. */
function fakeClock() {
  let now = 0;
  return { now: () => now, sleep: async (ms: number) => void (now += ms), elapsed: () => now };
}

/** The docker CLI as the browser tests use it: the container starts, publishes its port, and keeps running. */
function docker(state: { running: boolean }) {
  const calls: string[] = [];
  const runner: ProcessRunner = {
    async run(_command, args) {
      calls.push(args.join(' '));
      const stdout =
        args[0] === 'port'
          ? '127.0.0.1:49153\n'
          : args[0] === 'inspect'
            ? `${state.running} 0`
            : args[0] === 'logs'
              ? 'server log'
              : '';
      return { exitCode: 0, signal: null, timedOut: false, stdout, stderr: '' };
    },
  };
  return { docker: new Docker(runner, {}), runner, calls };
}

const options = (
  d: ReturnType<typeof docker>,
  clock: ReturnType<typeof fakeClock>,
  answers: () => number,
) => ({
  docker: d.docker,
  runner: d.runner,
  image: 'img',
  containerName: 'build-image-jupyter-1',
  hostPort: 0,
  timeoutSeconds: 120,
  commands: [['python3', '-m', 'pytest', 'browser-tests/']],
  cwd: '/repo',
  env: {},
  print: () => undefined,
  clock,
  fetchImpl: (async () => {
    const status = answers();
    if (status === 0) throw new Error('ECONNREFUSED');
    return new Response('{}', { status });
  }) as typeof fetch,
});

describe('runBrowserTests: the bounded wait for /api/status', () => {
  it('gives up after browser-test-timeout seconds of its clock, names the input, and removes the container', async () => {
    const clock = fakeClock();
    const d = docker({ running: true });
    const result = await runBrowserTests(options(d, clock, () => 0));
    expect(result.passed).toBe(false);
    expect(result.detail).toBe(
      'the jupyter server did not answer http://127.0.0.1:49153/api/status within 120 s (browser-test-timeout)',
    );
    expect(clock.elapsed()).toBe(120_000);
    expect(result.serverLog).toBe('server log');
    expect(d.calls.at(-1)).toBe('rm --force --volumes build-image-jupyter-1');
  });

  it('stops waiting as soon as the server exits, with its exit code', async () => {
    const clock = fakeClock();
    const d = docker({ running: false });
    const result = await runBrowserTests(options(d, clock, () => 0));
    expect(result.detail).toMatch(/^the jupyter server exited \(code 0\) before answering/);
    expect(clock.elapsed()).toBeLessThan(120_000);
  });

  it('runs the tests once the server answers, with JUPYTER_URL set', async () => {
    const clock = fakeClock();
    const d = docker({ running: true });
    let polls = 0;
    const result = await runBrowserTests(options(d, clock, () => (++polls < 3 ? 0 : 200)));
    expect(polls).toBe(3);
    expect(result).toMatchObject({
      passed: true,
      detail: 'passed against jupyter lab at http://127.0.0.1:49153',
    });
  });
});
