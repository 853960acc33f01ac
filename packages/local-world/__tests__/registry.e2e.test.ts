import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from '../src/base-images.js';
import { docker, removeImages } from '../src/docker-engine.js';
import { basicAuth, TestRegistry, type Credentials } from '../src/registry.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

async function v2Status(registry: TestRegistry, credentials?: Credentials): Promise<Response> {
  const response = await fetch(`${registry.url}/v2/`, {
    headers: credentials ? { Authorization: basicAuth(credentials) } : {},
  });
  await response.arrayBuffer();
  return response;
}

/** Pids whose command line mentions `text`. */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

describe('TestRegistry', () => {
  let registry: TestRegistry;
  let dockerConfig: string;
  const alice = { username: 'alice', password: 'alice-first-password' };
  const pushedRefs: string[] = [];

  beforeAll(async () => {
    registry = await TestRegistry.start({ users: { [alice.username]: alice.password } });
    dockerConfig = await makeTempDir('docker-config');
  });

  afterAll(async () => {
    await registry.stop();
    await removeImages(pushedRefs);
    await removeDir(dockerConfig);
  });

  it('listens on 127.0.0.1 and asks for basic auth', async () => {
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(registry.url).toBe(`http://${registry.host}`);
    const response = await v2Status(registry);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  });

  it('refuses a wrong password and accepts the right ones', async () => {
    expect((await v2Status(registry, { ...alice, password: 'not-her-password' })).status).toBe(401);
    expect((await v2Status(registry, { username: 'mallory', password: alice.password })).status).toBe(401);
    expect((await v2Status(registry, alice)).status).toBe(200);
    expect((await v2Status(registry, registry.admin)).status).toBe(200);
  });

  it('setUser replaces a password: the old one stops working', async () => {
    const renewed = { ...alice, password: 'alice-second-password' };
    await registry.setUser(renewed.username, renewed.password);
    expect((await v2Status(registry, renewed)).status).toBe(200);
    expect((await v2Status(registry, alice)).status).toBe(401);
    alice.password = renewed.password;
  });

  it('setUser adds a user and removeUser takes it away, leaving the others', async () => {
    const bob = { username: 'bob', password: 'bob-only-password' };
    expect((await v2Status(registry, bob)).status).toBe(401);
    await registry.setUser(bob.username, bob.password);
    expect((await v2Status(registry, bob)).status).toBe(200);
    await registry.removeUser(bob.username);
    expect((await v2Status(registry, bob)).status).toBe(401);
    expect((await v2Status(registry, alice)).status).toBe(200);
  });

  it('takes a real docker login and push, and sees the manifest and tag', async () => {
    const ref = `${registry.host}/hia/busybox:v1`;
    pushedRefs.push(ref);
    await docker(['tag', BUSYBOX_IMAGE, ref]);
    const env = { DOCKER_CONFIG: dockerConfig };
    const login = await docker(['login', registry.host, '--username', alice.username, '--password-stdin'], {
      stdin: alice.password,
      env,
    });
    expect(login.stdout).toMatch(/Login Succeeded/);

    const push = await docker(['push', ref], { env });
    const pushedDigest = /v1: digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
    expect(pushedDigest).toBeDefined();
    expect(await registry.manifestDigest('hia/busybox', 'v1')).toBe(pushedDigest);
    expect(await registry.manifestDigest('hia/busybox', pushedDigest ?? '')).toBe(pushedDigest);
    expect(await registry.tags('hia/busybox')).toEqual(['v1']);
    expect(await registry.manifestDigest('hia/busybox', 'v2')).toBeUndefined();
    expect(await registry.tags('hia/nothing-here')).toEqual([]);
    expect(registry.logs()).toMatch(/"PUT \/v2\/hia\/busybox\/manifests\/v1 HTTP\/1\.1" 201/);
  });

  it('refuses a docker login and a push with a wrong password', async () => {
    const ref = `${registry.host}/hia/busybox:wrong-password`;
    pushedRefs.push(ref);
    await docker(['tag', BUSYBOX_IMAGE, ref]);
    const wrongConfig = await makeTempDir('docker-config-wrong');
    try {
      const env = { DOCKER_CONFIG: wrongConfig };
      const login = await docker(['login', registry.host, '--username', alice.username, '--password-stdin'], {
        stdin: 'not-her-password',
        env,
        allowFailure: true,
      });
      expect(login.exitCode).not.toBe(0);
      expect(login.stderr).toMatch(/unauthorized/i);

      // What a stale credential looks like: written to the config without a login.
      const auth = Buffer.from(`${alice.username}:not-her-password`).toString('base64');
      await writeFile(
        join(wrongConfig, 'config.json'),
        JSON.stringify({ auths: { [registry.host]: { auth } } }),
      );
      const push = await docker(['push', ref], { env, allowFailure: true });
      expect(push.exitCode).not.toBe(0);
      expect(`${push.stdout}${push.stderr}`).toMatch(/unauthorized|no basic auth credentials/i);
      expect(await registry.tags('hia/busybox')).toEqual(['v1']);
    } finally {
      await removeDir(wrongConfig);
    }
  });
});

describe('TestRegistry.stop', () => {
  it('leaves no process, listening socket or files behind', async () => {
    const registry = await TestRegistry.start();
    const configDir = join(registry.storageDir, '..');
    expect(await processesMentioning(configDir)).toHaveLength(1);

    await registry.stop();
    expect(await processesMentioning(configDir)).toEqual([]);
    await expect(fetch(`${registry.url}/v2/`)).rejects.toThrow();
    expect(existsSync(configDir)).toBe(false);
  });
});

describe('TestRegistry on a kept directory and port', () => {
  it('serves what an earlier registry stored there, on the same port, and keeps the directory', async () => {
    const dir = await makeTempDir('registry-kept');
    try {
      const first = await TestRegistry.start({ dir });
      const content = Buffer.from('a layer kept between registries\n');
      const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
      const auth = { Authorization: basicAuth(first.admin) };
      const upload = await fetch(`${first.url}/v2/hia/kept/blobs/uploads/`, {
        method: 'POST',
        headers: auth,
      });
      await upload.arrayBuffer();
      expect(upload.status).toBe(202);
      const location = new URL(upload.headers.get('location') ?? '', first.url);
      location.searchParams.set('digest', digest);
      const put = await fetch(location, { method: 'PUT', headers: auth, body: content });
      await put.arrayBuffer();
      expect(put.status).toBe(201);
      const port = Number(first.host.split(':')[1]);
      await first.stop();
      expect(existsSync(join(dir, 'storage'))).toBe(true);

      const second = await TestRegistry.start({ dir, port });
      try {
        expect(second.host).toBe(first.host);
        const blob = await fetch(`${second.url}/v2/hia/kept/blobs/${digest}`, {
          headers: { Authorization: basicAuth(second.admin) },
        });
        expect(Buffer.from(await blob.arrayBuffer()).equals(content)).toBe(true);
        // The same port while it is taken is refused plainly rather than replaced by another.
        await expect(TestRegistry.start({ port })).rejects.toThrow(
          `registry: port ${port} on 127.0.0.1 is in use by another program`,
        );
      } finally {
        await second.stop();
      }
      expect(existsSync(join(dir, 'storage'))).toBe(true);
    } finally {
      await removeDir(dir);
    }
  });
});
