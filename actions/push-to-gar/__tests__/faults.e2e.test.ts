// Registry faults during a real docker push through the fault proxy: each recoverable one ends with the right
// digest in the registry and nothing else changed; the others fail fast, or at the stated bound. Events are ordered
// by the requests the proxy sees (a held request waits for the test), never by the clock.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ActionRun } from '@hub-image-actions/local-world/action-runner';
import {
  buildImage,
  cleanupRuns,
  dockerConfigsLeft,
  leaksOf,
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
afterEach(() => {
  s.proxy.clearRules();
  s.google.clearFailures();
  s.google.tokenLifetimeSeconds = 3600;
});
afterAll(async () => {
  await cleanupRuns();
  await removeBuiltImages();
  await stopServices(s ?? {});
});

const MANIFEST_PUT = { method: 'PUT', path: /\/manifests\// };
const GAR_DENIED_BODY = JSON.stringify({
  errors: [
    {
      code: 'DENIED',
      message:
        'Permission "artifactregistry.repositories.uploadArtifacts" denied on resource "projects/hub-images/locations/us-central1/repositories/user-images" (or it may not exist)',
    },
  ],
});

interface Pushed {
  run: ActionRun;
  repository: string;
  image: { ref: string; id: string };
}

async function pushNew(
  label: string,
  inputs: Record<string, string> = {},
  options: { watchChildren?: boolean } = {},
): Promise<Pushed> {
  const image = await buildImage(label);
  const repository = uniqueRepository(label);
  s.proxy.clearLog();
  const run = await push({
    inputs: {
      image: `${s.proxy.host}/${repository}`,
      tags: 'v1',
      source: image.ref,
      'credentials-json': s.google.serviceAccountKey().json,
      ...inputs,
    },
    ...options,
  });
  return { run, repository, image };
}

function dockerPushes(run: ActionRun): number {
  return run.argv.filter((argv) => argv.includes('push')).length;
}

function dockerLogins(run: ActionRun): number {
  return run.argv.filter((argv) => argv.includes('login')).length;
}

/** docker login's first request: the ping of the API root (a push pings it as well). */
const LOGIN_PING = { method: 'GET', path: /^\/v2\/$/ };

/** A failed run reports a configuration error (no stack trace), leaves no docker credentials and leaks nothing. */
async function expectCleanFailure(run: ActionRun): Promise<void> {
  expect(run.exitCode).toBe(1);
  expect(run.log).not.toContain('unexpected error, please report it');
  expect(run.log).not.toMatch(/^\s+at .*\.js:[0-9]+/m);
  expect(await dockerConfigsLeft(run)).toEqual([]);
  expect(await leaksOf(s.google, [run])).toEqual([]);
}

async function expectRecovered({ run, repository }: Pushed, attempts: number): Promise<void> {
  expect(run.exitCode).toBe(0);
  expect(run.outputs['attempts']).toBe(String(attempts));
  expect(await s.registry.manifestDigest(repository, 'v1')).toBe(run.outputs['digest']);
  expect(await s.registry.tags(repository)).toEqual(['v1']);
}

describe('faults the push recovers from', () => {
  it('a 503 on a layer upload: dockerd retries the layer itself, one attempt of ours', async () => {
    s.proxy.addRule({ method: 'PATCH', path: /\/blobs\/uploads\//, action: { status: 503 }, times: 1 });
    const pushed = await pushNew('layer503');
    await expectRecovered(pushed, 1);
    expect(requests(s.proxy)).toContainEqual(expect.stringMatching(/^PATCH .* 503 \[status 503\]$/));
    // dockerd's once-a-second countdown is shown once.
    expect(pushed.run.log.match(/Retrying in \d+ seconds?/g)).toEqual(['Retrying in 5 seconds']);
  });

  it('a 503 on the config upload, which dockerd does not retry', async () => {
    const image = await buildImage('config503');
    const repository = uniqueRepository('config503');
    const rule = s.proxy.addRule({
      method: 'PUT',
      path: /\/blobs\/uploads\//,
      query: new RegExp(`digest=sha256%3A${image.id.slice('sha256:'.length)}`),
      action: { status: 503 },
      times: 1,
    });
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1',
        source: image.ref,
        'credentials-json': s.google.serviceAccountKey().json,
      },
    });
    expect(rule.hits).toBe(1);
    expect(run.log).toMatch(
      /push of v1: attempt 1 of 5 failed \(server error 503\): docker push: received unexpected HTTP status: 503 Service Unavailable\. Retrying in [0-9.]+ s/,
    );
    await expectRecovered({ run, repository, image }, 2);
    expect(dockerPushes(run)).toBe(2);
  });

  it('a 503 on the manifest PUT', async () => {
    s.proxy.addRule({ ...MANIFEST_PUT, action: { status: 503 }, times: 1 });
    const pushed = await pushNew('manifest503');
    await expectRecovered(pushed, 2);
    expect(pushed.run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: 'The push needed 2 attempts for 1 write; the retries are in the log.',
      }),
    );
  });

  it('a 429 with Retry-After on the manifest: dockerd hides Retry-After, so the wait is at least 5 s', async () => {
    s.proxy.addRule({
      ...MANIFEST_PUT,
      action: {
        status: 429,
        headers: { 'Retry-After': '2', 'Content-Type': 'application/json' },
        body: JSON.stringify({
          errors: [{ code: 'TOOMANYREQUESTS', message: 'Quota exceeded for quota metric' }],
        }),
      },
      times: 1,
    });
    const pushed = await pushNew('manifest429');
    await expectRecovered(pushed, 2);
    const wait =
      /too many requests \(429\)\): docker push: toomanyrequests: Quota exceeded for quota metric\. Retrying in ([0-9.]+) s/.exec(
        pushed.run.log,
      );
    expect(Number(wait?.[1])).toBeGreaterThanOrEqual(5);
    expect(Number(wait?.[1])).toBeLessThanOrEqual(10);
  });

  it('a connection dropped after the registry accepted the manifest counts as pushed, not retried', async () => {
    s.proxy.addRule({ ...MANIFEST_PUT, action: { drop: 'after-forward' }, times: 1 });
    const pushed = await pushNew('dropped');
    await expectRecovered(pushed, 1);
    expect(dockerPushes(pushed.run)).toBe(1);
    expect(pushed.run.log).toMatch(
      /docker push failed after .*\(Put ".*\/manifests\/v1": EOF\), but the registry holds v1 = sha256:[0-9a-f]{64} with this image: the push went through\./,
    );
    expect(pushed.run.summary).toContain(
      'docker push reported a failure, but the registry had accepted the image',
    );
  });

  it('a 401 mid-push when the token expired during a slow upload: a new token, a new login, one more attempt', async () => {
    // The first layer upload is held until the token has expired, then sent on with it.
    let release = (): void => undefined;
    const accessTokens = () => s.google.issued.filter((t) => t.kind === 'access').length;
    const before = accessTokens();
    const held = await pushHeld(
      s,
      'expired',
      { method: 'PATCH', path: /\/blobs\/uploads\// },
      { until: new Promise<void>((resolve) => (release = resolve)) },
    );
    await s.google.expireNow();
    release();
    const pushed = { ...held, run: await held.run };
    await expectRecovered(pushed, 2);
    expect(pushed.run.log).toMatch(
      /push of v1: attempt 1 of 5 failed \(token rejected \(401\), a new one will be minted\): docker push: unauthorized: authentication required/,
    );
    expect(pushed.run.log).toContain('Minting a new access token and logging docker in again.');
    expect(pushed.run.argv.filter((argv) => argv.includes('login'))).toHaveLength(2);
    expect(accessTokens() - before).toBe(2);
    expect(pushed.run.summary).toContain('a new one was minted');
  });

  it('a 503 at docker login: the login is tried again, and is not counted as a push attempt', async () => {
    // First the action's own check that the registry answers (any status will do); then dockerd asks twice per
    // login (the ping, then the login attempt): both fail the first login.
    const rule = s.proxy.addRule({ ...LOGIN_PING, action: { status: 503 }, times: 3 });
    const pushed = await pushNew('login503');
    expect(pushed.run.log).toContain(`http://${s.proxy.host} answers (503 to GET /v2/ without credentials).`);
    expect(rule.hits).toBe(3);
    await expectRecovered(pushed, 1);
    expect(pushed.run.log).toContain(
      `docker login to ${s.proxy.host}: attempt 1 of 5 failed (server error 503): docker login: login attempt to http://${s.proxy.host}/v2/ failed with status: 503 Service Unavailable. Retrying in `,
    );
    expect(pushed.run.log).toContain(`docker login to ${s.proxy.host} succeeded at attempt 2.`);
    expect(dockerLogins(pushed.run)).toBe(2);
    expect(dockerPushes(pushed.run)).toBe(1);
  });
});

