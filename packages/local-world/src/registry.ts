import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from './docker-engine.js';
import { freePort, portIsFree, waitFor } from './net.js';
import { trackProcess } from './processes.js';
import { makeTempDir, removeDir } from './tmp.js';

export interface TestRegistryOptions {
  /** Users besides the admin, username → password. */
  users?: Record<string, string>;
  /**
   * A directory to keep: config, htpasswd and storage live there, and `stop()` leaves it, so a later registry
   * started on it serves the same images. Default: a fresh temp dir, removed by `stop()`.
   */
  dir?: string;
  /** Listen on this port (an image name holds it, so a kept registry needs the same one). Default: a free one. */
  port?: number;
}

export interface Credentials {
  username: string;
  password: string;
}

/** Accept headers for a manifest HEAD/GET: Docker v2 and OCI, single images and indexes. */
export const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

const REGISTRY_BIN = '/usr/bin/docker-registry';

interface HtpasswdEntry {
  password: string;
  /** `user:$2y$…`, bcrypt: the only hash distribution accepts. */
  line: string;
}

export function basicAuth({ username, password }: Credentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A bcrypt htpasswd line; the password goes to htpasswd on stdin. */
async function htpasswdLine(username: string, password: string): Promise<string> {
  const { stdout } = await runCommand('htpasswd', ['-niB', username], { stdin: password });
  const line = stdout.split('\n')[0]?.trim() ?? '';
  if (!line.startsWith(`${username}:$2`)) throw new Error(`htpasswd gave no bcrypt entry for ${username}`);
  return line;
}

function tailLines(text: string, count = 30): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/**
 * Debian's docker-registry (distribution 2.8) on 127.0.0.1 with htpasswd (bcrypt) auth and deletes enabled.
 * Docker treats 127.0.0.0/8 as an insecure registry, so plain http works for `docker push`.
 */
export class TestRegistry {
  readonly host: string;
  readonly url: string;
  readonly admin: Credentials;
  readonly storageDir: string;
  private readonly dir: string;
  private readonly keepDir: boolean;
  private readonly htpasswdPath: string;
  private readonly process: ChildProcess;
  private readonly users: Map<string, HtpasswdEntry>;
  private output = '';
  private readonly exited: Promise<void>;
  private running = true;

  private constructor(
    dir: string,
    keepDir: boolean,
    port: number,
    admin: Credentials,
    users: Map<string, HtpasswdEntry>,
  ) {
    this.dir = dir;
    this.keepDir = keepDir;
    this.users = users;
    this.host = `127.0.0.1:${port}`;
    this.url = `http://${this.host}`;
    this.admin = admin;
    this.storageDir = join(dir, 'storage');
    this.htpasswdPath = join(dir, 'htpasswd');
    this.process = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackProcess(this.process, `docker-registry at ${this.url}`, { group: false });
    const collect = (chunk: Buffer) => (this.output += chunk.toString('utf8'));
    this.process.stdout?.on('data', collect);
    this.process.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => {
      this.process.on('error', (error) => {
        this.output += `\n[harness] could not start ${REGISTRY_BIN}: ${error.message}\n`;
        this.running = false;
        resolve();
      });
      this.process.on('exit', () => {
        this.running = false;
        resolve();
      });
    });
  }

  static async start(options: TestRegistryOptions = {}): Promise<TestRegistry> {
    const admin = { username: 'admin', password: randomBytes(12).toString('hex') };
    const users = new Map<string, HtpasswdEntry>();
    for (const [username, password] of Object.entries({
      ...options.users,
      [admin.username]: admin.password,
    })) {
      users.set(username, { password, line: await htpasswdLine(username, password) });
    }
    // A port in use would answer the readiness probe itself: refuse it before starting.
    if (options.port !== undefined && !(await portIsFree(options.port))) {
      throw new Error(`registry: port ${options.port} on 127.0.0.1 is in use by another program`);
    }
    let lastError: unknown;
    // freePort can race with another process binding the same port; try a few (a port given is tried once).
    for (let attempt = 0; attempt < (options.port === undefined ? 3 : 1); attempt++) {
      const keepDir = options.dir !== undefined;
      const dir = options.dir ?? (await makeTempDir('registry'));
      const port = options.port ?? (await freePort());
      await writeConfig(dir, port);
      await writeFile(join(dir, 'htpasswd'), htpasswdText(users));
      const registry = new TestRegistry(dir, keepDir, port, admin, new Map(users));
      try {
        await registry.waitUntilStatus(undefined, 401, 'its /v2/ endpoint');
        return registry;
      } catch (error) {
        lastError = error;
        const inUse = /address already in use/.test(registry.output);
        await registry.stop();
        if (inUse && options.port !== undefined) {
          throw new Error(`registry: port ${options.port} on 127.0.0.1 is in use by another program`, {
            cause: error,
          });
        }
        if (!inUse) break;
      }
    }
    throw lastError;
  }

  /** Adds or replaces a user; resolves once the registry accepts the new password. */
  async setUser(username: string, password: string): Promise<void> {
    this.users.set(username, { password, line: await htpasswdLine(username, password) });
    await this.writeHtpasswd();
    await this.waitUntilStatus({ username, password }, 200, `user ${username} to be accepted`);
  }

  /** Removes a user; resolves once the registry refuses it. */
  async removeUser(username: string): Promise<void> {
    const entry = this.users.get(username);
    if (entry === undefined) return;
    this.users.delete(username);
    await this.writeHtpasswd();
    await this.waitUntilStatus({ username, password: entry.password }, 401, `user ${username} to be refused`);
  }

  /** The Docker-Content-Digest of a manifest (by tag or digest), or undefined when there is none. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const response = await fetch(`${this.url}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { Authorization: basicAuth(this.admin), Accept: MANIFEST_ACCEPT },
    });
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`HEAD manifest ${repository}:${reference} answered ${response.status}`);
    return response.headers.get('docker-content-digest') ?? undefined;
  }

  async tags(repository: string): Promise<string[]> {
    const response = await fetch(`${this.url}/v2/${repository}/tags/list`, {
      headers: { Authorization: basicAuth(this.admin) },
    });
    if (response.status === 404) return [];
    if (!response.ok) throw new Error(`GET tags of ${repository} answered ${response.status}`);
    const body = (await response.json()) as { tags?: string[] | null };
    return body.tags ?? [];
  }

  /** The registry's own log (stdout and stderr) so far. */
  logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.process.kill('SIGTERM');
      const killTimer = setTimeout(() => this.process.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(killTimer);
    }
    if (!this.keepDir) await removeDir(this.dir);
  }

  private async writeHtpasswd(): Promise<void> {
    // distribution re-reads the file when its mtime changes; a rename makes the switch atomic.
    const temporary = `${this.htpasswdPath}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(temporary, htpasswdText(this.users));
    await rename(temporary, this.htpasswdPath);
  }

  private async waitUntilStatus(credentials: Credentials | undefined, status: number, what: string) {
    try {
      await waitFor(
        what,
        async () => {
          if (!this.running) throw new Error('the registry exited');
          const headers: Record<string, string> = credentials
            ? { Authorization: basicAuth(credentials) }
            : {};
          const response = await fetch(`${this.url}/v2/`, { headers });
          await response.arrayBuffer();
          return response.status === status ? true : undefined;
        },
        { timeoutMs: 15_000 },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `registry at ${this.url}: ${message}\n--- registry log ---\n${tailLines(this.output)}`,
        {
          cause: error,
        },
      );
    }
  }
}

function htpasswdText(users: Map<string, HtpasswdEntry>): string {
  return [...users.values()].map(({ line }) => `${line}\n`).join('');
}

async function writeConfig(dir: string, port: number): Promise<void> {
  await mkdir(join(dir, 'storage'), { recursive: true });
  const config = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', fields: { service: 'registry' } },
    storage: {
      filesystem: { rootdirectory: join(dir, 'storage') },
      delete: { enabled: true },
      cache: { blobdescriptor: 'inmemory' },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: randomBytes(16).toString('hex'),
      headers: { 'X-Content-Type-Options': ['nosniff'] },
    },
    auth: { htpasswd: { realm: 'hia-test-registry', path: join(dir, 'htpasswd') } },
    health: { storagedriver: { enabled: false } },
  };
  await writeFile(join(dir, 'config.yml'), stringify(config));
}
