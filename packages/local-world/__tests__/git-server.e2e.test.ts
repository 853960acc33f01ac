import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { GitServer } from '../src/git-server.js';
import { waitFor } from '../src/net.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

const REPO = 'acme/images';
const RW = 'tok-rw-1111';
const RO = 'tok-ro-2222';
const OTHER = 'tok-other-3333';

interface ClientResult {
  code: number;
  stdout: string;
  stderr: string;
}

let server: GitServer;
let work: string;
let cloneCount = 0;

/** The real git client, with the token passed the way our actions do: env config, never argv or .git/config. */
function git(args: string[], options: { cwd?: string; token?: string; authorization?: string } = {}) {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: work,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Client',
    GIT_AUTHOR_EMAIL: 'client@example.invalid',
    GIT_COMMITTER_NAME: 'Client',
    GIT_COMMITTER_EMAIL: 'client@example.invalid',
  };
  const authorization =
    options.authorization ??
    (options.token === undefined
      ? undefined
      : `Basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`);
  if (authorization !== undefined) {
    env['GIT_CONFIG_COUNT'] = '1';
    env['GIT_CONFIG_KEY_0'] = 'http.extraHeader';
    env['GIT_CONFIG_VALUE_0'] = `Authorization: ${authorization}`;
  }
  return new Promise<ClientResult>((resolve, reject) => {
    const child = spawn('git', args, { cwd: options.cwd ?? work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function gitOk(args: string[], options: { cwd?: string; token?: string } = {}): Promise<string> {
  const result = await git(args, options);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim();
}

async function cloneAs(token: string, extraArgs: string[] = [], url = server.repoUrl(REPO)): Promise<string> {
  cloneCount += 1;
  const dir = join(work, `clone-${cloneCount}`);
  await gitOk(['clone', '--quiet', ...extraArgs, url, dir], { token });
  return dir;
}

async function commitLocally(dir: string, file: string, content: string, message: string): Promise<string> {
  await writeFile(join(dir, file), content);
  await gitOk(['add', file], { cwd: dir });
  await gitOk(['commit', '--quiet', '-m', message], { cwd: dir });
  return gitOk(['rev-parse', 'HEAD'], { cwd: dir });
}

function requestsSince(start: number) {
  return server.requests.slice(start);
}

beforeAll(async () => {
  work = await makeTempDir('git-server-test');
  server = await GitServer.start();
  await server.createRepo(REPO, {
    files: { 'README.md': 'hello\n', 'deployments/a/config/common.yaml': 'tag: one\n' },
    message: 'Initial import',
  });
  await server.createRepo('acme/other', { files: { 'x.txt': 'x\n' } });
  server.addToken(RW, { push: true, user: 'image-bot' });
  server.addToken(RO, { push: false, user: 'reader' });
  server.addToken(OTHER, { push: true, repos: ['acme/other'] });
});

afterAll(async () => {
  await server.stop();
  await removeDir(work);
});

describe('GitServer harness API', () => {
  it('creates bare repos with an initial commit on the default branch', async () => {
    expect(await server.branches(REPO)).toEqual(['main']);
    expect(await server.defaultBranch(REPO)).toBe('main');
    expect((await server.readFile(REPO, 'main', 'README.md'))?.toString()).toBe('hello\n');
    const log = await server.log(REPO, 'main');
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      subject: 'Initial import',
      author: 'Git Server Harness <harness@example.invalid>',
    });
    expect(await server.resolve(REPO, 'main')).toBe(log[0]?.sha);
  });

  it('commits into a new branch from the default branch, deleting and adding files', async () => {
    await server.createRepo('acme/scratch', { files: { 'a.txt': 'a\n', 'b.txt': 'b\n' } });
    const base = await server.resolve('acme/scratch', 'main');
    const sha = await server.commit(
      'acme/scratch',
      'feature/x',
      { 'a.txt': null, 'dir/c.bin': Buffer.from([0, 1, 2]) },
      'Change files',
      { name: 'Ada', email: 'ada@example.invalid' },
    );
    expect(await server.branches('acme/scratch')).toEqual(['feature/x', 'main']);
    expect(await server.resolve('acme/scratch', 'feature/x')).toBe(sha);
    expect(await server.resolve('acme/scratch', 'main')).toBe(base);
    expect(await server.readFile('acme/scratch', 'feature/x', 'a.txt')).toBeUndefined();
    expect(await server.readFile('acme/scratch', 'feature/x', 'dir/c.bin')).toEqual(Buffer.from([0, 1, 2]));
    expect((await server.readFile('acme/scratch', 'feature/x', 'b.txt'))?.toString()).toBe('b\n');
    const log = await server.log('acme/scratch', 'feature/x');
    expect(log.map((entry) => entry.subject)).toEqual(['Change files', 'Initial commit']);
    expect(log[0]?.author).toBe('Ada <ada@example.invalid>');
  });

  it('answers undefined for unknown refs and files', async () => {
    expect(await server.resolve(REPO, 'no-such-branch')).toBeUndefined();
    expect(await server.readFile(REPO, 'main', 'missing.txt')).toBeUndefined();
    expect(await server.hasRepo('acme/nope')).toBe(false);
    await expect(server.createRepo(REPO)).rejects.toThrow(/already exists/);
  });

  it('creates an empty repo whose first commit is a root commit', async () => {
    await server.createRepo('acme/empty', { branch: 'trunk' });
    expect(await server.branches('acme/empty')).toEqual([]);
    const sha = await server.commit('acme/empty', 'trunk', { 'f.txt': 'f\n' }, 'First');
    expect(await server.log('acme/empty', 'trunk')).toEqual([
      { sha, subject: 'First', author: 'Git Server Harness <harness@example.invalid>' },
    ]);
  });
});

describe('GitServer over smart HTTP with the real git client', () => {
  it('clones with a valid token, logs the requests and leaves the token out of .git/config', async () => {
    const start = server.requests.length;
    const dir = await cloneAs(RW);
    expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('hello\n');
    expect(await readFile(join(dir, '.git', 'config'), 'utf8')).not.toContain(RW);
    const log = requestsSince(start);
    expect(log).toContainEqual({
      method: 'GET',
      path: '/acme/images.git/info/refs',
      service: 'git-upload-pack',
      user: 'image-bot',
      status: 200,
    });
    expect(log).toContainEqual(
      expect.objectContaining({ method: 'POST', path: '/acme/images.git/git-upload-pack', status: 200 }),
    );
  });

  it('clones without the .git suffix too', async () => {
    const dir = await cloneAs(RO, [], `${server.url}/${REPO}`);
    expect(await readFile(join(dir, 'deployments/a/config/common.yaml'), 'utf8')).toBe('tag: one\n');
  });

  it('serves shallow, blobless, sparse clones', async () => {
    await server.commit(REPO, 'main', { 'later.txt': 'later\n' }, 'Second commit');
    const dir = await cloneAs(RO, ['--depth', '1', '--filter=blob:none', '--sparse']);
    expect(await gitOk(['rev-parse', '--is-shallow-repository'], { cwd: dir })).toBe('true');
    expect(await gitOk(['rev-list', '--count', 'HEAD'], { cwd: dir })).toBe('1');
    expect(await gitOk(['config', 'remote.origin.promisor'], { cwd: dir })).toBe('true');
    await expect(readFile(join(dir, 'deployments/a/config/common.yaml'))).rejects.toThrow();
    // Widening the sparse set fetches the missing blobs lazily over the same authenticated remote.
    await gitOk(['sparse-checkout', 'set', 'deployments'], { cwd: dir, token: RO });
    expect(await readFile(join(dir, 'deployments/a/config/common.yaml'), 'utf8')).toBe('tag: one\n');
  });

  it('refuses a clone without a token, with an unknown token, and for a repo the token cannot see', async () => {
    const start = server.requests.length;
    const anonymous = await git(['clone', server.repoUrl(REPO), join(work, 'anon')]);
    expect(anonymous.code).not.toBe(0);
    const wrong = await git(['clone', server.repoUrl(REPO), join(work, 'wrong')], { token: 'tok-unknown' });
    expect(wrong.code).not.toBe(0);
    const hidden = await git(['clone', server.repoUrl(REPO), join(work, 'hidden')], { token: OTHER });
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toContain('Repository not found.');
    const missing = await git(['clone', server.repoUrl('acme/missing'), join(work, 'missing')], {
      token: RW,
    });
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Repository not found.');
    const statuses = requestsSince(start).map((r) => r.status);
    expect(statuses).toEqual([401, 401, 404, 404]);
  });

  it('answers 401 with a Basic challenge and 403 for a push by a read-only token, at the HTTP level', async () => {
    const anonymous = await fetch(`${server.repoUrl(REPO)}/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    const auth = { authorization: `Basic ${Buffer.from(`anyone:${RO}`).toString('base64')}` };
    const readOnlyPush = await fetch(`${server.repoUrl(REPO)}/info/refs?service=git-receive-pack`, {
      headers: auth,
    });
    expect(readOnlyPush.status).toBe(403);
    expect(await readOnlyPush.text()).toBe('Permission to acme/images.git denied to reader.\n');
    const readOnlyPost = await fetch(`${server.repoUrl(REPO)}/git-receive-pack`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-git-receive-pack-request' },
      body: '0000',
    });
    expect(readOnlyPost.status).toBe(403);
  });

  it('refuses a push by a read-only token and leaves the branch unchanged', async () => {
    const before = await server.resolve(REPO, 'main');
    const dir = await cloneAs(RO);
    await commitLocally(dir, 'ro.txt', 'nope\n', 'Read-only push');
    const start = server.requests.length;
    const push = await git(['push', 'origin', 'HEAD:main'], { cwd: dir, token: RO });
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('Permission to acme/images.git denied to reader.');
    expect(push.stderr).toContain('403');
    expect(await server.resolve(REPO, 'main')).toBe(before);
    expect(requestsSince(start)).toContainEqual(
      expect.objectContaining({ service: 'git-receive-pack', user: 'reader', status: 403 }),
    );
  });

  it('accepts a push by a push token, visible through resolve and readFile', async () => {
    const dir = await cloneAs(RW);
    const sha = await commitLocally(dir, 'pushed.txt', 'pushed\n', 'Pushed by client');
    const start = server.requests.length;
    await gitOk(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir, token: RW });
    expect(await server.resolve(REPO, 'main')).toBe(sha);
    expect((await server.readFile(REPO, 'main', 'pushed.txt'))?.toString()).toBe('pushed\n');
    expect(requestsSince(start)).toContainEqual({
      method: 'POST',
      path: '/acme/images.git/git-receive-pack',
      service: 'git-receive-pack',
      user: 'image-bot',
      status: 200,
    });
    await gitOk(['push', '--quiet', 'origin', 'HEAD:refs/heads/new-branch'], { cwd: dir, token: RW });
    expect(await server.branches(REPO)).toContain('new-branch');
  });

  it('rejects pushes through the pre-receive hook exactly `times` times', async () => {
    await server.createRepo('acme/guarded', { files: { 'a.txt': 'a\n' } });
    server.rejectPushes('acme/guarded', { message: 'Pushes are frozen for maintenance', times: 1 });
    const dir = await cloneAs(RW, [], server.repoUrl('acme/guarded'));
    const sha = await commitLocally(dir, 'b.txt', 'b\n', 'Guarded change');
    const first = await git(['push', 'origin', 'HEAD:main'], { cwd: dir, token: RW });
    expect(first.code).not.toBe(0);
    expect(first.stderr).toContain('remote: Pushes are frozen for maintenance');
    expect(first.stderr).toContain('pre-receive hook declined');
    expect(await server.resolve('acme/guarded', 'main')).not.toBe(sha);
    await gitOk(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir, token: RW });
    expect(await server.resolve('acme/guarded', 'main')).toBe(sha);
  });

  it('lets a beforeReceive hook win the race, so the client push is non-fast-forward until it rebases', async () => {
    await server.createRepo('acme/racy', { files: { 'a.txt': 'a\n' } });
    const dir = await cloneAs(RW, [], server.repoUrl('acme/racy'));
    const clientSha = await commitLocally(dir, 'client.txt', 'client\n', 'Client change');
    let competing = '';
    let hookRuns = 0;
    server.beforeReceive(
      'acme/racy',
      async (bareDir) => {
        hookRuns += 1;
        expect(bareDir).toBe(server.repoDir('acme/racy'));
        competing = await server.commit('acme/racy', 'main', { 'other.txt': 'other\n' }, 'Competing change');
      },
      { times: 1 },
    );
    const rejected = await git(['push', 'origin', 'HEAD:main'], { cwd: dir, token: RW });
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toMatch(/rejected/);
    expect(rejected.stderr).toMatch(/fetch first|non-fast-forward/);
    expect(await server.resolve('acme/racy', 'main')).toBe(competing);

    await gitOk(['pull', '--quiet', '--rebase', 'origin', 'main'], { cwd: dir, token: RW });
    await gitOk(['push', '--quiet', 'origin', 'HEAD:main'], { cwd: dir, token: RW });
    expect(hookRuns).toBe(1);
    const subjects = (await server.log('acme/racy', 'main')).map((entry) => entry.subject);
    expect(subjects).toEqual(['Client change', 'Competing change', 'Initial commit']);
    expect(await server.resolve('acme/racy', 'main')).not.toBe(clientSha); // rebased, so a new sha
  });

  it('can instead run the beforeReceive hook just before the pack reaches git, failing the ref update', async () => {
    await server.createRepo('acme/racy-pack', { files: { 'a.txt': 'a\n' } });
    const dir = await cloneAs(RW, [], server.repoUrl('acme/racy-pack'));
    await commitLocally(dir, 'client.txt', 'client\n', 'Client change');
    let competing = '';
    server.beforeReceive(
      'acme/racy-pack',
      async () => {
        competing = await server.commit('acme/racy-pack', 'main', { 'other.txt': 'x\n' }, 'Competing');
      },
      { times: 1, stage: 'pack' },
    );
    const rejected = await git(['push', 'origin', 'HEAD:main'], { cwd: dir, token: RW });
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toContain('[remote rejected] HEAD -> main (failed to update ref)');
    expect(await server.resolve('acme/racy-pack', 'main')).toBe(competing);
  });

  it('runs a beforeUpload hook before each ref advertisement to a fetch, so a branch can vanish between ls-remote and fetch', async () => {
    await server.createRepo('acme/vanishing', { files: { 'a.txt': 'a\n' } });
    await server.commit('acme/vanishing', 'topic', { 'b.txt': 'b\n' }, 'Topic');
    const dir = await cloneAs(RW, [], server.repoUrl('acme/vanishing'));
    let hookRuns = 0;
    server.beforeUpload(
      'acme/vanishing',
      async () => {
        hookRuns += 1;
        if (hookRuns === 2) await server.runGit('acme/vanishing', ['update-ref', '-d', 'refs/heads/topic']);
      },
      { times: 2 },
    );
    const listed = await gitOk(['ls-remote', '--heads', 'origin', 'refs/heads/topic'], {
      cwd: dir,
      token: RW,
    });
    expect(listed).toMatch(/\trefs\/heads\/topic$/m);
    const fetched = await git(['fetch', 'origin', '+refs/heads/topic:refs/remotes/origin/topic'], {
      cwd: dir,
      token: RW,
    });
    expect(fetched.code).not.toBe(0);
    expect(fetched.stderr).toContain("couldn't find remote ref refs/heads/topic");
    await gitOk(['fetch', '--quiet', 'origin'], { cwd: dir, token: RW });
    expect(hookRuns).toBe(2);
  });

  it('hands gzip-encoded request bodies to http-backend', async () => {
    const head = await server.resolve(REPO, 'main');
    const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;
    const body = gzipSync(Buffer.from(`${pkt(`want ${head}\n`)}0000${pkt('done\n')}`));
    const response = await new Promise<{ status: number; type: string; data: Buffer }>((resolve, reject) => {
      const req = request(
        `${server.repoUrl(REPO)}/git-upload-pack`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`x-access-token:${RO}`).toString('base64')}`,
            'content-type': 'application/x-git-upload-pack-request',
            'content-encoding': 'gzip',
            'content-length': body.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: res.headers['content-type'] ?? '',
              data: Buffer.concat(chunks),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(response.status).toBe(200);
    expect(response.type).toBe('application/x-git-upload-pack-result');
    expect(response.data.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(response.data.includes(Buffer.from('PACK'))).toBe(true);
  });
});

describe('GitServer.stop', () => {
  it('closes the port and removes the repos', async () => {
    const temporary = await GitServer.start();
    const dir = await temporary.createRepo('acme/tmp', { files: { 'a.txt': 'a\n' } });
    temporary.addToken('t', { push: true });
    const url = temporary.repoUrl('acme/tmp');
    const ok = await fetch(`${url}/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from('x:t').toString('base64')}` },
    });
    expect(ok.status).toBe(200);
    await ok.arrayBuffer();
    await temporary.stop();
    await expect(fetch(`${url}/info/refs`)).rejects.toThrow();
    await expect(readFile(join(dir, 'HEAD'))).rejects.toThrow();
  });
});

/** Live `git http-backend` processes serving `git`'s repos, found in /proc by their GIT_PROJECT_ROOT. */
function backendsOf(git: GitServer): number[] {
  const projectRoot = dirname(dirname(git.repoDir('a/b')));
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        return env.includes(`GIT_PROJECT_ROOT=${projectRoot}`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Sends a push's POST with a body shorter than its Content-Length, and keeps the connection open. */
async function startCutShortPush(git: GitServer, repo: string, token: string): Promise<Socket> {
  const socket = connect(Number(new URL(git.url).port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const auth = Buffer.from(`x-access-token:${token}`).toString('base64');
  socket.write(
    `POST /${repo}.git/git-receive-pack HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic ${auth}\r\n` +
      'Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 100000\r\n\r\n' +
      '0094'.padEnd(2000, '0'),
  );
  return socket;
}

async function hangUp(socket: Socket): Promise<void> {
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.destroy();
  await closed;
}

describe('GitServer when a client goes away', () => {
  const repo = 'acme/abandoned';
  beforeAll(async () => {
    await server.createRepo(repo, { files: { 'a.txt': 'a\n' } });
  });

  it('ends git http-backend when a pushing client hangs up mid-upload', async () => {
    const client = await startCutShortPush(server, repo, RW);
    const [backend] = await waitFor('the backend for the push', async () => {
      const running = backendsOf(server);
      return running.length > 0 ? running : undefined;
    });
    expect(server.runningBackends).toEqual([backend]);
    await hangUp(client);
    await waitFor('the backend to end', async () =>
      backendsOf(server).length === 0 && server.runningBackends.length === 0 ? true : undefined,
    );
  });

  it('starts no git http-backend for a client that left while a hook ran', async () => {
    const clients: Socket[] = [];
    let hookRan = false;
    server.beforeReceive(
      repo,
      async () => {
        for (const client of clients) await hangUp(client);
        // A git run of its own: the server's event loop sees the hang-up meanwhile.
        await server.resolve(repo, 'main');
        hookRan = true;
      },
      { stage: 'pack', times: 1 },
    );
    clients.push(await startCutShortPush(server, repo, RW));
    // The server goes on with the request as soon as the hook is done, before this looks.
    await waitFor('the hook to run', async () => (hookRan ? true : undefined));
    await waitFor('no backend to run', async () => (backendsOf(server).length === 0 ? true : undefined));
    expect(server.runningBackends).toEqual([]);
    // Still serving: a real push goes through.
    const dir = await cloneAs(RW, [], server.repoUrl(repo));
    await commitLocally(dir, 'b.txt', 'b\n', 'After the hang-up');
    expect((await git(['push', 'origin', 'HEAD:main'], { cwd: dir, token: RW })).code).toBe(0);
  });
});

describe('GitServer on a kept root and port', () => {
  it('serves the repos an earlier server made there, at the same URL, and leaves the root on stop', async () => {
    const root = await makeTempDir('git-server-kept');
    try {
      const first = await GitServer.start({ root });
      const sha = await first
        .createRepo('acme/kept', { files: { 'a.txt': 'a\n' } })
        .then(() => first.commit('acme/kept', 'main', { 'b.txt': 'b\n' }, 'Second'));
      const url = first.repoUrl('acme/kept');
      const port = Number(new URL(first.url).port);
      await first.stop();
      expect(await readFile(join(root, 'repos', 'acme', 'kept.git', 'HEAD'), 'utf8')).toBe(
        'ref: refs/heads/main\n',
      );

      const second = await GitServer.start({ root, port });
      try {
        expect(second.repoUrl('acme/kept')).toBe(url);
        expect(await second.resolve('acme/kept', 'refs/heads/main')).toBe(sha);
        second.addToken('kept-token', { push: false });
        const dir = join(work, 'kept-clone');
        await gitOk(['clone', '--quiet', url, dir], { token: 'kept-token' });
        expect(await readFile(join(dir, 'b.txt'), 'utf8')).toBe('b\n');
      } finally {
        await second.stop();
      }
    } finally {
      await removeDir(root);
    }
  });
});
