import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readImage,
  RegistryClient,
  RegistryConnectionError,
  RegistryError,
  type CredentialProvider,
} from '../src/index.js';
import { BUSYBOX_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker, removeImages } from '@hub-image-actions/local-world/docker-engine';
import { FaultProxy } from '@hub-image-actions/local-world/fault-proxy';
import { freePort } from '@hub-image-actions/local-world/net';
import { TestRegistry } from '@hub-image-actions/local-world/registry';

const REPO = 'proj/images/base';
let registry: TestRegistry;
let proxy: FaultProxy;
let pushedDigest: string;
let localLayers: string[];
const localRef = (host: string, tag: string): string => `${host}/${REPO}:${tag}`;

beforeAll(async () => {
  registry = await TestRegistry.start();
  proxy = await FaultProxy.start(registry.url);
  const dockerConfig = await mkdtemp(join(tmpdir(), 'hia-rc-'));
  const env = { DOCKER_CONFIG: dockerConfig };
  const ref = localRef(registry.host, 'v1');
  await docker(['build', '-t', ref, '--label', 'hub.test=yes', '-'], {
    stdin: `FROM ${BUSYBOX_IMAGE}\nRUN echo built > /built\n`,
    env: { DOCKER_BUILDKIT: '0' },
  });
  await docker(['login', '-u', registry.admin.username, '--password-stdin', registry.host], {
    stdin: registry.admin.password,
    env,
  });
  await docker(['push', ref], { env });
  pushedDigest = (await registry.manifestDigest(REPO, 'v1')) ?? '';
  localLayers = JSON.parse(
    (await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])).stdout,
  ) as string[];
  await rm(dockerConfig, { recursive: true, force: true });
  await removeImages([ref]);
});

afterAll(async () => {
  await proxy?.stop();
  await registry?.stop();
});

function client(options: { via?: 'proxy'; credentials?: CredentialProvider } = {}): RegistryClient {
  const admin = registry.admin;
  return new RegistryClient({
    registry: options.via === 'proxy' ? proxy.host : registry.host,
    credentials: options.credentials ?? (async () => admin),
    timeoutMs: 5000,
  });
}

describe('RegistryClient against the real registry', () => {
  it('resolves a tag to the digest docker pushed, and a missing tag to undefined', async () => {
    const c = client();
    const head = await c.headManifest(REPO, 'v1');
    expect(head?.digest).toBe(pushedDigest);
    expect(head?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(await c.headManifest(REPO, 'nope')).toBeUndefined();
    expect(await c.headManifest('proj/images/missing', 'v1')).toBeUndefined();
  });

  it('reads labels and layers of an image', async () => {
    const image = await readImage(client(), REPO, 'v1');
    expect(image).toMatchObject({ digest: pushedDigest, manifestDigest: pushedDigest, layers: 2 });
    expect(image?.labels['hub.test']).toBe('yes');
    expect(image?.compressedSize).toBeGreaterThan(0);
    // The uncompressed layer digests, as the engine that built the image lists them.
    expect(image?.diffIds).toEqual(localLayers);
    expect(localLayers).toHaveLength(2);
  });

  it('adds a tag to an existing digest with one manifest PUT and no blob upload', async () => {
    const c = client({ via: 'proxy' });
    proxy.clearLog();
    const manifest = await c.getManifest(REPO, pushedDigest);
    expect(manifest?.digest).toBe(pushedDigest);
    const digest = await c.putManifest(REPO, 'v1-copy', {
      mediaType: manifest!.mediaType,
      body: manifest!.body,
    });
    expect(digest).toBe(pushedDigest);
    expect(await registry.manifestDigest(REPO, 'v1-copy')).toBe(pushedDigest);
    const writes = proxy.log.filter((entry) => entry.method !== 'GET' && entry.method !== 'HEAD');
    expect(writes.map((entry) => `${entry.method} ${entry.path} ${entry.status}`)).toEqual([
      `PUT /v2/${REPO}/manifests/v1-copy 201`,
    ]);
    expect(proxy.log.some((entry) => entry.path.includes('/blobs/uploads'))).toBe(false);
  });

  it('asks the credential provider again after a rejected password, then succeeds', async () => {
    const reasons: string[] = [];
    const c = client({
      credentials: async (reason) => {
        reasons.push(reason);
        return reason === 'initial' ? { username: 'admin', password: 'stale' } : registry.admin;
      },
    });
    expect((await c.headManifest(REPO, 'v1'))?.digest).toBe(pushedDigest);
    expect(reasons).toEqual(['initial', 'rejected']);
  });

  it('fails with a 401 RegistryError when credentials stay wrong', async () => {
    const c = client({ credentials: async () => ({ username: 'admin', password: 'wrong' }) });
    const error = await c.headManifest(REPO, 'v1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
  });

  it('carries the OCI error code and Retry-After of a failure', async () => {
    proxy.addRule({
      method: 'PUT',
      path: /\/manifests\/busy$/,
      action: {
        status: 429,
        headers: { 'retry-after': '3', 'content-type': 'application/json' },
        body: JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'quota exceeded' }] }),
      },
      times: 1,
    });
    const c = client({ via: 'proxy' });
    const manifest = await c.getManifest(REPO, 'v1');
    const error = (await c
      .putManifest(REPO, 'busy', { mediaType: manifest!.mediaType, body: manifest!.body })
      .catch((e: unknown) => e)) as RegistryError;
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({
      status: 429,
      code: 'TOOMANYREQUESTS',
      detail: 'quota exceeded',
      retryAfterMs: 3000,
    });
  });

  it('pings the API root without credentials, over plain http for localhost in any case', async () => {
    expect(await client().ping()).toBe(401);
    const port = registry.host.split(':')[1] ?? '';
    const upper = new RegistryClient({ registry: `LOCALHOST:${port}` });
    expect(upper.baseUrl).toBe(`http://LOCALHOST:${port}`);
    expect(await upper.ping()).toBe(401);
  });

  it('says where a connection was refused', async () => {
    const port = await freePort();
    const error = (await new RegistryClient({ registry: `127.0.0.1:${port}` })
      .ping()
      .catch((e: unknown) => e)) as RegistryConnectionError;
    expect(error).toBeInstanceOf(RegistryConnectionError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).toBe(
      `GET http://127.0.0.1:${port}/v2/ failed: connection refused at 127.0.0.1:${port} (ECONNREFUSED)`,
    );
  });

  it('reports a dropped connection as a RegistryConnectionError', async () => {
    proxy.addRule({
      method: 'HEAD',
      path: /\/manifests\/dropped$/,
      action: { drop: 'before-forward' },
      times: 1,
    });
    const error = await client({ via: 'proxy' })
      .headManifest(REPO, 'dropped')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryConnectionError);
  });
});

