// Tags through the registry API (from a digest: no pull, no blob upload), re-runs that change nothing, and bad
// inputs that fail before any side effect.
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import type { ActionRun } from '@hub-image-actions/local-world/action-runner';
import { docker } from '@hub-image-actions/local-world/docker-engine';
import {
  buildImage,
  cleanupRuns,
  push,
  removeBuiltImages,
  requests,
  startServices,
  stopServices,
  uniqueRepository,
  type Services,
} from './helpers.js';

jest.setTimeout(120_000);

let s: Services;
let repository: string;
let image: { ref: string; id: string };
let digest: string;
let key: string;

beforeAll(async () => {
  s = await startServices();
  key = s.google.serviceAccountKey().json;
  image = await buildImage('tags');
  repository = uniqueRepository('tags');
  const first = await push({
    inputs: {
      image: `${s.proxy.host}/${repository}`,
      tags: 'v1',
      source: image.ref,
      'credentials-json': key,
    },
  });
  if (first.exitCode !== 0) throw new Error(`the first push failed:\n${first.maskedLog}`);
  digest = first.outputs['digest'] ?? '';
});
afterEach(() => {
  s.proxy.clearRules();
  s.proxy.clearLog();
});
afterAll(async () => {
  await cleanupRuns();
  await removeBuiltImages();
  await stopServices(s ?? {});
});

function fromDigest(tags: string, extra: Record<string, string> = {}): Promise<ActionRun> {
  s.proxy.clearLog();
  return push({
    inputs: {
      image: `${s.proxy.host}/${repository}`,
      tags,
      'source-digest': digest,
      'credentials-json': key,
      ...extra,
    },
  });
}

async function localNames(ref: string): Promise<string[]> {
  return JSON.parse(
    (await docker(['image', 'inspect', '--format', '{{json .RepoTags}}', ref])).stdout,
  ) as string[];
}

/** Requests that upload or read layers: a tag from a digest must make none. */
function blobRequests(): string[] {
  return requests(s.proxy).filter((line) => line.includes('/blobs/'));
}