describe("faults of Google's token endpoints", () => {
  it('a 503 minting the token, beyond the library retries, is retried and logged', async () => {
    // google-auth-library repeats a 5xx three times itself: four failures make one of our attempts fail.
    s.google.fail({ path: /^\/token$/, status: 503, times: 4 });
    const pushed = await pushNew('mint503');
    await expectRecovered(pushed, 1);
    expect(pushed.run.log).toMatch(
      new RegExp(
        `minting an access token from the key of image-pusher@hub-images-test\\.iam\\.gserviceaccount\\.com \\("credentials-json"\\): attempt 1 of 3 failed \\(POST ${s.google.url}/token answered 503\\): Injected failure\\. Retrying in [0-9.]+ m?s\\.`,
      ),
    );
  });

  it('a refused key fails at once with the endpoint, status and message, before any call with a credential', async () => {
    s.google.fail({
      path: /^\/token$/,
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' },
    });
    const pushed = await pushNew('mint400');
    expect(pushed.run.annotations[0]?.message).toBe(
      `push-to-gar action failed: minting an access token from the key of image-pusher@hub-images-test.iam.gserviceaccount.com ("credentials-json") was refused by Google (400: invalid_grant: Invalid grant: account not found) at POST ${s.google.url}/token. ` +
        'Check that the key is not deleted, disabled or revoked (gcloud iam service-accounts keys list --iam-account=image-pusher@hub-images-test.iam.gserviceaccount.com) and that the account is enabled, or move to keyless auth (workload-identity-provider + service-account)',
    );
    expect(pushed.run.log).not.toMatch(/Retrying in/);
    // Only the check that the registry answers at all.
    expect(requests(s.proxy)).toEqual(['GET /v2/ 401']);
    await expectCleanFailure(pushed.run);
  });
});

