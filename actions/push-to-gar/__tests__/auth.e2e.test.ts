// Each auth mode end to end: google-auth-library really signs and exchanges against the fake Google endpoints,
// the registry really checks the token, and no secret is left anywhere afterwards.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAccessTokenSource, parseServiceAccountKey } from '@hub-image-actions/gar-auth';
import { imageExists } from '@hub-image-actions/local-world/docker-engine';
import type { ActionRun } from '@hub-image-actions/local-world/action-runner';
import {
  buildImage,
  cleanupRuns,
  keylessEnv,
  leaksOf as leaksOfRuns,
  push,
  pushHeld,
  removeBuiltImages,
  requests,
  startServices,
  stopServices,
  uniqueRepository,
  type Services,
} from './helpers.js';

jest.setTimeout(120_000);

let s: Services;
beforeAll(async () => {
  s = await startServices();
});
afterAll(async () => {
  await cleanupRuns();
  await removeBuiltImages();
  await stopServices(s ?? {});
});

async function leaksOf(runs: ActionRun[]): Promise<unknown[]> {
  return leaksOfRuns(s.google, runs);
}

async function expectPushedAndClean(run: ActionRun, repository: string, tags: string[]): Promise<void> {
  expect(run.exitCode).toBe(0);
  const digest = run.outputs['digest'];
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  for (const tag of tags) expect(await s.registry.manifestDigest(repository, tag)).toBe(digest);
  // docker logged in as oauth2accesstoken with the password on stdin, into a private config under RUNNER_TEMP.
  const login = run.argv.find((argv) => argv.includes('login'));
  expect(login).toEqual([
    'docker',
    '--config',
    expect.stringMatching(new RegExp(`^${run.runnerTemp}/hub-image-actions-docker-`)),
    'login',
    '--username',
    'oauth2accesstoken',
    '--password-stdin',
    s.proxy.host,
  ]);
  const post = await run.post();
  expect(post.exitCode).toBe(0);
  expect(await leaksOf([run, post])).toEqual([]);
  expect(existsSync(login?.[2] ?? '')).toBe(false);
}

