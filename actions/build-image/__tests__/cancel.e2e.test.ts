// A cancelled build: the runner sends SIGTERM to the action's node process alone. build-image ends repo2docker and the
// docker build under it, removes its private docker config (a registry login) from RUNNER_TEMP, and fails the step.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { waitFor } from '@hub-image-actions/local-world/net';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;
beforeAll(async () => {
  fx = await Fixture.start();
});
afterAll(async () => {
  await fx?.stop();
});

/** Pids of the live docker CLIs that build `image` (`docker buildx build`, or `docker build` without buildx). */
async function dockerBuildsOf(image: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const docker = /(^|\/)docker$/.test(argv[0] ?? '');
    if (docker && argv.includes('build') && argv.some((arg) => arg.includes(image)))
      found.push(Number(entry));
  }
  return found;
}

const privateConfigs = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((name) => name.startsWith('hub-image-actions-docker-'));

describe('SIGTERM to build-image alone, mid-build', () => {
  it('ends repo2docker and its docker build, removes the private docker config and fails the step', async () => {
    const image = fx.image('cancel');
    // The build's one RUN step waits for a file no one writes: the build is under way until the step is cancelled.
    const { dir, sha } = await fx.repo(
      imageRepo({
        Dockerfile: `${imageRepo()['Dockerfile']}RUN until [ -e /hia-never ]; do sleep 1; done\n`,
      }),
    );
    const runnerTemp = await fx.tempDir('cancel-temp');
    let pid = 0;
    const running = fx.run({
      workspace: dir,
      sha,
      image,
      runnerTemp,
      double: true,
      watchChildren: true,
      inputs: { test: 'false' },
      onSpawn: (spawned) => (pid = spawned),
    });
    const build = await Promise.race([
      waitFor(
        'the docker build of the image',
        async () => {
          const found = await dockerBuildsOf(image);
          return found.length > 0 ? found : undefined;
        },
        { timeoutMs: 120_000 },
      ),
      running.then(({ run }) => {
        throw new Error(
          `build-image ended (exit code ${run.exitCode}) before its build was seen:\n${run.log}`,
        );
      }),
    ]);
    expect(await privateConfigs(runnerTemp)).toHaveLength(1);
    process.kill(pid, 'SIGTERM');
    const { run, builds } = await running;

    expect(builds).toHaveLength(1);
    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      'build-image: SIGTERM received, the step was cancelled: ending the programs it started.',
    );
    expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
      'build-image action was cancelled (SIGTERM)',
    ]);
    expect(await privateConfigs(runnerTemp)).toEqual([]);
    expect(run.leftovers).toEqual([]);
    expect(await dockerBuildsOf(image)).toEqual([]);
    expect(build.length).toBeGreaterThan(0);
    expect(run.outputs['built']).toBe('false');
  });
});
