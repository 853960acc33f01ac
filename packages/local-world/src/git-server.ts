import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { trackProcess } from './processes.js';
import { makeTempDir, removeDir } from './tmp.js';

/** What a token may do on the git server. */
export interface TokenGrant {
  push: boolean;
  /** 'owner/name' the token can see; default all. */
  repos?: string[];
  /** Login the token acts as, named in denials and the request log; default: the Basic auth username. */
  user?: string;
}

export interface GitRequestRecord {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** 'git-upload-pack' or 'git-receive-pack' when the request belongs to one. */
  service?: string;
  user?: string;
  status: number;
}

export interface RepoInit {
  /** Default branch; 'main' unless given. */
  branch?: string;
  /** Files of an initial commit; without them the repo starts empty. */
  files?: Record<string, string | Buffer>;
  message?: string;
}

export interface CommitAuthor {
  name: string;
  email: string;
}

export interface LogEntry {
  sha: string;
  subject: string;
  /** 'Name <email>' */
  author: string;
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/**
 * When a beforeReceive hook runs. 'advertise': before the push's ref advertisement
 * (GET info/refs?service=git-receive-pack), so the client sees a remote it lacks and refuses with
 * "fetch first". 'pack': before the POST reaches git, so git's ref lock fails ("failed to update ref").
 */
export type ReceiveStage = 'advertise' | 'pack';

interface CountedHook {
  hook: (bareDir: string) => Promise<void>;
  stage: ReceiveStage;
  remaining: number;
}

export interface GitServerOptions {
  /**
   * A directory to keep: the bare repos live in its `repos/`, and `stop()` leaves it, so a later server started on
   * it serves the same repos. Default: a fresh temp dir, removed by `stop()`.
   */
  root?: string;
  /** Listen on this port, e.g. so that URLs recorded by an earlier server stay valid. Default: a free one. */
  port?: number;
}

const HARNESS_AUTHOR: CommitAuthor = { name: 'Git Server Harness', email: 'harness@example.invalid' };
const ZERO_SHA = '0'.repeat(40);
const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const GIT_SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

// Keep the machine's and the user's git config out of every git we run.
function isolatedGitEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LANG: 'C',
  };
}

/** Smart HTTP git server on 127.0.0.1: `git http-backend` behind GitHub-like token auth. */
export class GitServer {
  readonly url: string;
  private readonly tokens = new Map<string, TokenGrant>();
  private readonly receiveHooks = new Map<string, CountedHook>();
  private readonly uploadHooks = new Map<string, { hook: () => Promise<void>; remaining: number }>();
  private readonly commitQueues = new Map<string, Promise<unknown>>();
  private readonly children = new Set<ChildProcess>();
  private readonly backends = new Set<ChildProcess>();
  private readonly requestLog: GitRequestRecord[] = [];
  private readonly projectRoot: string;

  private constructor(
    private readonly server: Server,
    private readonly root: string,
    private readonly keepRoot: boolean,
    port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.projectRoot = join(root, 'repos');
  }