describe('keyless (workload identity federation)', () => {
  it('exchanges the job OIDC token for a service-account token and pushes with it', async () => {
    const image = await buildImage('keyless');
    const repository = uniqueRepository('keyless');
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1',
        source: image.ref,
        'workload-identity-provider': s.google.workloadIdentityProvider,
        'service-account': s.google.serviceAccount,
      },
      env: keylessEnv(s.google),
    });
    expect(run.maskedLog).toContain(`Minted an access token (keyless as ${s.google.serviceAccount})`);
    const calls = s.google.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(calls).toEqual(
      expect.arrayContaining([
        'GET /oidc/token 200',
        'POST /v1/token 200',
        `POST /v1/projects/-/serviceAccounts/${s.google.serviceAccount}:generateAccessToken 200`,
      ]),
    );
    // The OIDC token was masked as soon as the action held it.
    for (const oidc of s.google.issued.filter((t) => t.kind === 'oidc'))
      expect(run.masks).toContain(oidc.value);
    await expectPushedAndClean(run, repository, ['v1']);
  });

  it('says the job needs id-token: write when it cannot request an OIDC token, before any call with a credential', async () => {
    const image = await buildImage('no-oidc');
    s.proxy.clearLog();
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${uniqueRepository('no-oidc')}`,
        tags: 'v1',
        source: image.ref,
        'workload-identity-provider': s.google.workloadIdentityProvider,
        'service-account': s.google.serviceAccount,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toMatch(
      /^push-to-gar action failed: keyless auth needs a GitHub OIDC token.*Give the job "permissions: id-token: write"/,
    );
    // Only the check that the registry answers at all.
    expect(requests(s.proxy)).toEqual(['GET /v2/ 401']);
    expect(run.argv.filter((argv) => argv[1] !== 'image')).toEqual([]);
  });
});

describe('service-account key (legacy)', () => {
  it('mints a short-lived token from the key; the key itself never reaches docker', async () => {
    const image = await buildImage('key');
    const repository = uniqueRepository('key');
    const key = s.google.serviceAccountKey();
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1\nlatest',
        source: image.ref,
        'credentials-json': key.json,
      },
    });
    expect(s.google.requests.some((r) => r.path === '/token' && r.status === 200)).toBe(true);
    expect(run.argv.flat().join(' ')).not.toMatch(/_json_key/);
    await expectPushedAndClean(run, repository, ['v1', 'latest']);
  });

  it('takes the key base64-encoded too, and masks the private key inside it', async () => {
    const image = await buildImage('key64');
    const repository = uniqueRepository('key64');
    const key = s.google.serviceAccountKey();
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1',
        source: image.ref,
        'credentials-json': Buffer.from(key.json).toString('base64'),
      },
    });
    expect(run.masks).toContain(key.privateKeyPem.split('\n')[1]);
    await expectPushedAndClean(run, repository, ['v1']);
  });
});

describe('access token from an earlier step', () => {
  it('pushes with the token as given and never mints one', async () => {
    const parsed = parseServiceAccountKey(s.google.serviceAccountKey().json);
    if (typeof parsed === 'string') throw new Error(parsed);
    const { token } = await createAccessTokenSource({ mode: 'credentials-json', key: parsed }).token(
      'initial',
    );
    const minted = s.google.issued.length;
    const image = await buildImage('token');
    const repository = uniqueRepository('token');
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1',
        source: image.ref,
        'access-token': token,
      },
    });
    expect(s.google.issued.length).toBe(minted);
    expect(run.maskedLog).toContain('Using the access token given in "access-token"');
    await expectPushedAndClean(run, repository, ['v1']);
  });
});

describe('the post step', () => {
  it('deletes the docker credentials and the local name after the step was killed mid-push', async () => {
    // The manifest PUT is held; the runner kills the step (SIGKILL, after SIGINT and SIGTERM) while it waits.
    const held = await pushHeld(s, 'killed', { method: 'PUT', path: /\/manifests\// });
    const { image, repository } = held;
    process.kill(held.pid, 'SIGKILL');
    const run = await held.run;
    s.proxy.clearRules();
    expect(run.exitCode).toBe(137);
    expect(run.log).toContain(`docker push ${s.proxy.host}/${repository}:v1 (attempt 1 of 5)`);
    const configDir = run.state['dockerConfig'] ?? '';
    expect(configDir.startsWith(join(run.runnerTemp, 'hub-image-actions-docker-'))).toBe(true);
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth?: string }>;
    };
    expect(config.auths[s.proxy.host]?.auth).toBeTruthy();
    const localName = `${s.proxy.host}/${repository}:v1`;
    expect(run.state['localTag']).toBe(localName);
    expect(await imageExists(localName)).toBe(true);
    // The check has teeth: before the post step, the access token is right there in the docker config.
    expect(await leaksOf([run])).toContainEqual(
      expect.objectContaining({ encoding: 'base64', where: join(configDir, 'config.json') }),
    );

    const post = await run.post();
    expect(post.exitCode).toBe(0);
    expect(post.log).toContain(`Removed the docker credentials in ${configDir}.`);
    expect(post.log).toContain(`Local image name: removed the local name ${localName}.`);
    expect(existsSync(configDir)).toBe(false);
    expect(await imageExists(localName)).toBe(false);
    expect(await imageExists(image.ref)).toBe(true);
    expect(await leaksOf([run, post])).toEqual([]);
  });

  it('refuses to delete a directory it did not create', async () => {
    const image = await buildImage('post-guard');
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${uniqueRepository('guard')}`,
        tags: 'v1',
        source: image.ref,
        'credentials-json': s.google.serviceAccountKey().json,
      },
    });
    expect(run.exitCode).toBe(0);
    const post = await run.post({ env: { STATE_dockerConfig: run.workspace } });
    expect(post.exitCode).toBe(0);
    expect(post.annotations).toEqual([
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(/^Not removing .*: it is not a docker config this action created/),
      }),
    ]);
    expect(existsSync(run.workspace)).toBe(true);
  });
});
