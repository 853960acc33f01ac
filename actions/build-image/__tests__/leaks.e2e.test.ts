import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionRun } from '@hub-image-actions/local-world/action-runner';
import { FakeGoogle } from '@hub-image-actions/local-world/fake-google';
import { findLeaks } from '@hub-image-actions/local-world/leak-checker';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;
let google: FakeGoogle;

beforeAll(async () => {
  fx = await Fixture.start({ tokenUser: false });
  google = await FakeGoogle.start({ registry: fx.registry });
});

afterAll(async () => {
  await google?.stop();
  await fx?.stop();
});

/** A repo whose build logs in (to pull the cache), runs image tests, and runs a browser-test command that dumps its env. */
async function repoWithEverything() {
  return fx.repo(
    imageRepo({
      'image-tests/test_ok.py': 'def test_ok():\n    pass\n',
      'browser-tests/.keep': '',
    }),
  );
}

/** The browser-test command's environment: the action's own inputs and the OIDC request variables are not in it. */
async function expectCleanTestEnv(run: ActionRun): Promise<void> {
  const dump = await readFile(join(run.runnerTemp, 'browser-test-env.txt'), 'utf8');
  expect(dump).toMatch(/^JUPYTER_URL=http:\/\/127\.0\.0\.1:\d+$/m);
  expect(dump).not.toMatch(/^INPUT_/m);
  expect(dump).not.toMatch(/^ACTIONS_ID_TOKEN_REQUEST_/m);
}

/** Every place a secret could end up: logs, outputs, summary, state, env files, workspace, RUNNER_TEMP, git configs, argv, the image. */
async function leaksOf(secrets: Record<string, string>, run: ActionRun, post: ActionRun) {
  return findLeaks(secrets, {
    texts: {
      // The log as the runner keeps it: stdout and stderr, less the ::add-mask:: commands it consumes.
      log: run.log,
      outputs: JSON.stringify(run.outputs),
      summary: run.summary,
      state: JSON.stringify(run.state),
      env: JSON.stringify(run.exportedEnv),
      argv: JSON.stringify(run.argv),
      'post log': post.log,
    },
    paths: [run.workspace, run.runnerTemp],
    gitConfigsUnder: [run.workspace],
    images: run.outputs['local-image'] ? [run.outputs['local-image']] : [],
  });
}

const ENV_DUMP = ['sh', '-c', 'env > "$RUNNER_TEMP/browser-test-env.txt"'].join('\n');

describe('registry credentials appear nowhere', () => {
  it('an access token given for reads', async () => {
    const token = `ya29.given-${randomBytes(18).toString('base64url')}`;
    await fx.registry.setUser('oauth2accesstoken', token);
    const image = fx.image('leak-token');
    const { dir, sha: parent } = await repoWithEverything();
    const first = await fx.run({
      workspace: dir,
      sha: parent,
      image,
      anonymous: true,
      inputs: { 'access-token': token, test: 'false' },
    });
    await fx.push(first.run.outputs['local-image'] ?? '', image, [parent.slice(0, 12)]);
    const sha = await fx.commit(dir, { 'README.md': 'change\n' });
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image,
      anonymous: true,
      inputs: { 'access-token': token, 'browser-test-command': ENV_DUMP },
      recordArgvOf: ['docker', 'git'],
    });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('Logged in to');
    expect(run.argv.some((argv) => argv[0] === 'docker' && argv[1] === '--config')).toBe(true);
    await expectCleanTestEnv(run);
    const post = await run.post();
    expect(await leaksOf({ 'access token': token }, run, post)).toEqual([]);
  });

  it('a service-account key and every token minted from it', async () => {
    const key = google.serviceAccountKey();
    const image = fx.image('leak-key');
    const { dir, sha } = await repoWithEverything();
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image,
      anonymous: true,
      inputs: { 'credentials-json': key.json, 'browser-test-command': ENV_DUMP },
      recordArgvOf: ['docker', 'git'],
    });
    expect(run.exitCode).toBe(0);
    const minted = google.issued.filter((token) => token.kind === 'access');
    expect(minted.length).toBeGreaterThan(0);
    await expectCleanTestEnv(run);
    const post = await run.post();
    const secrets: Record<string, string> = { 'private key': key.privateKeyPem, 'key file': key.json };
    minted.forEach((token, i) => (secrets[`access token ${i}`] = token.value));
    expect(await leaksOf(secrets, run, post)).toEqual([]);
  });

  it('keyless auth: the OIDC request token, the OIDC token and the access tokens', async () => {
    const image = fx.image('leak-wif');
    const { dir, sha } = await repoWithEverything();
    const before = google.issued.length;
    const oidc = google.oidcEnv();
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image,
      anonymous: true,
      inputs: {
        'workload-identity-provider': google.workloadIdentityProvider,
        'service-account': google.serviceAccount,
        'browser-test-command': ENV_DUMP,
      },
      env: {
        ...oidc,
        HUB_IMAGE_ACTIONS_STS_URL: google.stsUrl,
        HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL: google.iamCredentialsUrl,
      },
    });
    expect(run.exitCode).toBe(0);
    const issued = google.issued.slice(before);
    expect(issued.map((t) => t.kind)).toEqual(expect.arrayContaining(['oidc', 'federated', 'access']));
    await expectCleanTestEnv(run);
    const post = await run.post();
    const secrets: Record<string, string> = { 'OIDC request token': oidc.ACTIONS_ID_TOKEN_REQUEST_TOKEN };
    issued.forEach((token, i) => (secrets[`${token.kind} token ${i}`] = token.value));
    expect(await leaksOf(secrets, run, post)).toEqual([]);
  });
});