describe('tag from digest', () => {
  it('adds tags with one manifest PUT each: no docker, no pull, no blob upload', async () => {
    const run = await fromDigest('stable, prod');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ digest, pushed: 'stable\nprod', attempts: '2' });
    expect(run.outputs['refs']).toBe(
      `${s.proxy.host}/${repository}:stable\n${s.proxy.host}/${repository}:prod`,
    );
    expect(await s.registry.manifestDigest(repository, 'stable')).toBe(digest);
    expect(await s.registry.manifestDigest(repository, 'prod')).toBe(digest);
    expect(blobRequests()).toEqual([]);
    expect(requests(s.proxy).filter((line) => line.startsWith('PUT '))).toEqual([
      `PUT /v2/${repository}/manifests/stable 201`,
      `PUT /v2/${repository}/manifests/prod 201`,
    ]);
    expect(run.argv).toEqual([]);
    expect(run.summary).toContain('tagged through the registry API (no upload)');
  });

  it('takes NAME@DIGEST of the same repository', async () => {
    s.proxy.clearLog();
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'by-ref',
        'source-digest': `${s.proxy.host}/${repository}@${digest}`,
        'credentials-json': key,
      },
    });
    expect(run.exitCode).toBe(0);
    expect(await s.registry.manifestDigest(repository, 'by-ref')).toBe(digest);
  });

  it('honours Retry-After on a 429 to the manifest PUT', async () => {
    s.proxy.addRule({
      method: 'PUT',
      path: /\/manifests\//,
      action: { status: 429, headers: { 'Retry-After': '2' } },
      times: 1,
    });
    const started = Date.now();
    const run = await fromDigest('after-429');
    expect(run.exitCode).toBe(0);
    expect(run.log).toMatch(
      /tagging .*:after-429: attempt 1 of 5 failed \(too many requests \(429\)\): .* answered 429\. Retrying in 2\.0 s;/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(run.outputs['attempts']).toBe('2');
    expect(await s.registry.manifestDigest(repository, 'after-429')).toBe(digest);
  });

  it('counts a manifest PUT whose answer was lost as done, after reading the tag back', async () => {
    s.proxy.addRule({ method: 'PUT', path: /\/manifests\//, action: { drop: 'after-forward' }, times: 1 });
    const run = await fromDigest('dropped');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['attempts']).toBe('1');
    expect(run.log).toMatch(
      /The manifest PUT for dropped failed \(.*\), but the registry holds dropped = sha256:[0-9a-f]{64}: the write went through\./,
    );
    expect(await s.registry.manifestDigest(repository, 'dropped')).toBe(digest);
  });

  it('fails with the way out when the digest is not in the repository', async () => {
    s.proxy.clearLog();
    const missing = `sha256:${'0'.repeat(64)}`;
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'nope',
        'source-digest': missing,
        'credentials-json': key,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toBe(
      `push-to-gar action failed: ${repository}@${missing} does not exist in the registry. "source-digest" must be an image the target repository already holds (build-image's reused-digest); push other images with "source"`,
    );
    expect(requests(s.proxy).filter((line) => line.startsWith('PUT '))).toEqual([]);
  });

  it('tells an unknown repository (404 NAME_UNKNOWN) from a missing digest', async () => {
    // distribution 2.8 answers MANIFEST_UNKNOWN even for a repository it never saw; Artifact Registry answers
    // NAME_UNKNOWN, which the proxy plays here.
    const unknown = uniqueRepository('unknown-repo');
    s.proxy.addRule({
      method: 'GET',
      path: new RegExp(`^/v2/${unknown}/manifests/`),
      action: {
        status: 404,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          errors: [{ code: 'NAME_UNKNOWN', message: 'Repository "user-images" not found' }],
        }),
      },
    });
    s.proxy.clearLog();
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${unknown}`,
        tags: 'v1',
        'source-digest': digest,
        'credentials-json': key,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toBe(
      `push-to-gar action failed: the registry has no repository ${unknown} on ${s.proxy.host} (host ${s.proxy.host}, repository path ${unknown}, request GET http://${s.proxy.host}/v2/${unknown}/manifests/${digest}): Repository "user-images" not found. Create the repository, or correct the image path. Not retried`,
    );
    expect(run.log).not.toMatch(/Retrying in/);
    expect(requests(s.proxy).filter((line) => !/^(GET|HEAD) /.test(line))).toEqual([]);
  });
});

describe('re-runs', () => {
  it('the same push twice changes nothing the second time: no docker push, no write, nothing left', async () => {
    const inputs = {
      image: `${s.proxy.host}/${repository}`,
      tags: 'v1',
      source: image.ref,
      'credentials-json': key,
    };
    s.proxy.clearLog();
    const again = await push({ inputs });
    expect(again.exitCode).toBe(0);
    expect(again.outputs).toMatchObject({ digest, pushed: '', attempts: '0' });
    expect(requests(s.proxy).filter((line) => !/^(GET|HEAD) /.test(line))).toEqual([]);
    expect(again.argv.some((argv) => argv.includes('push'))).toBe(false);
    // The name docker push would have used was given up front and is undone.
    expect(await localNames(image.ref)).toEqual([image.ref]);
    expect(await readdir(again.runnerTemp)).not.toContainEqual(
      expect.stringMatching(/^hub-image-actions-docker-/),
    );
    expect(again.log).toContain(`v1: already holds this image (${digest}), left as is`);
    expect(again.summary).toMatch(/^### push-to-gar: nothing to do/);
  });

  it('a re-run with one more tag adds it through the registry API, without docker push', async () => {
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1, also',
        source: image.ref,
        'credentials-json': key,
      },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ digest, pushed: 'also', attempts: '1' });
    expect(run.argv.some((argv) => argv.includes('push'))).toBe(false);
    expect(blobRequests()).toEqual([]);
    expect(await s.registry.manifestDigest(repository, 'also')).toBe(digest);
  });
});