describe('faults that must fail', () => {
  it('a persistent 503 fails after max-attempts, within the backoff it reports', async () => {
    s.proxy.addRule({ ...MANIFEST_PUT, action: { status: 503 } });
    const pushed = await pushNew('persistent', { 'max-attempts': '3' });
    expect(pushed.run.exitCode).toBe(1);
    expect(dockerPushes(pushed.run)).toBe(3);
    expect(pushed.run.annotations[0]?.message).toMatch(
      /^push-to-gar action failed: push of v1: gave up after 3 attempts in [0-9.]+ s \(at most 3 attempts\): docker push: received unexpected HTTP status: 503 Service Unavailable\. The registry is failing or throttling\. Re-run the job later/,
    );
    const waits = [...pushed.run.log.matchAll(/Retrying in ([0-9.]+) s/g)].map((m) => Number(m[1]));
    expect(waits).toHaveLength(2);
    // Backoff ceilings of 2 s then 4 s with equal jitter, as the action reported them.
    expect(waits[0]).toBeGreaterThanOrEqual(1);
    expect(waits[0]).toBeLessThanOrEqual(2);
    expect(waits[1]).toBeGreaterThanOrEqual(2);
    expect(waits[1]).toBeLessThanOrEqual(4);
    expect(await s.registry.tags(pushed.repository)).toEqual([]);
    await expectCleanFailure(pushed.run);
  });

  it('a persistent 503 on layers, which dockerd keeps retrying for 50 s, is stopped at retry-timeout', async () => {
    s.proxy.addRule({ method: 'PATCH', path: /\/blobs\/uploads\//, action: { status: 503 } });
    const { run, repository } = await pushNew('deadline', { 'retry-timeout': '10' }, { watchChildren: true });
    expect(run.exitCode).toBe(1);
    // The limit the user set, whatever the time left when the last wait was weighed.
    expect(run.annotations[0]?.message).toMatch(
      /^push-to-gar action failed: push of v1: gave up after 1 attempt in [0-9.]+ s \(the next attempt, [0-9.]+ s away, would pass the 10 s limit of retry-timeout\): docker push: stopped when the retry-timeout passed \(last output: [0-9a-f]{12}: Retrying in [0-9]+ seconds?\)\. The registry is failing or throttling/,
    );
    // The docker client was stopped, not left running when the action ended.
    expect(run.children.some((child) => child.argv.includes('push'))).toBe(true);
    expect(run.leftovers).toEqual([]);
    expect(await s.registry.tags(repository)).toEqual([]);
    await expectCleanFailure(run);
  });

  it("a denial fails at once with GAR's three causes and the exact host and path", async () => {
    s.proxy.addRule({
      method: 'POST',
      path: /\/blobs\/uploads\//,
      action: { status: 403, headers: { 'Content-Type': 'application/json' }, body: GAR_DENIED_BODY },
    });
    const pushed = await pushNew('denied');
    expect(pushed.run.exitCode).toBe(1);
    expect(dockerPushes(pushed.run)).toBe(1);
    expect(pushed.run.log).not.toMatch(/Retrying in/);
    const message = pushed.run.annotations[0]?.message ?? '';
    expect(message).toContain(
      `push-to-gar action failed: Artifact Registry denied access to ${s.proxy.host}/${pushed.repository} (host ${s.proxy.host}, repository path ${pushed.repository}): denied: Permission "artifactregistry.repositories.uploadArtifacts" denied on resource "projects/hub-images/locations/us-central1/repositories/user-images" (or it may not exist)`,
    );
    expect(message).toContain(
      '1. A missing role: image-pusher@hub-images-test.iam.gserviceaccount.com needs roles/artifactregistry.writer',
    );
    expect(message).toContain('2. The repository was never created');
    expect(message).toContain('3. The wrong regional host');
    expect(await s.registry.tags(pushed.repository)).toEqual([]);
    await expectCleanFailure(pushed.run);
  });

  it('a denial at docker login fails at once, naming the auth mode, the identity and the host', async () => {
    s.proxy.addRule({
      ...LOGIN_PING,
      action: { status: 403, headers: { 'Content-Type': 'application/json' }, body: GAR_DENIED_BODY },
    });
    const pushed = await pushNew('login-denied');
    expect(dockerLogins(pushed.run)).toBe(1);
    expect(dockerPushes(pushed.run)).toBe(0);
    expect(pushed.run.log).not.toMatch(/Retrying in/);
    expect(pushed.run.annotations[0]?.message).toBe(
      `push-to-gar action failed: docker login to ${s.proxy.host} was refused (login attempt to http://${s.proxy.host}/v2/ failed with status: 403 Forbidden); it sent an access token minted from the key in "credentials-json" of image-pusher@hub-images-test.iam.gserviceaccount.com. ` +
        'Check that image-pusher@hub-images-test.iam.gserviceaccount.com and its key are not disabled or deleted.\n' +
        `Check that image-pusher@hub-images-test.iam.gserviceaccount.com may push to ${pushed.repository} on ${s.proxy.host}.\n` +
        'Not retried: a denial does not go away by waiting.',
    );
    await expectCleanFailure(pushed.run);
    expect(await s.registry.tags(pushed.repository)).toEqual([]);
  });

  it('a tag holding another image is refused and the registry is left unchanged; overwrite moves it', async () => {
    const first = await pushNew('conflict');
    expect(first.run.exitCode).toBe(0);
    const other = await buildImage('conflict-other');
    const inputs = {
      image: `${s.proxy.host}/${first.repository}`,
      tags: 'v1',
      source: other.ref,
      'credentials-json': s.google.serviceAccountKey().json,
    };
    s.proxy.clearLog();
    const refused = await push({ inputs });
    expect(refused.exitCode).toBe(1);
    expect(refused.annotations[0]?.message).toBe(
      `push-to-gar action failed: a tag already holds another image in ${s.proxy.host}/${first.repository}: v1 = ${first.run.outputs['digest']}; nothing was written. Tags are never moved silently: push under a new tag, or set "overwrite: true" to move them`,
    );
    expect(requests(s.proxy).filter((line) => !/^(GET|HEAD) /.test(line))).toEqual([]);
    expect(dockerPushes(refused)).toBe(0);
    expect(await s.registry.manifestDigest(first.repository, 'v1')).toBe(first.run.outputs['digest']);
    await expectCleanFailure(refused);

    const moved = await push({ inputs: { ...inputs, overwrite: 'true' } });
    expect(moved.exitCode).toBe(0);
    expect(moved.outputs['digest']).not.toBe(first.run.outputs['digest']);
    expect(await s.registry.manifestDigest(first.repository, 'v1')).toBe(moved.outputs['digest']);
    expect(moved.summary).toContain('moved from another image (overwrite)');
  });
});
