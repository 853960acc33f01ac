import { describe, expect, it, jest } from '@jest/globals';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';
import { hubFiles, short, suiteWorld } from './world.js';

jest.setTimeout(180_000);

const suite = suiteWorld(2);
let nextApp = 7100;

/** What a cancelled or killed run may have left in RUNNER_TEMP: its clone folders. */
async function leftovers(runnerTemp: string): Promise<string[]> {
  return (await readdir(runnerTemp)).filter((name) => name.startsWith('hub-image-bump-'));
}

/** The pid of the bundled action running with this RUNNER_TEMP (read from /proc, as `ps e` would). */
async function actionPid(runnerTemp: string): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
      const exe = await readlink(`/proc/${entry}/exe`);
      if (exe === process.execPath && environ.split('\0').includes(`RUNNER_TEMP=${runnerTemp}`))
        return Number(entry);
    } catch {
      // gone, or not ours to read
    }
  }
  throw new Error(`no action process with RUNNER_TEMP=${runnerTemp}`);
}

type Moment = 'fetch' | 'push' | 'pull request' | 'labels';

/** Holds the run at `moment` and calls `stop` there; the request goes on only once the run has ended. */
function holdAt(repo: string, moment: Moment, stop: () => Promise<void>): void {
  const name = repo.split('/')[1] ?? '';
  switch (moment) {
    case 'fetch': {
      let looks = 0;
      suite.world.git.beforeUpload(
        repo,
        async () => {
          looks += 1;
          if (looks === 2) await stop();
        },
        { times: 2 },
      );
      return;
    }
    case 'push':
      suite.world.git.beforeReceive(repo, stop, { times: 1, stage: 'pack' });
      return;
    case 'pull request':
      suite.world.github.beforeRequest(
        { method: 'POST', path: new RegExp(`^/repos/hub-test/${name}/pulls$`), times: 1 },
        stop,
      );
      return;
    case 'labels':
      suite.world.github.beforeRequest(
        { method: 'POST', path: new RegExp(`^/repos/hub-test/${name}/issues/\\d+/labels$`), times: 1 },
        stop,
      );
  }
}

async function appRepo(
  name: string,
): Promise<{ repo: string; inputs: Record<string, string>; installation: number }> {
  const repo = await suite.world.deployment(
    name,
    hubFiles({ a: short(suite.image.shas[0]), b: 'PLACEHOLDER' }),
  );
  const installation = nextApp + 1000;
  const { privateKeyPem } = suite.world.github.addApp({
    id: nextApp,
    installations: { [repo]: installation },
  });
  const inputs = { token: '', 'app-id': String(nextApp), 'private-key': privateKeyPem };
  nextApp += 1;
  return { repo, inputs, installation };
}

const minted = (installation: number) =>
  suite.world.github.installationTokens.filter((token) => token.installationId === installation);

/** Starts a bump of `repo` to the second image commit; `held` lets a hold wait for the run's end. */
function startRun(
  repo: string,
  inputs: Record<string, string>,
  runnerTemp: string,
  held: { run?: Promise<ActionRun> },
  signal?: AbortSignal,
): Promise<ActionRun> {
  held.run = suite.world.run({
    deployment: repo,
    source: suite.image.repo,
    sha: suite.image.shas[1] ?? '',
    inputs,
    runnerTemp,
    ...(signal === undefined ? {} : { signal }),
  });
  return held.run;
}

/** The re-run completes: one open pull request, one bump commit on the base, every token revoked, nothing left. */
async function expectRerunCompletes(
  repo: string,
  inputs: Record<string, string>,
  installation: number,
  runnerTemp: string,
) {
  const again = await suite.world.run({
    deployment: repo,
    source: suite.image.repo,
    sha: suite.image.shas[1] ?? '',
    inputs,
    runnerTemp,
  });
  expect(again.log).not.toContain('::error::');
  expect(again.exitCode).toBe(0);
  expect(['created', 'updated', 'unchanged']).toContain(again.outputs['operation']);
  expect(suite.world.pullsOf(repo).filter((pull) => pull.state === 'open')).toHaveLength(1);
  const branch = (await suite.world.bumpBranch(repo)) ?? '';
  const log = await suite.world.git.log(repo, branch);
  expect(log.map((commit) => commit.subject)).toEqual([
    `Bump base-user-image to ${short(suite.image.shas[1])}`,
    'Deployment config',
  ]);
  expect(suite.world.pullsOf(repo)[0]?.labels.sort()).toEqual(['hub: a', 'hub: b']);
  expect(minted(installation).every((token) => token.revoked)).toBe(true);
  expect(await leftovers(runnerTemp)).toEqual([]);
  await cleanupRun(again);
}