describe('the local docker engine', () => {
  it('points a push name that named another local image back at it afterwards', async () => {
    const pushed = await buildImage('renamed');
    const other = await buildImage('bystander');
    const name = `${s.proxy.host}/${repository}:taken`;
    await docker(['tag', other.id, name]);
    try {
      const run = await push({
        inputs: {
          image: `${s.proxy.host}/${repository}`,
          tags: 'taken',
          source: pushed.ref,
          'credentials-json': key,
        },
      });
      expect(run.exitCode).toBe(0);
      expect(run.log).toContain(`(that name pointed at ${other.id}; it is restored afterwards)`);
      expect(run.log).toContain(`Local image name: pointed ${name} back at ${other.id}.`);
      expect(await s.registry.manifestDigest(repository, 'taken')).toBe(run.outputs['digest']);
      expect(await localNames(other.ref)).toEqual(expect.arrayContaining([other.ref, name]));
      expect(await localNames(pushed.ref)).toEqual([pushed.ref]);
      // Nothing of the push is left on the pushed image either: not even the digest docker recorded.
      const digests = await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', pushed.id]);
      expect(JSON.parse(digests.stdout)).toEqual([]);
    } finally {
      await docker(['image', 'rm', name], { allowFailure: true });
    }
  });
});

describe('bad inputs', () => {
  it('reports every problem at once and touches nothing', async () => {
    s.proxy.clearLog();
    const run = await push({
      inputs: {
        registry: 'ghcr.io',
        'image-path': 'hub-images/user-images/x',
        'gar-only': 'true',
        tags: ' ',
        source: image.ref,
        'credentials-json': key,
        'access-token': 'ya29.some-other-token',
      },
    });
    expect(run.exitCode).toBe(1);
    const message = run.annotations[0]?.message ?? '';
    expect(message).toMatch(/^push-to-gar action failed: 3 inputs are invalid:/);
    expect(message).toContain('input "registry" is "ghcr.io": is not an Artifact Registry host');
    expect(message).toContain('input "tags" is required');
    expect(message).toContain(
      'input "credentials-json" conflicts: "credentials-json" and "access-token" were both given',
    );
    expect(message).not.toContain('PRIVATE KEY');
    expect(run.argv).toEqual([]);
    expect(requests(s.proxy)).toEqual([]);
  });

  it.each([
    [
      'a malformed key',
      { 'credentials-json': '{"type": "service_account"' },
      /input "credentials-json" is not valid JSON/,
    ],
    [
      'a project id that is not one',
      { image: 'us-central1-docker.pkg.dev/Hubs/user-images/x' },
      /GAR project "Hubs"/,
    ],
    [
      'an uppercase repository',
      { image: 'us-central1-docker.pkg.dev/hub-images/User-Images/x' },
      /GAR repository "User-Images" has uppercase letters/,
    ],
  ])('%s fails before any call', async (_name, values, message) => {
    s.proxy.clearLog();
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v9',
        source: image.ref,
        'credentials-json': key,
        ...values,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toMatch(message);
    expect(run.argv).toEqual([]);
    expect(requests(s.proxy)).toEqual([]);
  });

  it('a source image that does not exist locally fails before any call with a credential or to Google', async () => {
    s.proxy.clearLog();
    const googleCalls = s.google.requests.length;
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v9',
        source: 'hia-test/never-built:nope',
        'credentials-json': key,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations[0]?.message).toBe(
      'push-to-gar action failed: input "source" is "hia-test/never-built:nope": no such image in the local docker engine. Run push-to-gar in the job that built the image (after build-image), or push an image the registry already holds with "source-digest"',
    );
    // At most the check, asked alongside docker, that the registry answers at all: answered, or ended unanswered when
    // docker found no image first (the proxy then sees its client hang up).
    const check = /^GET \/v2\/ (401|502 \[upstream error: socket hang up\])$/;
    expect(requests(s.proxy).filter((request) => !check.test(request))).toEqual([]);
    expect(s.google.requests.length).toBe(googleCalls);
  });
});