  static async start(options: GitServerOptions = {}): Promise<GitServer> {
    const root = options.root ?? (await makeTempDir('git-server'));
    await mkdir(join(root, 'repos'), { recursive: true });
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const gitServer = new GitServer(server, root, options.root !== undefined, port);
    server.on('request', (req, res) => {
      gitServer.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`harness error: ${error instanceof Error ? error.message : String(error)}\n`);
      });
    });
    return gitServer;
  }

  get requests(): ReadonlyArray<GitRequestRecord> {
    return this.requestLog;
  }

  repoUrl(fullName: string): string {
    return `${this.url}/${fullName}.git`;
  }

  /** The bare repository's directory. */
  repoDir(fullName: string): string {
    return join(this.projectRoot, `${fullName}.git`);
  }

  addToken(token: string, grant: TokenGrant): void {
    this.tokens.set(token, grant);
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  async hasRepo(fullName: string): Promise<boolean> {
    if (!REPO_NAME.test(fullName) || fullName.includes('..')) return false;
    try {
      await access(join(this.repoDir(fullName), 'HEAD'));
      return true;
    } catch {
      return false;
    }
  }

  async createRepo(fullName: string, init: RepoInit = {}): Promise<string> {
    if (!REPO_NAME.test(fullName) || fullName.includes('..')) throw new Error(`bad repo name ${fullName}`);
    if (await this.hasRepo(fullName)) throw new Error(`repo ${fullName} already exists`);
    const dir = this.repoDir(fullName);
    const branch = init.branch ?? 'main';
    await this.gitChecked(['init', '--quiet', '--bare', `--initial-branch=${branch}`, dir]);
    const settings: Array<[string, string]> = [
      ['http.receivepack', 'true'],
      ['uploadpack.allowFilter', 'true'],
      ['uploadpack.allowAnySHA1InWant', 'true'],
      // No background gc: it would outlive stop().
      ['gc.auto', '0'],
      ['receive.autogc', 'false'],
    ];
    for (const [key, value] of settings) await this.gitChecked(['config', key, value], { cwd: dir });
    if (init.files !== undefined) {
      await this.commit(fullName, branch, init.files, init.message ?? 'Initial commit');
    }
    return dir;
  }

  /** Runs a git command inside the bare repo (for read-only queries such as rev-list or diff). */
  runGit(fullName: string, args: string[]): Promise<GitResult> {
    return this.git(args, { cwd: this.repoDir(fullName) });
  }

  /** The branch HEAD points at. */
  async defaultBranch(fullName: string): Promise<string> {
    const result = await this.gitChecked(['symbolic-ref', '--short', 'HEAD'], {
      cwd: this.repoDir(fullName),
    });
    return result.stdout.toString().trim();
  }

  /**
   * Commits `changes` (null deletes a path) on top of `branch`, or of the default branch when `branch`
   * does not exist yet. Uses plumbing with a private index, so no worktree and no hooks.
   */
  commit(
    fullName: string,
    branch: string,
    changes: Record<string, string | Buffer | null>,
    message: string,
    author: CommitAuthor = HARNESS_AUTHOR,
  ): Promise<string> {
    // One harness commit at a time per repo, so two calls never race on the same ref.
    const previous = this.commitQueues.get(fullName) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(() => this.commitNow(fullName, branch, changes, message, author));
    this.commitQueues.set(fullName, next);
    return next;
  }

  async readFile(fullName: string, ref: string, path: string): Promise<Buffer | undefined> {
    const result = await this.git(['cat-file', 'blob', `${ref}:${path}`], { cwd: this.repoDir(fullName) });
    return result.code === 0 ? result.stdout : undefined;
  }

  async resolve(fullName: string, ref: string): Promise<string | undefined> {
    const result = await this.git(
      ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
      {
        cwd: this.repoDir(fullName),
      },
    );
    return result.code === 0 ? result.stdout.toString().trim() : undefined;
  }

  /** Commits reachable from `ref`, newest first. */
  async log(fullName: string, ref: string): Promise<LogEntry[]> {
    const result = await this.gitChecked(
      ['log', '--format=%H%x00%s%x00%an <%ae>', '--end-of-options', ref, '--'],
      {
        cwd: this.repoDir(fullName),
      },
    );
    return result.stdout
      .toString()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [sha = '', subject = '', author = ''] = line.split('\0');
        return { sha, subject, author };
      });
  }

  async branches(fullName: string): Promise<string[]> {
    const result = await this.gitChecked(['for-each-ref', '--format=%(refname:short)', 'refs/heads/'], {
      cwd: this.repoDir(fullName),
    });
    return result.stdout
      .toString()
      .split('\n')
      .filter((line) => line !== '');
  }

  /**
   * Installs a pre-receive hook that refuses the next `times` pushes (every push when omitted);
   * the client sees `message` as "remote: …".
   */
  rejectPushes(fullName: string, options: { message: string; times?: number }): void {
    const hooks = join(this.repoDir(fullName), 'hooks');
    const remaining = options.times === undefined ? 'always' : String(options.times);
    const script = [
      '#!/bin/sh',
      '# Installed by the git server harness: refuses pushes while hia-reject-remaining allows.',
      'hooks="$(dirname "$0")"',
      'cat >/dev/null',
      'remaining="$(cat "$hooks/hia-reject-remaining")"',
      '[ "$remaining" = "0" ] && exit 0',
      '[ "$remaining" != "always" ] && echo $((remaining - 1)) >"$hooks/hia-reject-remaining"',
      'cat "$hooks/hia-reject-message" >&2',
      'exit 1',
      '',
    ].join('\n');
    writeFileSync(join(hooks, 'hia-reject-message'), `${options.message}\n`);
    writeFileSync(join(hooks, 'hia-reject-remaining'), `${remaining}\n`);
    writeFileSync(join(hooks, 'pre-receive'), script, { mode: 0o755 });
    chmodSync(join(hooks, 'pre-receive'), 0o755);
  }

  /**
   * Runs `hook` as the next `times` pushes (every one when omitted) start, e.g. to commit to the
   * branch the client is pushing so its push is no longer a fast-forward. See ReceiveStage for when.
   */
  beforeReceive(
    fullName: string,
    hook: (bareDir: string) => Promise<void>,
    options: { times?: number; stage?: ReceiveStage } = {},
  ): void {
    this.receiveHooks.set(fullName, {
      hook,
      stage: options.stage ?? 'advertise',
      remaining: options.times ?? Number.POSITIVE_INFINITY,
    });
  }

  /**
   * Runs `hook` as the next `times` fetches, clones and ls-remotes (every one when omitted) start, before their ref
   * advertisement (GET info/refs?service=git-upload-pack), e.g. to move or delete a branch between a client's
   * ls-remote and its fetch.
   */
  beforeUpload(fullName: string, hook: () => Promise<void>, options: { times?: number } = {}): void {
    this.uploadHooks.set(fullName, { hook, remaining: options.times ?? Number.POSITIVE_INFINITY });
  }

  /** Process ids of the `git http-backend` programs answering requests right now. */
  get runningBackends(): number[] {
    return [...this.backends].flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  async stop(): Promise<void> {
    const exited = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) =>
          child.exitCode !== null ? resolve() : child.once('close', () => resolve()),
        ),
    );
    for (const child of this.children) killGroup(child);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await Promise.all(exited);
    await Promise.allSettled([...this.commitQueues.values()]);
    if (!this.keepRoot) await removeDir(this.root);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const target = parseRepoPath(url.pathname);
    const service =
      url.searchParams.get('service') ?? (target && GIT_SERVICES.has(target.rest) ? target.rest : undefined);
    const credentials = parseBasicAuth(req.headers.authorization);
    const grant = credentials ? this.tokens.get(credentials.password) : undefined;
    const user = grant?.user ?? credentials?.user;
    // Watched from the start: a client can leave while a hook runs, before git is started for it.
    const client = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) client.abort();
    });
    res.on('finish', () => {
      this.requestLog.push({
        method,
        path: url.pathname,
        ...(service === undefined ? {} : { service }),
        ...(user === undefined ? {} : { user }),
        status: res.statusCode,
      });
    });

    if (credentials === undefined) {
      return sendText(res, 401, 'Authentication required.', { 'www-authenticate': 'Basic realm="GitHub"' });
    }
    if (grant === undefined) {
      return sendText(
        res,
        401,
        'Invalid username or token. Password authentication is not supported for Git operations.',
        { 'www-authenticate': 'Basic realm="GitHub"' },
      );
    }
    // GitHub answers 404 for repos a token cannot see, exactly as for missing ones.
    if (
      target === undefined ||
      !(await this.hasRepo(target.fullName)) ||
      (grant.repos !== undefined && !grant.repos.includes(target.fullName))
    ) {
      return sendText(res, 404, 'Repository not found.');
    }
    if (service === 'git-receive-pack' && !grant.push) {
      return sendText(res, 403, `Permission to ${target.fullName}.git denied to ${user ?? 'unknown'}.`);
    }
    if (service === 'git-receive-pack') {
      await this.runReceiveHook(target.fullName, method === 'POST' ? 'pack' : 'advertise');
    }
    const upload = this.uploadHooks.get(target.fullName);
    if (service === 'git-upload-pack' && method === 'GET' && upload !== undefined && upload.remaining > 0) {
      upload.remaining -= 1;
      await upload.hook();
    }
    await this.runBackend(req, res, url, target, user ?? '', client.signal);
  }

  private async runReceiveHook(fullName: string, stage: ReceiveStage): Promise<void> {
    const pending = this.receiveHooks.get(fullName);
    if (pending === undefined || pending.stage !== stage || pending.remaining <= 0) return;
    pending.remaining -= 1;
    await pending.hook(this.repoDir(fullName));
  }

  /** Hands the request to `git http-backend` as a CGI program and streams its answer back. */
  private async runBackend(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    target: RepoPath,
    user: string,
    clientGone: AbortSignal,
  ): Promise<void> {
    if (clientGone.aborted) return;
    const env: NodeJS.ProcessEnv = {
      ...isolatedGitEnv(this.root),
      GIT_PROJECT_ROOT: this.projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${target.fullName}.git/${target.rest}`,
      REQUEST_METHOD: req.method ?? 'GET',
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    };
    const contentLength = req.headers['content-length'];
    if (contentLength !== undefined) env['CONTENT_LENGTH'] = contentLength;
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined) env['HTTP_CONTENT_ENCODING'] = encoding;
    const protocol = req.headers['git-protocol'];
    if (typeof protocol === 'string') env['HTTP_GIT_PROTOCOL'] = protocol;

    // Own process group, so killing it also ends the upload-pack/receive-pack it starts.
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.children.add(child);
    this.backends.add(child);
    trackProcess(child, `git http-backend of the git server at ${this.url}`, { group: true });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // the backend may answer before reading everything
    req.pipe(child.stdin);
    // Nobody reads the answer any more, and git 2.39's http-backend spins on a request body cut short.
    const endBackend = () => killGroup(child);
    clientGone.addEventListener('abort', endBackend, { once: true });

    await new Promise<void>((resolve) => {
      let head = Buffer.alloc(0);
      let headersDone = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          if (!res.write(chunk)) {
            child.stdout.pause();
            res.once('drain', () => child.stdout.resume());
          }
          return;
        }
        head = Buffer.concat([head, chunk]);
        const parsed = parseCgiHead(head);
        if (parsed === undefined) return;
        headersDone = true;
        res.writeHead(parsed.status, parsed.headers);
        if (parsed.body.length > 0) res.write(parsed.body);
      });
      child.on('error', (error) => {
        stderr += error.message;
      });
      child.on('close', (code) => {
        this.children.delete(child);
        this.backends.delete(child);
        clientGone.removeEventListener('abort', endBackend);
        if (!headersDone) {
          sendText(res, 500, `git http-backend exited with ${code}: ${stderr.trim()}`);
        } else {
          res.end();
        }
        resolve();
      });
    });
  }

  private async commitNow(
    fullName: string,
    branch: string,
    changes: Record<string, string | Buffer | null>,
    message: string,
    author: CommitAuthor,
  ): Promise<string> {
    const cwd = this.repoDir(fullName);
    const ref = `refs/heads/${branch}`;
    const current = await this.resolve(fullName, ref);
    const parent =
      current ?? (await this.resolve(fullName, `refs/heads/${await this.defaultBranch(fullName)}`));
    const indexFile = join(this.root, `index-${randomBytes(6).toString('hex')}`);
    const env = {
      GIT_INDEX_FILE: indexFile,
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    try {
      return await this.writeCommit(cwd, ref, current, parent, changes, message, env);
    } finally {
      await removeDir(indexFile);
    }
  }

  private async writeCommit(
    cwd: string,
    ref: string,
    current: string | undefined,
    parent: string | undefined,
    changes: Record<string, string | Buffer | null>,
    message: string,
    env: NodeJS.ProcessEnv,
  ): Promise<string> {
    await this.gitChecked(parent === undefined ? ['read-tree', '--empty'] : ['read-tree', parent], {
      cwd,
      env,
    });
    const indexLines: string[] = [];
    for (const [path, content] of Object.entries(changes)) {
      if (content === null) {
        indexLines.push(`0 ${ZERO_SHA}\t${path}`);
        continue;
      }
      const blob = await this.gitChecked(['hash-object', '-w', '--stdin'], { cwd, input: content });
      indexLines.push(`100644 ${blob.stdout.toString().trim()}\t${path}`);
    }
    if (indexLines.length > 0) {
      const input = `${indexLines.join('\n')}\n`;
      await this.gitChecked(['update-index', '--index-info'], { cwd, env, input });
    }
    const tree = (await this.gitChecked(['write-tree'], { cwd, env })).stdout.toString().trim();
    const parentArgs = parent === undefined ? [] : ['-p', parent];
    const created = await this.gitChecked(['commit-tree', tree, ...parentArgs, '-F', '-'], {
      cwd,
      env,
      input: message,
    });
    const sha = created.stdout.toString().trim();
    // The old value makes the update fail instead of clobbering a push that landed meanwhile.
    await this.gitChecked(['update-ref', ref, sha, current ?? ZERO_SHA], { cwd });
    return sha;
  }

  private git(
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
  ): Promise<GitResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', args, {
        cwd: options.cwd ?? this.root,
        env: { ...isolatedGitEnv(this.root), ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      this.children.add(child);
      trackProcess(child, `git ${args[0] ?? ''} of the git server at ${this.url}`, { group: true });
      const stdout: Buffer[] = [];
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        this.children.delete(child);
        resolve({ code: code ?? -1, stdout: Buffer.concat(stdout), stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  }

  private async gitChecked(
    args: string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Buffer } = {},
  ): Promise<GitResult> {
    const result = await this.git(args, options);
    if (result.code !== 0)
      throw new Error(`git ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`);
    return result;
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

interface RepoPath {
  fullName: string;
  /** What follows the repo in the URL, e.g. 'info/refs' or 'git-upload-pack'. */
  rest: string;
}

/** '/owner/name(.git)/rest' → { fullName: 'owner/name', rest }. */
function parseRepoPath(pathname: string): RepoPath | undefined {
  const match = /^\/([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+?)(?:\.git)?\/(.+)$/.exec(pathname);
  if (match === null) return undefined;
  const [, owner = '', name = '', rest = ''] = match;
  if (owner.startsWith('.') || name.startsWith('.') || rest.split('/').includes('..')) return undefined;
  return { fullName: `${owner}/${name}`, rest };
}

function parseBasicAuth(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Splits a CGI response into status, headers and the start of the body, once the blank line arrived. */
function parseCgiHead(
  data: Buffer,
): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  const candidates = [
    crlf >= 0 ? { at: crlf, length: 4 } : undefined,
    lf >= 0 ? { at: lf, length: 2 } : undefined,
  ].filter((c) => c !== undefined);
  if (candidates.length === 0) return undefined;
  const end = candidates.reduce((a, b) => (b.at < a.at ? b : a));
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of data.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers, body: data.subarray(end.at + end.length) };
}

function sendText(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${message}\n`);
}