describe('RegistryClient with a Bearer-token registry (the flow GAR uses)', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
      seen.push(`${request.method} ${url.pathname}${url.search} ${request.headers.authorization ?? '-'}`);
      if (url.pathname === '/v2/token') {
        const expected = `Basic ${Buffer.from('oauth2accesstoken:ya29.good').toString('base64')}`;
        if (request.headers.authorization !== expected) {
          response
            .writeHead(401, { 'content-type': 'application/json' })
            .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
          return;
        }
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: 'registry-jwt' }));
        return;
      }
      if (request.headers.authorization !== 'Bearer registry-jwt') {
        response
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/v2/token",service="127.0.0.1:${port}",scope="repository:p/r/i:pull"`,
            'content-type': 'application/json',
          })
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      response
        .writeHead(200, {
          'docker-content-digest': 'sha256:' + 'c'.repeat(64),
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
        })
        .end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('exchanges Basic credentials for a scoped token at the realm, then reuses it', async () => {
    const c = new RegistryClient({
      registry: `127.0.0.1:${port}`,
      credentials: async () => ({ username: 'oauth2accesstoken', password: 'ya29.good' }),
    });
    expect((await c.headManifest('p/r/i', 't1'))?.digest).toBe('sha256:' + 'c'.repeat(64));
    expect((await c.headManifest('p/r/i', 't2'))?.digest).toBe('sha256:' + 'c'.repeat(64));
    expect(seen.map((line) => line.replace(/Basic \S+/, 'Basic …'))).toEqual([
      'HEAD /v2/p/r/i/manifests/t1 -',
      `GET /v2/token?service=127.0.0.1%3A${port}&scope=repository%3Ap%2Fr%2Fi%3Apull Basic …`,
      'HEAD /v2/p/r/i/manifests/t1 Bearer registry-jwt',
      'HEAD /v2/p/r/i/manifests/t2 Bearer registry-jwt',
    ]);
  });

  it('fails with the token endpoint answer when the access token is refused', async () => {
    const c = new RegistryClient({
      registry: `127.0.0.1:${port}`,
      credentials: async () => ({ username: 'oauth2accesstoken', password: 'ya29.bad' }),
    });
    const error = await c.headManifest('p/r/i', 't1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(401);
    expect((error as RegistryError).url).toBe(`http://127.0.0.1:${port}/v2/token`);
  });
});
