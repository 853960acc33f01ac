import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupRun } from '@hub-image-actions/local-world/action-runner';
import { findLeaks, type Leak } from '@hub-image-actions/local-world/leak-checker';
import { removeDir } from '@hub-image-actions/local-world/tmp';
import { DEPLOY_TOKEN, hubFiles, World } from './world.js';

jest.setTimeout(120_000);

let world: World;
let image: { repo: string; shas: string[] };

beforeAll(async () => {
  world = await World.start();
  image = await world.imageRepo('base-user-image', 2);
});
afterAll(async () => {
  await world.stop();
});

/**
 * Runs a bump and, at the moment its push reaches the server (the clone is complete and committed), checks every
 * .git/config and file under RUNNER_TEMP for the secrets; afterwards checks logs, outputs, summary and argv.
 */
async function runAndSearch(
  repo: string,
  inputs: Record<string, string>,
  secrets: () => Record<string, string>,
): Promise<{ duringPush: Leak[]; after: Leak[]; pushed: boolean }> {
  const runnerTemp = await mkdtemp(join(tmpdir(), 'hia-bump-leaks-'));
  let duringPush: Leak[] = [];
  let pushed = false;
  world.git.beforeReceive(
    repo,
    async () => {
      pushed = true;
      duringPush = await findLeaks(secrets(), { paths: [runnerTemp], gitConfigsUnder: [runnerTemp] });
    },
    { times: 1, stage: 'pack' },
  );
  const run = await world.run({
    deployment: repo,
    source: image.repo,
    sha: image.shas[1] ?? '',
    inputs,
    recordArgvOf: ['git'],
    runnerTemp,
  });
  expect(run.log).not.toContain('::error::');
  expect(run.outputs['operation']).toBe('created');
  const after = await findLeaks(secrets(), {
    texts: {
      // The log as the runner keeps it: stdout and stderr without the ::add-mask:: commands it consumes.
      log: run.log,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      argv: JSON.stringify(run.argv),
      pullRequests: JSON.stringify(world.pullsOf(repo)),
      comments: JSON.stringify(world.github.comments),
    },
    paths: [runnerTemp, run.workspace],
    gitConfigsUnder: [runnerTemp, world.git.repoDir(repo)],
  });
  expect(run.argv.some((argv) => argv[1] === 'push')).toBe(true);
  await cleanupRun(run);
  await removeDir(runnerTemp);
  return { duringPush, after, pushed };
}

describe('secrets never appear', () => {
  it('keeps the token out of logs, outputs, argv, .git/config and files', async () => {
    const repo = await world.deployment('leak-token', hubFiles({ a: 'PLACEHOLDER' }));
    const credential = Buffer.from(`x-access-token:${DEPLOY_TOKEN}`).toString('base64');
    const result = await runAndSearch(repo, {}, () => ({
      token: DEPLOY_TOKEN,
      'basic credential': credential,
    }));
    expect(result.pushed).toBe(true);
    expect(result.duringPush).toEqual([]);
    expect(result.after).toEqual([]);
  });

  it('keeps the App private key and the minted installation token out of everything, and revokes the token', async () => {
    const repo = await world.deployment('leak-app', hubFiles({ a: 'PLACEHOLDER' }));
    const { privateKeyPem } = world.github.addApp({
      id: 5150,
      slug: 'hub-bumper',
      installations: { [repo]: 91 },
    });
    const minted = () => world.github.installationTokens.filter((t) => t.installationId === 91);
    const result = await runAndSearch(
      repo,
      { token: '', 'app-id': '5150', 'private-key': privateKeyPem },
      () => {
        const secrets: Record<string, string> = { 'private key': privateKeyPem };
        for (const line of privateKeyPem.split('\n').filter((l) => l.length > 40))
          secrets[`key line ${line.slice(0, 6)}`] = line;
        minted().forEach((t, i) => (secrets[`installation token ${i}`] = t.token));
        return secrets;
      },
    );
    expect(result.pushed).toBe(true);
    expect(result.duringPush).toEqual([]);
    expect(result.after).toEqual([]);
    expect(minted()).toHaveLength(1);
    expect(minted()[0]).toMatchObject({
      repos: [repo],
      permissions: { contents: 'write', pull_requests: 'write' },
      revoked: true,
    });
    expect(world.pullsOf(repo)[0]?.user).toBe('hub-bumper[bot]');
  });

  it('refuses an App that is not installed on the deployment repo', async () => {
    const repo = await world.deployment('not-installed', hubFiles({ a: 'PLACEHOLDER' }));
    const { privateKeyPem } = world.github.addApp({ id: 6160, installations: { 'hub-test/elsewhere': 3 } });
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      inputs: { token: '', 'app-id': '6160', 'private-key': privateKeyPem },
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain(`the GitHub App 6160 is not installed on ${repo}`);
    expect(await world.git.branches(repo)).toEqual(['staging']);
    await cleanupRun(run);
  });
});