describe('a cancelled run (SIGTERM, as the runner sends on cancel)', () => {
  it.each<[Moment]>([['fetch'], ['push'], ['pull request'], ['labels']])(
    'stops cleanly at the %s: git ends, the clone is removed, the token revoked, and a re-run completes',
    async (moment) => {
      const { repo, inputs, installation } = await appRepo(`cancel-${moment.replace(' ', '-')}`);
      const runnerTemp = await makeTempDir('bump-cancel');
      const controller = new AbortController();
      const held: { run?: Promise<ActionRun> } = {};
      holdAt(repo, moment, async () => {
        controller.abort();
        await held.run;
      });
      const run = await startRun(repo, inputs, runnerTemp, held, controller.signal);
      expect(run.cancelled).toBe(true);
      expect(run.exitCode).not.toBe(0);
      expect(run.log).not.toContain('unexpected error');
      expect(run.annotations.filter((a) => a.level === 'error').map((a) => a.message)).toEqual([
        'bump-hubploy action failed: the job was cancelled (SIGTERM); the clone was removed and the installation token revoked. Re-run the job: it starts again from the current branches',
      ]);
      expect(minted(installation)).toHaveLength(1);
      expect(minted(installation)[0]?.revoked).toBe(true);
      expect(await leftovers(runnerTemp)).toEqual([]);
      const post = await run.post();
      expect(post.exitCode).toBe(0);
      expect(post.log).not.toContain('::warning::');
      await expectRerunCompletes(repo, inputs, installation, runnerTemp);
      await cleanupRun(post);
      await cleanupRun(run);
      await removeDir(runnerTemp);
    },
  );
});

describe('a killed run (SIGKILL: no handler runs)', () => {
  it.each<[Moment]>([['push'], ['pull request']])(
    'leaves the post step to revoke the token and remove the clone at the %s, and a re-run completes',
    async (moment) => {
      const { repo, inputs, installation } = await appRepo(`killed-${moment.replace(' ', '-')}`);
      const runnerTemp = await makeTempDir('bump-killed');
      const held: { run?: Promise<ActionRun> } = {};
      holdAt(repo, moment, async () => {
        process.kill(await actionPid(runnerTemp), 'SIGKILL');
        await held.run;
      });
      const run = await startRun(repo, inputs, runnerTemp, held);
      expect(run.exitCode).toBe(128 + 9);
      expect(minted(installation)[0]?.revoked).toBe(false);
      expect(await leftovers(runnerTemp)).toHaveLength(1);
      expect(run.state['token-seal']).toBeDefined();

      const post = await run.post();
      expect(post.exitCode).toBe(0);
      expect(post.log).toContain('Revoked the installation token the main step minted.');
      expect(minted(installation)[0]?.revoked).toBe(true);
      expect(await leftovers(runnerTemp)).toEqual([]);
      // The revoked token no longer works, on the API or on git.
      const token = minted(installation)[0]?.token ?? '';
      const api = await fetch(`${suite.world.github.url}/repos/${repo}`, {
        headers: { authorization: `token ${token}` },
      });
      expect(api.status).toBe(401);
      await expectRerunCompletes(repo, inputs, installation, runnerTemp);
      await cleanupRun(post);
      await cleanupRun(run);
      await removeDir(runnerTemp);
    },
  );

  it('does nothing in the post step after a main step that closed everything itself', async () => {
    const { repo, inputs, installation } = await appRepo('post-after-success');
    const run = await suite.world.run({
      deployment: repo,
      source: suite.image.repo,
      sha: suite.image.shas[1] ?? '',
      inputs,
    });
    expect(run.exitCode).toBe(0);
    expect(run.state['closed']).toBe('true');
    const requests = suite.world.github.requests.length;
    const post = await run.post();
    expect(post.exitCode).toBe(0);
    expect(post.log.trim()).toBe('');
    expect(suite.world.github.requests.length).toBe(requests);
    expect(minted(installation).every((token) => token.revoked)).toBe(true);
    await cleanupRun(post);
    await cleanupRun(run);
  });
});
