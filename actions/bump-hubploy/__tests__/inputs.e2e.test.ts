import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { freePort } from '@hub-image-actions/local-world/net';
import { hubFiles, IMAGE, short, World } from './world.js';

jest.setTimeout(120_000);

let world: World;
let image: { repo: string; shas: string[] };
const READ_ONLY = 'ghp_ReadOnlyToken0123456789abcdefABCDEF';

beforeAll(async () => {
  world = await World.start();
  image = await world.imageRepo('base-user-image', 2);
  world.token(READ_ONLY, { push: false, login: 'reader' });
});
afterAll(async () => {
  await world.stop();
});

/** A failed run with one clear error, nothing pushed and no pull request opened. */
async function expectRefused(run: ActionRun, repo: string, message: RegExp): Promise<void> {
  expect(run.exitCode).not.toBe(0);
  const errors = run.annotations.filter((a) => a.level === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]?.message).toMatch(/^bump-hubploy action failed: /);
  expect(errors[0]?.message).toMatch(message);
  expect(run.log).not.toMatch(/unexpected error, please report it/);
  if (await world.git.hasRepo(repo)) expect(await world.git.branches(repo)).toEqual(['staging']);
  expect(world.pullsOf(repo)).toHaveLength(0);
  expect(
    world.git.requests.filter((r) => r.service === 'git-receive-pack' && r.method === 'POST'),
  ).toHaveLength(0);
  await cleanupRun(run);
}

describe('bad inputs fail clearly and push nothing', () => {
  it('refuses a malformed image name before touching git', async () => {
    const repo = await world.deployment('bad-image', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      inputs: { image: 'us-central1-docker.pkg.dev/Cal-Icor/user-images/base:latest' },
      recordArgvOf: ['git'],
    });
    await expectRefused(
      run,
      repo,
      /input "image" is "us-central1-docker\.pkg\.dev\/Cal-Icor\/user-images\/base:latest": tag .* give the image name without a tag/,
    );
    expect(run.argv).toEqual([]);
  });

  it.each([
    ['two dots', 'v1..2'],
    ['a .lock ending', 'build.lock'],
    ['a trailing dot', 'release.'],
  ])('refuses a tag git rejects in a branch name (%s)', async (_what, tag) => {
    const repo = await world.deployment(`bad-tag-${tag.replace(/\W/g, '')}`, hubFiles({ a: 'PLACEHOLDER' }));
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      tag,
      recordArgvOf: ['git'],
    });
    await expectRefused(
      run,
      repo,
      new RegExp(
        `input "tag" is "${tag.replace(/\./g, '\\.')}": git rejects it in a branch name .*; pass the tag the image was pushed with, without those sequences`,
      ),
    );
    expect(run.argv.map((argv) => argv[1])).toEqual(['check-ref-format', 'check-ref-format']);
  });

  it('refuses a deployment repo that does not exist', async () => {
    const run = await world.run({
      deployment: 'hub-test/no-such-repo',
      source: image.repo,
      sha: image.shas[1] ?? '',
    });
    await expectRefused(
      run,
      'hub-test/no-such-repo',
      /input "deployment-repo" is "hub-test\/no-such-repo": no such repository, or the token cannot see it/,
    );
  });

  it('names "deployment-repo", the server and what to check when the git server cannot be reached', async () => {
    const repo = await world.deployment('unreachable', hubFiles({ a: 'PLACEHOLDER' }));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      env: { GITHUB_SERVER_URL: dead },
    });
    await expectRefused(
      run,
      repo,
      new RegExp(
        `cannot reach the git server at ${dead} to ls-remote ${repo} \\(input "deployment-repo"\\): .*\\. Check that this runner can reach ${dead} \\(GITHUB_SERVER_URL`,
      ),
    );
  });

  it('refuses a token without push rights', async () => {
    const repo = await world.deployment('read-only', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      inputs: { token: READ_ONLY },
    });
    await expectRefused(run, repo, /the token can read hub-test\/read-only but not push to it/);
  });

  it('refuses a push the git server forbids even when the API did not say', async () => {
    const repo = await world.deployment('git-forbids', hubFiles({ a: 'PLACEHOLDER' }));
    const token = 'ghs_ApiWriteGitRead0123456789abcdefABCD';
    world.github.addToken(token, { login: 'half' });
    world.git.addToken(token, { push: false, user: 'half' });
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      inputs: { token },
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain('the token may read hub-test/git-forbids but not push to it (403)');
    expect(await world.git.branches(repo)).toEqual(['staging']);
    await cleanupRun(run);
  });

  it('refuses an unparsable file that references the image, writing nothing', async () => {
    const files = {
      ...hubFiles({ a: 'PLACEHOLDER', b: 'PLACEHOLDER' }),
      'deployments/c/config/common.yaml': `jupyterhub:\n  singleuser:\n    image:\n      name: ${IMAGE}\n      tag: PLACEHOLDER\n      tag: again\n`,
    };
    const repo = await world.deployment('unparsable', files);
    const run = await world.run({ deployment: repo, source: image.repo, sha: image.shas[1] ?? '' });
    await expectRefused(run, repo, /cannot be edited safely, so nothing was changed/);
    expect(run.log).toContain('deployments/c/config/common.yaml: has a duplicate key at line 6, column 7');
  });

  it('refuses a missing base branch', async () => {
    const repo = await world.deployment('no-base', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      inputs: { 'base-branch': 'prod' },
    });
    await expectRefused(run, repo, /input "base-branch" is "prod": hub-test\/no-base has no such branch/);
  });

  it('refuses a commit-like tag that is not the source commit', async () => {
    const repo = await world.deployment('mismatch', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[1] ?? '',
      tag: short(image.shas[0]),
    });
    await expectRefused(
      run,
      repo,
      /input "tag" is "[0-9a-f]{12}": looks like a commit prefix but "source-sha"/,
    );
  });

  it('reports every input problem at once', async () => {
    const run = await world.run({
      deployment: 'not a repo',
      source: image.repo,
      sha: image.shas[1] ?? '',
      inputs: { token: '', hubs: 'ok, bad/hub', labels: 'maybe' },
    });
    expect(run.exitCode).not.toBe(0);
    const message = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(message).toContain('inputs are invalid');
    for (const input of ['deployment-repo', 'token', 'hubs', 'labels'])
      expect(message).toContain(`input "${input}"`);
    await cleanupRun(run);
  });
});
