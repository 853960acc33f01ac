import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { connect } from 'node:net';
import { BUSYBOX_IMAGE } from '../src/base-images.js';
import { docker, removeImages } from '../src/docker-engine.js';
import { waitFor } from '../src/net.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { basicAuth, MANIFEST_ACCEPT, TestRegistry } from '../src/registry.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

const MANIFEST_PUT = { method: 'PUT', path: /\/v2\/.*\/manifests\// };

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection, so a dropped socket shows up as this request's error. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('FaultProxy in front of a real registry', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;
  let dockerConfig: string;
  const repository = 'hia/busybox';
  const refs: string[] = [];
  const env = () => ({ DOCKER_CONFIG: dockerConfig });

  /** Tags busybox for the registry behind the proxy and pushes it through the proxy. */
  async function pushThroughProxy(tag: string) {
    const ref = `${proxy.host}/${repository}:${tag}`;
    refs.push(ref);
    await docker(['tag', BUSYBOX_IMAGE, ref]);
    return docker(['push', ref], { env: env(), allowFailure: true });
  }

  /** The manifest pushed as `tag`, to PUT it again by hand. */
  async function manifestOf(tag: string): Promise<{ body: string; contentType: string }> {
    const response = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
      headers: { Authorization: basicAuth(registry.admin), Accept: MANIFEST_ACCEPT },
    });
    expect(response.status).toBe(200);
    return { body: await response.text(), contentType: response.headers.get('content-type') ?? '' };
  }

  function putManifest(tag: string, manifest: { body: string; contentType: string }) {
    return send(`${proxy.url}/v2/${repository}/manifests/${tag}`, {
      method: 'PUT',
      headers: { Authorization: basicAuth(registry.admin), 'Content-Type': manifest.contentType },
      body: manifest.body,
    });
  }

  beforeAll(async () => {
    registry = await TestRegistry.start();
    proxy = await FaultProxy.start(registry.url);
    dockerConfig = await makeTempDir('docker-config');
    await docker(['login', proxy.host, '--username', registry.admin.username, '--password-stdin'], {
      stdin: registry.admin.password,
      env: env(),
    });
  });

  afterEach(() => {
    proxy.clearRules();
    proxy.clearLog();
  });

  afterAll(async () => {
    await proxy.stop();
    await registry.stop();
    await removeImages(refs);
    await removeDir(dockerConfig);
  });

  it('forwards a real docker push, uploads included', async () => {
    const push = await pushThroughProxy('through-proxy');
    expect(push.exitCode).toBe(0);
    expect(await registry.tags(repository)).toContain('through-proxy');
    // The registry's upload Location headers kept pointing at the proxy: the uploads came through it.
    const seen = proxy.log.map(({ method, path, status }) => `${method} ${path} ${status}`);
    expect(seen).toContainEqual(
      expect.stringMatching(/^PUT \/v2\/hia\/busybox\/blobs\/uploads\/[\w-]+ 201$/),
    );
    expect(seen).toContain('PUT /v2/hia/busybox/manifests/through-proxy 201');
    expect(proxy.log.filter((entry) => entry.fault !== undefined)).toEqual([]);
  });

  it('answers 503 once on the manifest PUT, then lets the next one through', async () => {
    const rule = proxy.addRule({ ...MANIFEST_PUT, action: { status: 503 }, times: 1 });
    const failed = await pushThroughProxy('after-503');
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toMatch(/503/);
    expect(rule.hits).toBe(1);
    expect(await registry.tags(repository)).not.toContain('after-503');

    const retried = await pushThroughProxy('after-503');
    expect(retried.exitCode).toBe(0);
    expect(rule.hits).toBe(1);
    expect(await registry.tags(repository)).toContain('after-503');
    const manifestPuts = proxy.log.filter(
      (entry) => entry.method === 'PUT' && entry.path.includes('/manifests/'),
    );
    expect(manifestPuts.map(({ status, fault }) => ({ status, fault }))).toEqual([
      { status: 503, fault: 'status 503' },
      { status: 201, fault: undefined },
    ]);
  });

  it('returns a 429 with its Retry-After header and body as given', async () => {
    proxy.addRule({
      path: /^\/v2\/$/,
      action: { status: 429, headers: { 'Retry-After': '2' }, body: 'slow down' },
    });
    const answer = await send(`${proxy.url}/v2/`);
    expect(answer).toMatchObject({ status: 429, body: 'slow down' });
    expect(answer.headers['retry-after']).toBe('2');
  });

  it('drop before-forward: the client sees a hang-up and the registry never gets the request', async () => {
    const manifest = await manifestOf('through-proxy');
    proxy.addRule({ ...MANIFEST_PUT, action: { drop: 'before-forward' } });
    await expect(putManifest('dropped-before', manifest)).rejects.toThrow(/socket hang up/);
    expect(await registry.tags(repository)).not.toContain('dropped-before');
    expect(registry.logs()).not.toMatch(/manifests\/dropped-before/);
    expect(proxy.log.map(({ method, path, status, fault }) => ({ method, path, status, fault }))).toEqual([
      {
        method: 'PUT',
        path: `/v2/${repository}/manifests/dropped-before`,
        status: undefined,
        fault: 'drop before-forward',
      },
    ]);
  });

  it('drop after-forward: the client sees a hang-up but the registry stored the manifest', async () => {
    const manifest = await manifestOf('through-proxy');
    const digest = await registry.manifestDigest(repository, 'through-proxy');
    proxy.addRule({ ...MANIFEST_PUT, action: { drop: 'after-forward' } });
    await expect(putManifest('dropped-after', manifest)).rejects.toThrow(/socket hang up/);
    expect(await registry.manifestDigest(repository, 'dropped-after')).toBe(digest);

    // What a real push sees: a failure although the registry accepted the image.
    const push = await pushThroughProxy('push-dropped-after');
    expect(push.exitCode).not.toBe(0);
    expect(push.stderr).toMatch(/EOF|connection reset/i);
    expect(await registry.manifestDigest(repository, 'push-dropped-after')).toBe(digest);
  });

  it('matches a rule on the query string when it has one, e.g. one blob upload by its digest', async () => {
    const rule = proxy.addRule({
      method: 'PUT',
      path: /\/blobs\/uploads\//,
      query: /(^|&)digest=sha256%3Aabc(&|$)/,
      action: { status: 503 },
    });
    const upload = `${proxy.url}/v2/${repository}/blobs/uploads/some-uuid`;
    expect((await send(`${upload}?_state=x&digest=sha256%3Aabc`, { method: 'PUT' })).status).toBe(503);
    expect((await send(`${upload}?digest=sha256%3Aabcd`, { method: 'PUT' })).status).toBe(401);
    expect((await send(upload, { method: 'PUT' })).status).toBe(401);
    expect(rule.hits).toBe(1);
    expect(proxy.log.map(({ path, fault }) => ({ path, fault }))).toEqual([
      { path: `/v2/${repository}/blobs/uploads/some-uuid`, fault: 'status 503' },
      { path: `/v2/${repository}/blobs/uploads/some-uuid`, fault: undefined },
      { path: `/v2/${repository}/blobs/uploads/some-uuid`, fault: undefined },
    ]);
  });

  it('delays a request, then forwards it', async () => {
    proxy.addRule({ path: /^\/v2\/$/, action: { delayMs: 600 } });
    const started = Date.now();
    const answer = await send(`${proxy.url}/v2/`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toMatch(/^Basic /);
  });

  it('holds a request until the test releases it, then forwards it', async () => {
    let release = () => undefined as void;
    const rule = proxy.addRule({
      path: /^\/v2\/$/,
      action: { until: new Promise<void>((resolve) => (release = resolve)) },
      times: 1,
    });
    proxy.clearLog();
    const answer = send(`${proxy.url}/v2/`);
    await waitFor('the held request', async () => (rule.hits === 1 ? true : undefined));
    expect(proxy.log).toEqual([expect.objectContaining({ path: '/v2/', fault: 'hold' })]);
    expect(proxy.log[0]?.status).toBeUndefined();
    release();
    expect((await answer).status).toBe(401);
    expect(proxy.log[0]).toMatchObject({ status: 401 });
    expect(proxy.log[0]?.clientGone).toBeUndefined();
  });

  it('notes a client that hangs up on a held request, which then never reaches the target', async () => {
    proxy.addRule({ path: /^\/v2\/$/, action: { until: new Promise(() => undefined) }, times: 1 });
    proxy.clearLog();
    const req = request(`${proxy.url}/v2/`, { agent: false });
    req.on('error', () => undefined);
    req.end();
    await waitFor('the held request', async () => (proxy.log.length === 1 ? true : undefined));
    req.destroy();
    await waitFor('the hang-up', async () => (proxy.log[0]?.clientGone ? true : undefined));
    expect(proxy.log[0]?.status).toBeUndefined();
  });

  it('applies the first matching rule with times left, and logs every request in order', async () => {
    const teapot = proxy.addRule({ path: /^\/v2\/_catalog$/, action: { status: 418 }, times: 1 });
    const unavailable = proxy.addRule({ method: 'get', path: /^\/v2\/_catalog$/, action: { status: 503 } });
    const auth = { Authorization: basicAuth(registry.admin) };

    expect((await send(`${proxy.url}/v2/`)).status).toBe(401);
    expect((await send(`${proxy.url}/v2/_catalog?n=5`, { headers: auth })).status).toBe(418);
    expect((await send(`${proxy.url}/v2/_catalog`, { headers: auth })).status).toBe(503);
    // Not a GET: forwarded, and the registry answers HEAD on the catalog with 405.
    expect((await send(`${proxy.url}/v2/_catalog`, { method: 'HEAD', headers: auth })).status).toBe(405);
    proxy.clearRules();
    expect((await send(`${proxy.url}/v2/_catalog`, { headers: auth })).status).toBe(200);

    expect([teapot.hits, unavailable.hits]).toEqual([1, 1]);
    expect(proxy.log.map(({ method, path, status, fault }) => ({ method, path, status, fault }))).toEqual([
      { method: 'GET', path: '/v2/', status: 401, fault: undefined },
      { method: 'GET', path: '/v2/_catalog', status: 418, fault: 'status 418' },
      { method: 'GET', path: '/v2/_catalog', status: 503, fault: 'status 503' },
      { method: 'HEAD', path: '/v2/_catalog', status: 405, fault: undefined },
      { method: 'GET', path: '/v2/_catalog', status: 200, fault: undefined },
    ]);
    const times = proxy.log.map((entry) => entry.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('FaultProxy.stop', () => {
  it('closes the server and open connections, even with a request in flight', async () => {
    const registry = await TestRegistry.start();
    const proxy = await FaultProxy.start(registry.url);
    try {
      // Longer than any test may take: a stop() that waited for it would never return.
      proxy.addRule({ path: /^\/v2\/$/, action: { delayMs: 24 * 3600_000 } });
      const inFlight = send(`${proxy.url}/v2/`);
      await waitFor('the request to reach the proxy', async () =>
        proxy.log.length === 1 ? true : undefined,
      );

      await proxy.stop();
      await expect(inFlight).rejects.toThrow(/socket hang up|ECONNRESET/);
      await expect(
        new Promise((resolve, reject) => {
          const socket = connect(Number(proxy.host.split(':')[1]), '127.0.0.1', () => resolve(socket.end()));
          socket.on('error', reject);
        }),
      ).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await registry.stop();
    }
  });
});
