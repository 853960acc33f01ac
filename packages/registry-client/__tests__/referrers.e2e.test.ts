import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attachArtifact,
  imageLayers,
  listReferrers,
  readArtifact,
  referrersTag,
  ReferrerRefusedError,
  RegistryClient,
  streamBlob,
  BlobStreamError,
  type ManifestDescriptor,
} from '../src/index.js';
import { BUSYBOX_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker, removeImages } from '@hub-image-actions/local-world/docker-engine';
import { FaultProxy } from '@hub-image-actions/local-world/fault-proxy';
import { TestRegistry } from '@hub-image-actions/local-world/registry';

const REPO = 'proj/images/referred';
const PACKAGES = 'application/vnd.hub-image-actions.packages.v1+json';
const SIGNATURE = 'application/vnd.example.signature.v1+json';
let registry: TestRegistry;
let proxy: FaultProxy;
let subject: ManifestDescriptor;

beforeAll(async () => {
  registry = await TestRegistry.start({ users: { reader: 'reader-password' } });
  proxy = await FaultProxy.start(registry.url);
  const dockerConfig = await mkdtemp(join(tmpdir(), 'hia-ref-'));
  const env = { DOCKER_CONFIG: dockerConfig };
  const ref = `${registry.host}/${REPO}:v1`;
  await docker(['build', '-t', ref, '-'], {
    stdin: `FROM ${BUSYBOX_IMAGE}\nRUN echo referred > /referred\n`,
    env: { DOCKER_BUILDKIT: '0' },
  });
  await docker(['login', '-u', registry.admin.username, '--password-stdin', registry.host], {
    stdin: registry.admin.password,
    env,
  });
  await docker(['push', ref], { env });
  await rm(dockerConfig, { recursive: true, force: true });
  await removeImages([ref]);
  subject = (await client().headManifest(REPO, 'v1'))!;
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function client(
  options: { via?: 'proxy'; user?: { username: string; password: string } } = {},
): RegistryClient {
  const credentials = options.user ?? registry.admin;
  return new RegistryClient({
    registry: options.via === 'proxy' ? proxy.host : registry.host,
    credentials: async () => credentials,
    timeoutMs: 5000,
  });
}

const writes = () =>
  proxy.log
    .filter((e) => e.method !== 'GET' && e.method !== 'HEAD')
    .map((e) => `${e.method} ${e.path} ${e.status}`);

describe('OCI referrers against distribution 2.8 (no referrers API)', () => {
  it('answers the referrers API with a 404, so the tag schema is used', async () => {
    const response = await fetch(`${registry.url}/v2/${REPO}/referrers/${subject.digest}`, {
      headers: {
        authorization: `Basic ${Buffer.from(`admin:${registry.admin.password}`).toString('base64')}`,
      },
    });
    expect(response.status).toBe(404);
    expect(await listReferrers(client(), REPO, subject.digest)).toEqual({ referrers: [], via: 'tag-schema' });
  });

  it('stores an artifact as a referrer, reads it back, and a second write changes nothing', async () => {
    const content = Buffer.from('{"schemaVersion":1,"packages":["numpy"]}\n');
    const c = client({ via: 'proxy' });
    proxy.clearLog();
    const first = await attachArtifact(c, REPO, subject, { artifactType: PACKAGES, content });
    expect(first).toMatchObject({ written: true, via: 'tag-schema' });
    expect(writes()).toEqual([
      `POST /v2/${REPO}/blobs/uploads/ 202`,
      expect.stringMatching(new RegExp(`^PUT /v2/${REPO}/blobs/uploads/[^ ]+ 201$`)),
      `POST /v2/${REPO}/blobs/uploads/ 202`,
      expect.stringMatching(new RegExp(`^PUT /v2/${REPO}/blobs/uploads/[^ ]+ 201$`)),
      `PUT /v2/${REPO}/manifests/${first.digest} 201`,
      `PUT /v2/${REPO}/manifests/${referrersTag(subject.digest)} 201`,
    ]);
    expect(await registry.tags(REPO)).toEqual(expect.arrayContaining([referrersTag(subject.digest)]));

    const stored = await readArtifact(client(), REPO, subject.digest, PACKAGES);
    expect(stored).toEqual({ digest: first.digest, content, via: 'tag-schema' });
    const manifest = JSON.parse((await client().getManifest(REPO, first.digest))!.body.toString()) as Record<
      string,
      unknown
    >;
    expect(manifest).toMatchObject({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: PACKAGES,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2 },
      subject: { digest: subject.digest, mediaType: subject.mediaType },
    });

    proxy.clearLog();
    const second = await attachArtifact(c, REPO, subject, { artifactType: PACKAGES, content });
    expect(second).toEqual({ digest: first.digest, written: false, via: 'tag-schema' });
    expect(writes()).toEqual([]);
  });

  it('keeps another referrer of the same image when adding ours, and filters by artifact type', async () => {
    const signature = await attachArtifact(client(), REPO, subject, {
      artifactType: SIGNATURE,
      content: Buffer.from('signed'),
    });
    const newer = await attachArtifact(client(), REPO, subject, {
      artifactType: PACKAGES,
      content: Buffer.from('{"schemaVersion":1,"packages":["numpy","scipy"]}\n'),
    });
    const all = await listReferrers(client(), REPO, subject.digest);
    expect(all.referrers.map((d) => d.artifactType)).toEqual([PACKAGES, SIGNATURE, PACKAGES]);
    expect(all.referrers.map((d) => d.digest)).toContain(signature.digest);
    const ours = await listReferrers(client(), REPO, subject.digest, PACKAGES);
    expect(ours.referrers).toHaveLength(2);
    expect((await readArtifact(client(), REPO, subject.digest, PACKAGES))?.digest).toBe(newer.digest);
  });

  it('merges again when another writer replaced the index between our write and our read-back', async () => {
    // The competing writer's index (built from an older read) lands right after our PUT.
    const tag = referrersTag(subject.digest);
    const before = (await client().getManifest(REPO, tag))!;
    let raced = false;
    const racing = new RegistryClient({
      registry: registry.host,
      credentials: async () => registry.admin,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (!raced && init?.method === 'PUT' && String(input).endsWith(`/manifests/${tag}`)) {
          raced = true;
          await client().putManifest(REPO, tag, { mediaType: before.mediaType, body: before.body });
        }
        return response;
      },
    });
    const result = await attachArtifact(racing, REPO, subject, {
      artifactType: PACKAGES,
      content: Buffer.from('{"schemaVersion":1,"packages":["raced"]}\n'),
    });
    expect(raced).toBe(true);
    expect(result.written).toBe(true);
    const listed = await listReferrers(client(), REPO, subject.digest);
    expect(listed.referrers.map((d) => d.digest)).toEqual([
      ...JSON.parse(before.body.toString()).manifests.map((d: { digest: string }) => d.digest),
      result.digest,
    ]);
  });

  it('turns a refused referrers tag into a ReferrerRefusedError and leaves the image untouched', async () => {
    proxy.addRule({
      method: 'PUT',
      path: new RegExp(`/manifests/${referrersTag(subject.digest)}$`),
      action: {
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 'DENIED', message: 'tag immutability' }] }),
      },
    });
    try {
      const error = await attachArtifact(client({ via: 'proxy' }), REPO, subject, {
        artifactType: PACKAGES,
        content: Buffer.from('{"refused":true}'),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReferrerRefusedError);
      expect(error).toMatchObject({ step: 'referrers-tag', status: 403 });
      expect((error as Error).message).toContain('tag immutability');
    } finally {
      proxy.clearRules();
    }
    expect((await client().headManifest(REPO, 'v1'))?.digest).toBe(subject.digest);
  });

  it('turns a refused blob upload into a ReferrerRefusedError', async () => {
    proxy.addRule({
      method: 'POST',
      path: /\/blobs\/uploads\/$/,
      action: { status: 413, body: 'too large' },
    });
    try {
      const error = await attachArtifact(client({ via: 'proxy' }), REPO, subject, {
        artifactType: PACKAGES,
        content: Buffer.from('{"blob":"refused"}'),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ReferrerRefusedError', step: 'blob', status: 413 });
    } finally {
      proxy.clearRules();
    }
  });

  it('a user without push rights can read the referrers but not write one', async () => {
    // distribution's htpasswd auth gives every user push; the refusal comes from a 401 on the write instead.
    proxy.addRule({ method: 'POST', path: /\/blobs\/uploads\/$/, action: { status: 401, body: '' } });
    try {
      const reader = client({ via: 'proxy', user: { username: 'reader', password: 'reader-password' } });
      expect((await readArtifact(reader, REPO, subject.digest, PACKAGES))?.content).toBeDefined();
      const error = await attachArtifact(reader, REPO, subject, {
        artifactType: PACKAGES,
        content: Buffer.from('{"reader":true}'),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'ReferrerRefusedError', step: 'blob', status: 401 });
    } finally {
      proxy.clearRules();
    }
    const wrong = client({ user: { username: 'reader', password: 'wrong' } });
    expect(await listReferrers(wrong, REPO, subject.digest).catch((e: unknown) => e)).toMatchObject({
      name: 'ReferrerRefusedError',
      step: 'list',
      status: 401,
    });
  });
});

describe('layers streamed from the registry', () => {
  it('streams each layer blob with its digest checked, and stops at a byte limit', async () => {
    const image = await imageLayers(client(), REPO, 'v1');
    expect(image?.manifestDigest).toBe(subject.digest);
    expect(image?.layers).toHaveLength(2);
    const layer = image!.layers[1]!;
    let bytes = 0;
    for await (const chunk of streamBlob(client(), REPO, layer.digest)) bytes += chunk.length;
    expect(bytes).toBe(layer.size);
    const limited = (async () => {
      for await (const chunk of streamBlob(client(), REPO, image!.layers[0]!.digest, { maxBytes: 100 }))
        void chunk;
    })();
    await expect(limited).rejects.toBeInstanceOf(BlobStreamError);
  });
});
