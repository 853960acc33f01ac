import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  verify,
  type KeyObject,
} from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitServer } from './git-server.js';

// A fake of the api.github.com endpoints our actions call, with GitHub's paths, statuses and error
// bodies. Git data (branches, commits) comes from a GitServer, so compare and PR checks use real history.

export type Access = 'read' | 'write';
export type PermissionScope = 'contents' | 'pull_requests' | 'issues';
export type TokenPermissions = Partial<Record<PermissionScope, Access>>;

export interface FakeGitHubOptions {
  git: GitServer;
  /** Listen on this port; default a free one. */
  port?: number;
}

/**
 * What the fake keeps of a repository's life beyond git: pull requests, comments, labels and the numbers it has
 * handed out. Plain JSON, for `snapshot()` / `restore()`; tokens, apps, faults and the request log are not in it.
 */
export interface FakeGitHubSnapshot {
  version: 1;
  /** The git server's URL when the snapshot was taken; html links are rebased onto the current one. */
  serverUrl: string;
  pulls: PullRequestRecord[];
  comments: CommentRecord[];
  issueCounters: Record<string, number>;
  labels: Record<string, LabelRecord[]>;
  repoIds: Record<string, number>;
  nextId: number;
}

export interface ApiTokenGrant {
  /** 'owner/name' the token can see; default all. */
  repos?: string[];
  /** Default (when absent): write on every scope, like a classic personal token. */
  permissions?: TokenPermissions;
  /** Author of comments and PRs made with the token; default 'token-user'. */
  login?: string;
}

export interface AppRegistration {
  id: number;
  slug?: string;
  /** PKCS#1 PEM; a 2048-bit key is generated when absent. */
  privateKeyPem?: string;
  /** 'owner/name' → installation id; repos sharing an id form one installation. */
  installations: Record<string, number>;
  /** What the installation was granted; default write on every scope. */
  permissions?: TokenPermissions;
}

export interface InstallationToken {
  token: string;
  appId: number;
  installationId: number;
  repos: string[];
  permissions: TokenPermissions;
  expiresAt: string;
  revoked: boolean;
}

export interface PullRequestRecord {
  repo: string;
  number: number;
  state: 'open' | 'closed';
  title: string;
  body: string | null;
  /** `label` is 'owner:branch'; `sha` is refreshed from git whenever the PR is served. */
  head: { ref: string; sha: string; label: string };
  base: { ref: string };
  labels: string[];
  draft: boolean;
  merged: boolean;
  merged_at: string | null;
  merge_commit_sha: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  html_url: string;
  user: string;
}

export interface CommentRecord {
  repo: string;
  issueNumber: number;
  id: number;
  body: string;
  user: string;
  created_at: string;
  updated_at: string;
  html_url: string;
}

export interface ApiRequestRecord {
  method: string;
  /** URL path without the query string. */
  path: string;
  query: string;
  status: number;
  /** The token (for token auth). */
  token?: string;
  /** The app id (for a verified App JWT). */
  app?: number;
}

export interface FaultRule {
  method?: string;
  path: RegExp;
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests get the fault; every one when omitted. */
  times?: number;
}

/** Which requests a `beforeRequest` hook holds. */
export interface HoldRule {
  method?: string;
  path: RegExp;
  /** How many matching requests run the hook; every one when omitted. */
  times?: number;
}

export interface SecondaryRateLimitRule {
  method?: string;
  path: RegExp;
  times?: number;
  retryAfterSeconds?: number;
}

/** Who called, for token-authenticated routes. */
export interface ApiCaller {
  token: string;
  login: string;
  repos?: string[];
  permissions: TokenPermissions;
}

export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Set on token-authenticated routes (the default for `route()`). */
  caller?: ApiCaller;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type RouteHandler = (request: RouteRequest) => RouteResponse | Promise<RouteResponse>;

/** Throw from a handler to answer with GitHub's error shape: `{message, errors?, documentation_url, status}`. */
export class GitHubApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

type RouteAuth = 'token' | 'app' | 'none';

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  auth: RouteAuth;
  docs: string;
  handler: (request: RouteRequest, app?: AppRecord) => RouteResponse | Promise<RouteResponse>;
}

interface AppRecord {
  id: number;
  slug: string;
  publicKey: KeyObject;
  installations: Record<string, number>;
  permissions: TokenPermissions;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
}

interface ActiveHold {
  method?: string;
  path: RegExp;
  remaining: number;
  hook: () => Promise<void>;
}

interface ActiveFault {
  method?: string;
  path: RegExp;
  remaining: number;
  respond: () => { status: number; body: unknown; headers: Record<string, string> };
}

const DOCS = 'https://docs.github.com/rest';
const ALL_WRITE: TokenPermissions = { contents: 'write', pull_requests: 'write', issues: 'write' };
const JWT_UNDECODABLE = 'A JSON web token could not be decoded';
const JWT_BAD_IAT =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
const JWT_BAD_EXP =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const JWT_EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future";
const MAX_JWT_LIFETIME_SECONDS = 600;
const RATE_LIMIT = 5000;

function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function requestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

function allows(granted: Access | undefined, needed: Access): boolean {
  return granted === 'write' || (granted === 'read' && needed === 'read');
}

/** '/repos/:owner/:repo/compare/:basehead+' → regex; a `+` param may span slashes. */
function compilePattern(pattern: string): { regex: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      const param = /^:(\w+)(\+?)$/.exec(segment);
      if (param === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(param[1] ?? '');
      return param[2] === '+' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), keys };
}

function base64UrlJson(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** Fake api.github.com on 127.0.0.1; GITHUB_SERVER_URL is the GitServer, so html links and clone URLs agree. */
export class FakeGitHub {
  readonly url: string;
  readonly serverUrl: string;
  private readonly git: GitServer;
  private readonly routes: Route[] = [];
  private readonly tokens = new Map<string, ApiCaller>();
  private readonly apps = new Map<number, AppRecord>();
  private readonly faults: ActiveFault[] = [];
  private readonly holds: ActiveHold[] = [];
  private readonly pullList: PullRequestRecord[] = [];
  private readonly commentList: CommentRecord[] = [];
  private readonly minted: InstallationToken[] = [];
  private readonly requestLog: ApiRequestRecord[] = [];
  private readonly issueCounters = new Map<string, number>();
  private readonly repoLabels = new Map<string, Map<string, LabelRecord>>();
  private readonly repoIds = new Map<string, number>();
  private readonly rateLimitUsed = new Map<string, number>();
  private nextId = 1000;

  private constructor(
    private readonly server: Server,
    port: number,
    options: FakeGitHubOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.git = options.git;
    this.serverUrl = options.git.url;
    this.registerBuiltInRoutes();
  }

  static async start(options: FakeGitHubOptions): Promise<FakeGitHub> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const github = new FakeGitHub(server, (server.address() as AddressInfo).port, options);
    server.on('request', (req, res) => {
      github.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({
            message: `harness error: ${error instanceof Error ? error.stack : String(error)}`,
          }),
        );
      });
    });
    return github;
  }

  get pulls(): ReadonlyArray<PullRequestRecord> {
    return this.pullList;
  }

  get comments(): ReadonlyArray<CommentRecord> {
    return this.commentList;
  }

  get installationTokens(): ReadonlyArray<InstallationToken> {
    return this.minted;
  }

  get requests(): ReadonlyArray<ApiRequestRecord> {
    return this.requestLog;
  }

  addToken(token: string, grant: ApiTokenGrant): void {
    this.tokens.set(token, {
      token,
      login: grant.login ?? 'token-user',
      ...(grant.repos === undefined ? {} : { repos: grant.repos }),
      permissions: grant.permissions ?? ALL_WRITE,
    });
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  addApp(app: AppRegistration): { privateKeyPem: string } {
    const privateKeyPem =
      app.privateKeyPem ??
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs1', format: 'pem' })
        .toString();
    this.apps.set(app.id, {
      id: app.id,
      slug: app.slug ?? `app-${app.id}`,
      publicKey: createPublicKey(createPrivateKey(privateKeyPem)),
      installations: { ...app.installations },
      permissions: app.permissions ?? ALL_WRITE,
    });
    return { privateKeyPem };
  }

  /** Registers a merged PR whose merge commit (or head commit) is the given sha. */
  addMergedPull(
    fullName: string,
    pull: {
      number: number;
      title: string;
      mergeCommitSha: string;
      headSha?: string;
      headRef?: string;
      baseRef?: string;
    },
  ): PullRequestRecord {
    const [owner = ''] = fullName.split('/');
    const headRef = pull.headRef ?? `merged-${pull.number}`;
    const now = timestamp();
    const record: PullRequestRecord = {
      repo: fullName,
      number: pull.number,
      state: 'closed',
      title: pull.title,
      body: null,
      head: { ref: headRef, sha: pull.headSha ?? pull.mergeCommitSha, label: `${owner}:${headRef}` },
      base: { ref: pull.baseRef ?? 'main' },
      labels: [],
      draft: false,
      merged: true,
      merged_at: now,
      merge_commit_sha: pull.mergeCommitSha,
      created_at: now,
      updated_at: now,
      closed_at: now,
      html_url: `${this.serverUrl}/${fullName}/pull/${pull.number}`,
      user: 'octocat',
    };
    this.pullList.push(record);
    this.issueCounters.set(fullName, Math.max(this.issueCounters.get(fullName) ?? 0, pull.number));
    return record;
  }

  /** Answers the next `times` matching requests (every one when omitted) with this status, body and headers. */
  fail(rule: FaultRule): void {
    this.faults.push({
      ...(rule.method === undefined ? {} : { method: rule.method.toUpperCase() }),
      path: rule.path,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      respond: () => ({
        status: rule.status,
        body: rule.body ?? { message: `Injected failure ${rule.status}`, documentation_url: DOCS },
        headers: rule.headers ?? {},
      }),
    });
  }

  /**
   * Runs `hook` when the next `times` matching requests arrive (every one when omitted) and serves each only once
   * its hook settles, e.g. to hold one client at a precise point while another does its work. Other requests are
   * served meanwhile.
   */
  beforeRequest(rule: HoldRule, hook: () => Promise<void>): void {
    this.holds.push({
      ...(rule.method === undefined ? {} : { method: rule.method.toUpperCase() }),
      path: rule.path,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      hook,
    });
  }

  /** Answers matching requests with GitHub's secondary rate limit: 403, its message, and retry-after. */
  secondaryRateLimit(rule: SecondaryRateLimitRule): void {
    this.faults.push({
      ...(rule.method === undefined ? {} : { method: rule.method.toUpperCase() }),
      path: rule.path,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      respond: () => {
        const id = requestId();
        return {
          status: 403,
          body: {
            message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
            documentation_url:
              'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
            status: '403',
          },
          headers: { 'retry-after': String(rule.retryAfterSeconds ?? 60), 'x-github-request-id': id },
        };
      },
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Pull requests, comments, labels and counters as plain JSON, e.g. to carry them to a later fake. */
  snapshot(): FakeGitHubSnapshot {
    const copy = <T>(value: T): T => structuredClone(value);
    return {
      version: 1,
      serverUrl: this.serverUrl,
      pulls: copy(this.pullList),
      comments: copy(this.commentList),
      issueCounters: Object.fromEntries(this.issueCounters),
      labels: Object.fromEntries(
        [...this.repoLabels].map(([repo, labels]) => [repo, copy([...labels.values()])]),
      ),
      repoIds: Object.fromEntries(this.repoIds),
      nextId: this.nextId,
    };
  }

  /**
   * Loads a snapshot into a fake that has none of its own yet: numbering continues where the snapshot's fake left
   * off, and html links move to this fake's git server. The repos themselves must be on that git server.
   */
  restore(snapshot: FakeGitHubSnapshot): void {
    if (snapshot.version !== 1) throw new Error(`FakeGitHub snapshot version ${String(snapshot.version)}`);
    if (this.pullList.length > 0 || this.commentList.length > 0 || this.repoLabels.size > 0) {
      throw new Error('FakeGitHub.restore: this fake already has pull requests, comments or labels');
    }
    const rebase = (url: string) =>
      url.startsWith(`${snapshot.serverUrl}/`)
        ? `${this.serverUrl}${url.slice(snapshot.serverUrl.length)}`
        : url;
    for (const pull of structuredClone(snapshot.pulls))
      this.pullList.push({ ...pull, html_url: rebase(pull.html_url) });
    for (const comment of structuredClone(snapshot.comments)) {
      this.commentList.push({ ...comment, html_url: rebase(comment.html_url) });
    }
    for (const [repo, count] of Object.entries(snapshot.issueCounters)) this.issueCounters.set(repo, count);
    for (const [repo, labels] of Object.entries(snapshot.labels)) {
      this.repoLabels.set(repo, new Map(labels.map((label) => [label.name.toLowerCase(), { ...label }])));
    }
    for (const [repo, id] of Object.entries(snapshot.repoIds)) this.repoIds.set(repo, id);
    this.nextId = Math.max(this.nextId, snapshot.nextId);
  }

  /**
   * Adds an endpoint (or overrides a built-in one: later routes win). Token auth is checked first
   * unless `auth: 'none'`; use `authorize` inside the handler for repo visibility and permissions.
   */
  route(
    method: string,
    pattern: string,
    handler: RouteHandler,
    options: { auth?: 'token' | 'none'; docs?: string } = {},
  ): void {
    const { regex, keys } = compilePattern(pattern);
    this.routes.unshift({
      method: method.toUpperCase(),
      pattern: regex,
      keys,
      auth: options.auth ?? 'token',
      docs: options.docs ?? DOCS,
      handler,
    });
  }

  /**
   * Throws GitHub's 404 when the repo does not exist or the caller cannot see it, and 403
   * "Resource not accessible by integration" unless the caller holds one of `anyOf`.
   */
  async authorize(
    request: RouteRequest,
    fullName: string,
    ...anyOf: Array<[PermissionScope, Access]>
  ): Promise<ApiCaller> {
    const caller = request.caller;
    if (caller === undefined) throw new GitHubApiError(401, 'Requires authentication');
    const visible = caller.repos === undefined || caller.repos.includes(fullName);
    if (!visible || !(await this.git.hasRepo(fullName))) throw new GitHubApiError(404, 'Not Found');
    if (anyOf.length > 0 && !anyOf.some(([scope, access]) => allows(caller.permissions[scope], access))) {
      throw new GitHubApiError(403, 'Resource not accessible by integration');
    }
    return caller;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- request plumbing ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = (req.method ?? 'GET').toUpperCase();
    const record: ApiRequestRecord = {
      method,
      path: url.pathname,
      query: url.search.replace(/^\?/, ''),
      status: 0,
    };
    const credential = parseAuthorization(req.headers.authorization);
    if (credential !== undefined && !looksLikeJwt(credential)) record.token = credential;
    const raw = await readBody(req);

    const hold = this.holds.find(
      (rule) =>
        rule.remaining > 0 &&
        (rule.method === undefined || rule.method === method) &&
        rule.path.test(url.pathname),
    );
    if (hold !== undefined) {
      hold.remaining -= 1;
      await hold.hook();
    }

    const fault = this.takeFault(method, url.pathname);
    if (fault !== undefined) return this.send(res, record, fault.status, fault.body, fault.headers);

    const match = this.findRoute(method, url.pathname);
    if (match === undefined) return this.sendError(res, record, new GitHubApiError(404, 'Not Found'), DOCS);
    const { route, params } = match;
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
    } catch {
      return this.sendError(res, record, new GitHubApiError(400, 'Problems parsing JSON'), route.docs);
    }
    const request: RouteRequest = {
      method,
      path: url.pathname,
      params,
      query: url.searchParams,
      body,
      headers: req.headers,
    };
    let app: AppRecord | undefined;
    try {
      if (route.auth === 'token') request.caller = this.authenticateToken(credential);
      if (route.auth === 'app') {
        app = this.authenticateApp(credential);
        record.app = app.id;
      }
    } catch (error) {
      // Authentication errors point at the REST root, whatever the endpoint.
      if (error instanceof GitHubApiError) return this.sendError(res, record, error, DOCS);
      throw error;
    }
    try {
      const response = await route.handler(request, app);
      return this.send(res, record, response.status, response.body, response.headers ?? {});
    } catch (error) {
      if (error instanceof GitHubApiError) return this.sendError(res, record, error, route.docs);
      throw error;
    }
  }

  private takeFault(method: string, path: string): ReturnType<ActiveFault['respond']> | undefined {
    const fault = this.faults.find(
      (rule) =>
        rule.remaining > 0 && (rule.method === undefined || rule.method === method) && rule.path.test(path),
    );
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    return fault.respond();
  }

  private findRoute(
    method: string,
    path: string,
  ): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(path);
      if (match === null) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, index) => (params[key] = decodeURIComponent(match[index + 1] ?? '')));
      return { route, params };
    }
    return undefined;
  }

  private authenticateToken(credential: string | undefined): ApiCaller {
    if (credential === undefined) throw new GitHubApiError(401, 'Requires authentication');
    const caller = this.tokens.get(credential);
    if (caller === undefined) throw new GitHubApiError(401, 'Bad credentials');
    return caller;
  }

  /** Verifies an App JWT the way GitHub does: RS256 by the app's key, iat in the past, exp ≤ 10 min away. */
  private authenticateApp(credential: string | undefined): AppRecord {
    if (credential === undefined) throw new GitHubApiError(401, 'Requires authentication');
    const parts = credential.split('.');
    if (parts.length !== 3) throw new GitHubApiError(401, JWT_UNDECODABLE);
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
    let header: unknown;
    let payload: Record<string, unknown>;
    try {
      header = base64UrlJson(headerPart);
      payload = base64UrlJson(payloadPart) as Record<string, unknown>;
    } catch {
      throw new GitHubApiError(401, JWT_UNDECODABLE);
    }
    if (typeof header !== 'object' || header === null || (header as { alg?: unknown }).alg !== 'RS256') {
      throw new GitHubApiError(401, JWT_UNDECODABLE);
    }
    const app = this.apps.get(Number(payload['iss']));
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    if (
      app === undefined ||
      !verify('RSA-SHA256', signed, app.publicKey, Buffer.from(signaturePart, 'base64url'))
    ) {
      throw new GitHubApiError(401, JWT_UNDECODABLE);
    }
    const { iat, exp } = payload;
    const now = nowSeconds();
    if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now)
      throw new GitHubApiError(401, JWT_BAD_IAT);
    if (typeof exp !== 'number' || exp <= now) throw new GitHubApiError(401, JWT_BAD_EXP);
    if (exp - iat > MAX_JWT_LIFETIME_SECONDS || exp > now + MAX_JWT_LIFETIME_SECONDS) {
      throw new GitHubApiError(401, JWT_EXP_TOO_FAR);
    }
    return app;
  }

  private sendError(
    res: ServerResponse,
    record: ApiRequestRecord,
    error: GitHubApiError,
    docs: string,
  ): void {
    const body = {
      message: error.message,
      ...error.extra,
      documentation_url: docs,
      status: String(error.status),
    };
    this.send(res, record, error.status, body, error.headers);
  }

  private send(
    res: ServerResponse,
    record: ApiRequestRecord,
    status: number,
    body: unknown,
    headers: Record<string, string>,
  ): void {
    const used = (this.rateLimitUsed.get(record.token ?? '') ?? 0) + 1;
    this.rateLimitUsed.set(record.token ?? '', used);
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': requestId(),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - used)),
      'x-ratelimit-reset': String(nowSeconds() + 3600),
      'x-ratelimit-used': String(used),
      'x-ratelimit-resource': 'core',
      ...headers,
    });
    res.end(text);
    record.status = status;
    this.requestLog.push(record);
  }

  // ---- JSON shapes ----

  private repoId(fullName: string): number {
    let id = this.repoIds.get(fullName);
    if (id === undefined) {
      id = this.newId();
      this.repoIds.set(fullName, id);
    }
    return id;
  }

  private newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  private userJson(login: string): Record<string, unknown> {
    return {
      login,
      id: 1,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      html_url: `${this.serverUrl}/${login}`,
      url: `${this.url}/users/${encodeURIComponent(login)}`,
    };
  }

  private async repoJson(fullName: string, caller?: ApiCaller): Promise<Record<string, unknown>> {
    const [owner = '', name = ''] = fullName.split('/');
    const permissions = caller?.permissions ?? {};
    return {
      id: this.repoId(fullName),
      node_id: Buffer.from(`Repository:${fullName}`).toString('base64'),
      name,
      full_name: fullName,
      private: true,
      visibility: 'private',
      fork: false,
      owner: { login: owner, id: 1, type: 'Organization', html_url: `${this.serverUrl}/${owner}` },
      html_url: `${this.serverUrl}/${fullName}`,
      url: `${this.url}/repos/${fullName}`,
      clone_url: this.git.repoUrl(fullName),
      default_branch: await this.git.defaultBranch(fullName),
      ...(caller === undefined
        ? {}
        : {
            permissions: {
              admin: false,
              maintain: false,
              push: allows(permissions.contents, 'write'),
              triage: allows(permissions.issues, 'write') || allows(permissions.pull_requests, 'write'),
              pull: true,
            },
          }),
    };
  }

  private labelJson(fullName: string, label: LabelRecord): Record<string, unknown> {
    return {
      id: label.id,
      node_id: Buffer.from(`Label:${label.id}`).toString('base64'),
      url: `${this.url}/repos/${fullName}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      color: label.color,
      default: false,
      description: null,
    };
  }

  private issueLabels(pull: PullRequestRecord): Array<Record<string, unknown>> {
    const known = this.repoLabels.get(pull.repo) ?? new Map<string, LabelRecord>();
    return pull.labels.flatMap((name) => {
      const label = known.get(name.toLowerCase());
      return label === undefined ? [] : [this.labelJson(pull.repo, label)];
    });
  }

  private async pullJson(pull: PullRequestRecord): Promise<Record<string, unknown>> {
    if (pull.state === 'open') {
      pull.head.sha = (await this.git.resolve(pull.repo, `refs/heads/${pull.head.ref}`)) ?? pull.head.sha;
    }
    const baseSha = (await this.git.resolve(pull.repo, `refs/heads/${pull.base.ref}`)) ?? null;
    const [owner = ''] = pull.repo.split('/');
    const repo = await this.repoJson(pull.repo);
    const apiUrl = `${this.url}/repos/${pull.repo}`;
    return {
      url: `${apiUrl}/pulls/${pull.number}`,
      id: this.repoId(`${pull.repo}#${pull.number}`),
      node_id: Buffer.from(`PullRequest:${pull.repo}#${pull.number}`).toString('base64'),
      html_url: pull.html_url,
      diff_url: `${pull.html_url}.diff`,
      patch_url: `${pull.html_url}.patch`,
      issue_url: `${apiUrl}/issues/${pull.number}`,
      comments_url: `${apiUrl}/issues/${pull.number}/comments`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.userJson(pull.user),
      body: pull.body,
      labels: this.issueLabels(pull),
      created_at: pull.created_at,
      updated_at: pull.updated_at,
      closed_at: pull.closed_at,
      merged_at: pull.merged_at,
      merge_commit_sha: pull.merge_commit_sha,
      draft: pull.draft,
      head: {
        label: pull.head.label,
        ref: pull.head.ref,
        sha: pull.head.sha,
        user: this.userJson(owner),
        repo,
      },
      base: {
        label: `${owner}:${pull.base.ref}`,
        ref: pull.base.ref,
        sha: baseSha,
        user: this.userJson(owner),
        repo,
      },
      merged: pull.merged,
      mergeable: null,
      author_association: 'MEMBER',
    };
  }

  private commentJson(comment: CommentRecord): Record<string, unknown> {
    return {
      id: comment.id,
      node_id: Buffer.from(`IssueComment:${comment.id}`).toString('base64'),
      url: `${this.url}/repos/${comment.repo}/issues/comments/${comment.id}`,
      html_url: comment.html_url,
      issue_url: `${this.url}/repos/${comment.repo}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: this.userJson(comment.user),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: 'MEMBER',
    };
  }

  private async commits(fullName: string, args: string[]): Promise<Array<Record<string, unknown>>> {
    const format = '%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e';
    const result = await this.git.runGit(fullName, ['log', `--format=${format}`, ...args]);
    if (result.code !== 0) throw new Error(`git log failed: ${result.stderr}`);
    return result.stdout
      .toString('utf8')
      .split('\x1e')
      .map((entry) => entry.replace(/^\n/, ''))
      .filter((entry) => entry !== '')
      .map((entry) => {
        const [
          sha = '',
          tree = '',
          parents = '',
          an = '',
          ae = '',
          ad = '',
          cn = '',
          ce = '',
          cd = '',
          message = '',
        ] = entry.split('\0');
        return {
          sha,
          node_id: Buffer.from(`Commit:${sha}`).toString('base64'),
          url: `${this.url}/repos/${fullName}/commits/${sha}`,
          html_url: `${this.serverUrl}/${fullName}/commit/${sha}`,
          commit: {
            author: { name: an, email: ae, date: timestamp(new Date(ad)) },
            committer: { name: cn, email: ce, date: timestamp(new Date(cd)) },
            message: message.replace(/\n+$/, ''),
            tree: { sha: tree, url: `${this.url}/repos/${fullName}/git/trees/${tree}` },
            comment_count: 0,
          },
          author: null,
          committer: null,
          parents: parents
            .split(' ')
            .filter((parent) => parent !== '')
            .map((parent) => ({ sha: parent, url: `${this.url}/repos/${fullName}/commits/${parent}` })),
        };
      });
  }

  private async diffFiles(
    fullName: string,
    from: string,
    to: string,
  ): Promise<Array<Record<string, unknown>>> {
    const statuses = await this.git.runGit(fullName, ['diff', '--no-renames', '--name-status', from, to]);
    const numbers = await this.git.runGit(fullName, ['diff', '--no-renames', '--numstat', from, to]);
    const counts = new Map<string, [number, number]>();
    for (const line of numbers.stdout.toString().split('\n').filter(Boolean)) {
      const [added = '0', deleted = '0', file = ''] = line.split('\t');
      counts.set(file, [Number(added) || 0, Number(deleted) || 0]);
    }
    const names: Record<string, string> = { A: 'added', M: 'modified', D: 'removed', T: 'changed' };
    return statuses.stdout
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [code = 'M', file = ''] = line.split('\t');
        const [additions, deletions] = counts.get(file) ?? [0, 0];
        return {
          filename: file,
          status: names[code] ?? 'modified',
          additions,
          deletions,
          changes: additions + deletions,
        };
      });
  }

  // ---- built-in endpoints ----

  private registerBuiltInRoutes(): void {
    const add = (
      method: string,
      pattern: string,
      docs: string,
      handler: Route['handler'],
      auth: RouteAuth = 'token',
    ) => {
      const { regex, keys } = compilePattern(pattern);
      this.routes.push({ method, pattern: regex, keys, auth, docs: `${DOCS}/${docs}`, handler });
    };
    const repo = '/repos/:owner/:repo';
    add('GET', repo, 'repos/repos#get-a-repository', (r) => this.getRepo(r));
    add('GET', `${repo}/pulls`, 'pulls/pulls#list-pull-requests', (r) => this.listPulls(r));
    add('GET', `${repo}/pulls/:number`, 'pulls/pulls#get-a-pull-request', (r) => this.getPull(r));
    add('POST', `${repo}/pulls`, 'pulls/pulls#create-a-pull-request', (r) => this.createPull(r));
    add('PATCH', `${repo}/pulls/:number`, 'pulls/pulls#update-a-pull-request', (r) => this.updatePull(r));
    add('GET', `${repo}/issues/:number/labels`, 'issues/labels#list-labels-for-an-issue', (r) =>
      this.listLabels(r),
    );
    add('POST', `${repo}/issues/:number/labels`, 'issues/labels#add-labels-to-an-issue', (r) =>
      this.addLabels(r),
    );
    add('DELETE', `${repo}/issues/:number/labels/:name`, 'issues/labels#remove-a-label-from-an-issue', (r) =>
      this.removeLabel(r),
    );
    add('GET', `${repo}/issues/:number/comments`, 'issues/comments#list-issue-comments', (r) =>
      this.listComments(r),
    );
    add('POST', `${repo}/issues/:number/comments`, 'issues/comments#create-an-issue-comment', (r) =>
      this.createComment(r),
    );
    add('GET', `${repo}/compare/:basehead+`, 'commits/commits#compare-two-commits', (r) => this.compare(r));
    // Before commits/:ref+, which would otherwise swallow '…/SHA/pulls'.
    add(
      'GET',
      `${repo}/commits/:sha/pulls`,
      'commits/commits#list-pull-requests-associated-with-a-commit',
      (r) => this.pullsForCommit(r),
    );
    add('GET', `${repo}/commits/:ref+`, 'commits/commits#get-a-commit', (r) => this.getCommit(r));
    add(
      'GET',
      `${repo}/installation`,
      'apps/apps#get-a-repository-installation-for-the-authenticated-app',
      (r, app) => this.getInstallation(r, app),
      'app',
    );
    add(
      'POST',
      '/app/installations/:id/access_tokens',
      'apps/apps#create-an-installation-access-token-for-an-app',
      (r, app) => this.createInstallationToken(r, app),
      'app',
    );
    add('DELETE', '/installation/token', 'apps/installations#revoke-an-installation-access-token', (r) =>
      this.revokeInstallationToken(r),
    );
  }

  private async getRepo(request: RouteRequest): Promise<RouteResponse> {
    const caller = await this.authorize(request, repoOf(request));
    return { status: 200, body: await this.repoJson(repoOf(request), caller) };
  }

  private async listPulls(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['pull_requests', 'read']);
    const state = request.query.get('state') ?? 'open';
    const head = request.query.get('head');
    const base = request.query.get('base');
    const selected = this.pullList
      .filter((pull) => pull.repo === fullName)
      .filter((pull) => state === 'all' || pull.state === state)
      // Like GitHub, a head filter without 'owner:' is silently ignored.
      .filter((pull) => head === null || !head.includes(':') || pull.head.label === head)
      .filter((pull) => base === null || pull.base.ref === base)
      .sort((a, b) => b.number - a.number);
    return this.page(request, await Promise.all(selected.map((pull) => this.pullJson(pull))));
  }

  private async getPull(request: RouteRequest): Promise<RouteResponse> {
    await this.authorize(request, repoOf(request), ['pull_requests', 'read']);
    const pull = this.findPull(repoOf(request), request.params['number']);
    return { status: 200, body: await this.pullJson(pull) };
  }

  private async createPull(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    const caller = await this.authorize(request, fullName, ['pull_requests', 'write']);
    const input = requireObject(request.body);
    const title = requireString(input, 'title');
    const head = requireString(input, 'head');
    const base = requireString(input, 'base');
    const owner = request.params['owner'] ?? '';
    const [headOwner, headRef] = head.includes(':') ? splitOnce(head, ':') : [owner, head];
    // Forks are not modelled: a head in another owner's repo is as invalid as a missing branch.
    const headSha =
      headOwner === owner ? await this.git.resolve(fullName, `refs/heads/${headRef}`) : undefined;
    if (headSha === undefined)
      throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' });
    if ((await this.git.resolve(fullName, `refs/heads/${base}`)) === undefined) {
      throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
    }
    const label = `${headOwner}:${headRef}`;
    this.assertNoOpenDuplicate(fullName, label, base);
    const ahead = await this.git.runGit(fullName, ['rev-list', '--count', `refs/heads/${base}..${headSha}`]);
    if (ahead.stdout.toString().trim() === '0') {
      const message = `No commits between ${base} and ${head}`;
      throw validationFailed({ resource: 'PullRequest', code: 'custom', message });
    }
    const number = (this.issueCounters.get(fullName) ?? 0) + 1;
    this.issueCounters.set(fullName, number);
    const now = timestamp();
    const pull: PullRequestRecord = {
      repo: fullName,
      number,
      state: 'open',
      title,
      body: typeof input['body'] === 'string' ? input['body'] : null,
      head: { ref: headRef, sha: headSha, label },
      base: { ref: base },
      labels: [],
      draft: input['draft'] === true,
      merged: false,
      merged_at: null,
      merge_commit_sha: null,
      created_at: now,
      updated_at: now,
      closed_at: null,
      html_url: `${this.serverUrl}/${fullName}/pull/${number}`,
      user: caller.login,
    };
    this.pullList.push(pull);
    const location = `${this.url}/repos/${fullName}/pulls/${number}`;
    return { status: 201, body: await this.pullJson(pull), headers: { location } };
  }

  private async updatePull(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['pull_requests', 'write']);
    const pull = this.findPull(fullName, request.params['number']);
    const input = requireObject(request.body);
    const { state, base, title, body } = input;
    if (state !== undefined) {
      if ((state !== 'open' && state !== 'closed') || (state === 'open' && pull.merged)) {
        throw validationFailed({ resource: 'PullRequest', field: 'state', code: 'invalid' });
      }
      if (state === 'open' && pull.state === 'closed') {
        this.assertNoOpenDuplicate(fullName, pull.head.label, pull.base.ref);
      }
    }
    if (base !== undefined) {
      if (
        typeof base !== 'string' ||
        (await this.git.resolve(fullName, `refs/heads/${base}`)) === undefined
      ) {
        throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
      }
      pull.base.ref = base;
    }
    if (typeof title === 'string') pull.title = title;
    if (typeof body === 'string' || body === null) pull.body = body;
    if (state !== undefined && state !== pull.state) {
      pull.state = state;
      pull.closed_at = state === 'closed' ? timestamp() : null;
    }
    pull.updated_at = timestamp();
    return { status: 200, body: await this.pullJson(pull) };
  }

  private async listLabels(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['issues', 'read'], ['pull_requests', 'read']);
    return this.page(request, this.issueLabels(this.findPull(fullName, request.params['number'])));
  }

  /** Adds labels, creating the ones the repo lacks; names match case-insensitively, like GitHub. */
  private async addLabels(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
    const pull = this.findPull(fullName, request.params['number']);
    const known = this.repoLabels.get(fullName) ?? new Map<string, LabelRecord>();
    this.repoLabels.set(fullName, known);
    for (const name of labelNames(request.body)) {
      const label = known.get(name.toLowerCase()) ?? { id: this.newId(), name, color: 'ededed' };
      known.set(name.toLowerCase(), label);
      const present = pull.labels.some((existing) => existing.toLowerCase() === name.toLowerCase());
      if (!present) pull.labels.push(label.name);
    }
    pull.updated_at = timestamp();
    return { status: 200, body: this.issueLabels(pull) };
  }

  /** Removes one label (matched case-insensitively); 404 "Label does not exist" when the issue lacks it. */
  private async removeLabel(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
    const pull = this.findPull(fullName, request.params['number']);
    const name = (request.params['name'] ?? '').toLowerCase();
    const index = pull.labels.findIndex((label) => label.toLowerCase() === name);
    if (index < 0) throw new GitHubApiError(404, 'Label does not exist');
    pull.labels.splice(index, 1);
    pull.updated_at = timestamp();
    return { status: 200, body: this.issueLabels(pull) };
  }

  private async listComments(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['issues', 'read'], ['pull_requests', 'read']);
    const pull = this.findPull(fullName, request.params['number']);
    const comments = this.commentList.filter((c) => c.repo === fullName && c.issueNumber === pull.number);
    return this.page(
      request,
      comments.map((comment) => this.commentJson(comment)),
    );
  }

  private async createComment(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    const caller = await this.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
    const pull = this.findPull(fullName, request.params['number']);
    const body = requireString(requireObject(request.body), 'body');
    const id = this.newId();
    const now = timestamp();
    const comment: CommentRecord = {
      repo: fullName,
      issueNumber: pull.number,
      id,
      body,
      user: caller.login,
      created_at: now,
      updated_at: now,
      html_url: `${pull.html_url}#issuecomment-${id}`,
    };
    this.commentList.push(comment);
    const location = `${this.url}/repos/${fullName}/issues/comments/${id}`;
    return { status: 201, body: this.commentJson(comment), headers: { location } };
  }

  /** BASE...HEAD, counted by git in the bare repo. */
  private async compare(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['contents', 'read']);
    const basehead = request.params['basehead'] ?? '';
    if (!basehead.includes('...')) throw new GitHubApiError(404, 'Not Found');
    const [baseSpec, headSpec] = splitOnce(basehead, '...');
    const owner = request.params['owner'] ?? '';
    const base = await this.resolveSpec(fullName, owner, baseSpec);
    const head = await this.resolveSpec(fullName, owner, headSpec);
    if (base === undefined || head === undefined) throw new GitHubApiError(404, 'Not Found');
    const mergeBase = await this.git.runGit(fullName, ['merge-base', base, head]);
    if (mergeBase.code !== 0) throw new GitHubApiError(404, 'Not Found');
    const mergeBaseSha = mergeBase.stdout.toString().trim();
    const counts = await this.git.runGit(fullName, [
      'rev-list',
      '--left-right',
      '--count',
      `${base}...${head}`,
    ]);
    const [behindBy = 0, aheadBy = 0] = counts.stdout.toString().trim().split(/\s+/).map(Number);
    const [baseCommit] = await this.commits(fullName, ['-1', base]);
    const [mergeBaseCommit] = await this.commits(fullName, ['-1', mergeBaseSha]);
    const web = `${this.serverUrl}/${fullName}/compare`;
    return {
      status: 200,
      body: {
        url: `${this.url}/repos/${fullName}/compare/${basehead}`,
        html_url: `${web}/${basehead}`,
        permalink_url: `${web}/${base}...${head}`,
        diff_url: `${web}/${basehead}.diff`,
        patch_url: `${web}/${basehead}.patch`,
        base_commit: baseCommit,
        merge_base_commit: mergeBaseCommit,
        status: compareStatus(aheadBy, behindBy),
        ahead_by: aheadBy,
        behind_by: behindBy,
        total_commits: aheadBy,
        commits: await this.commits(fullName, ['--reverse', '--max-count=250', `${base}..${head}`]),
        files: await this.diffFiles(fullName, mergeBaseSha, head),
      },
    };
  }

  /** PRs whose merge commit or head is the commit (merged ones come from addMergedPull). */
  private async pullsForCommit(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['pull_requests', 'read']);
    const spec = request.params['sha'] ?? '';
    const sha = await this.git.resolve(fullName, spec);
    if (sha === undefined) throw new GitHubApiError(422, `No commit found for SHA: ${spec}`);
    const candidates = this.pullList.filter((pull) => pull.repo === fullName);
    const served = await Promise.all(
      candidates.map(async (pull) => ({ pull, json: await this.pullJson(pull) })),
    );
    const related = served
      .filter(({ pull }) => pull.merge_commit_sha === sha || pull.head.sha === sha)
      .sort((a, b) => b.pull.number - a.pull.number);
    return this.page(
      request,
      related.map(({ json }) => json),
    );
  }

  private async getCommit(request: RouteRequest): Promise<RouteResponse> {
    const fullName = repoOf(request);
    await this.authorize(request, fullName, ['contents', 'read']);
    const ref = request.params['ref'] ?? '';
    if ((await this.git.branches(fullName)).length === 0)
      throw new GitHubApiError(409, 'Git Repository is empty.');
    const sha = await this.git.resolve(fullName, ref);
    if (sha === undefined) throw new GitHubApiError(422, `No commit found for SHA: ${ref}`);
    const [commit] = await this.commits(fullName, ['-1', sha]);
    return { status: 200, body: commit };
  }

  private getInstallation(request: RouteRequest, app: AppRecord | undefined): RouteResponse {
    const id = app?.installations[repoOf(request)];
    if (app === undefined || id === undefined) throw new GitHubApiError(404, 'Not Found');
    return { status: 200, body: this.installationJson(app, id) };
  }

  private async createInstallationToken(
    request: RouteRequest,
    app: AppRecord | undefined,
  ): Promise<RouteResponse> {
    const installationId = Number(request.params['id']);
    if (app === undefined || !Object.values(app.installations).includes(installationId)) {
      throw new GitHubApiError(404, 'Not Found');
    }
    return { status: 201, body: await this.mintInstallationToken(app, installationId, request.body) };
  }

  private revokeInstallationToken(request: RouteRequest): RouteResponse {
    const token = request.caller?.token ?? '';
    this.tokens.delete(token);
    this.git.removeToken(token);
    const minted = this.minted.find((entry) => entry.token === token);
    if (minted !== undefined) minted.revoked = true;
    return { status: 204 };
  }

  private installationRepos(app: AppRecord, installationId: number): string[] {
    return Object.entries(app.installations)
      .filter(([, id]) => id === installationId)
      .map(([fullName]) => fullName);
  }

  private installationJson(app: AppRecord, installationId: number): Record<string, unknown> {
    const [owner = ''] = (this.installationRepos(app, installationId)[0] ?? '').split('/');
    return {
      id: installationId,
      account: { login: owner, id: 1, type: 'Organization' },
      repository_selection: 'selected',
      access_tokens_url: `${this.url}/app/installations/${installationId}/access_tokens`,
      repositories_url: `${this.url}/installation/repositories`,
      html_url: `${this.serverUrl}/organizations/${owner}/settings/installations/${installationId}`,
      app_id: app.id,
      app_slug: app.slug,
      target_id: 1,
      target_type: 'Organization',
      permissions: { ...app.permissions, metadata: 'read' },
      events: [],
      created_at: timestamp(),
      updated_at: timestamp(),
      single_file_name: null,
      suspended_at: null,
    };
  }

  /** Mints an installation token, registered here and on the GitServer for exactly its repos. */
  private async mintInstallationToken(
    app: AppRecord,
    installationId: number,
    body: unknown,
  ): Promise<Record<string, unknown>> {
    const input = body === undefined ? {} : requireObject(body);
    const installed = this.installationRepos(app, installationId);
    const [owner = ''] = (installed[0] ?? '').split('/');
    let repos = installed;
    const names = input['repositories'];
    const ids = input['repository_ids'];
    if (Array.isArray(names) || Array.isArray(ids)) {
      const wanted = [
        ...(Array.isArray(names) ? names.map((name) => `${owner}/${String(name)}`) : []),
        ...(Array.isArray(ids)
          ? ids.map((id) => [...this.repoIds].find(([, known]) => known === id)?.[0] ?? `#${String(id)}`)
          : []),
      ];
      if (wanted.some((fullName) => !installed.includes(fullName))) {
        throw new GitHubApiError(
          422,
          'There is at least one repository that does not exist or is not accessible to the parent installation.',
        );
      }
      repos = [...new Set(wanted)];
    }
    let permissions: TokenPermissions = app.permissions;
    if (input['permissions'] !== undefined) {
      const requested = requireObject(input['permissions']) as Record<string, unknown>;
      const narrowed: TokenPermissions = {};
      for (const [scope, access] of Object.entries(requested)) {
        if (scope === 'metadata' && access === 'read') continue;
        const granted = app.permissions[scope as PermissionScope];
        if ((access !== 'read' && access !== 'write') || !allows(granted, access)) {
          throw new GitHubApiError(422, 'The permissions requested are not granted to this installation.');
        }
        narrowed[scope as PermissionScope] = access;
      }
      permissions = narrowed;
    }
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    const expiresAt = timestamp(new Date(Date.now() + 3600_000));
    const login = `${app.slug}[bot]`;
    this.addToken(token, { repos, permissions, login });
    this.git.addToken(token, { push: permissions.contents === 'write', repos, user: login });
    this.minted.push({ token, appId: app.id, installationId, repos, permissions, expiresAt, revoked: false });
    return {
      token,
      expires_at: expiresAt,
      permissions: { ...permissions, metadata: 'read' },
      repository_selection: 'selected',
      repositories: await Promise.all(repos.map((fullName) => this.repoJson(fullName))),
    };
  }

  private findPull(fullName: string, number: string | undefined): PullRequestRecord {
    const pull = this.pullList.find(
      (candidate) => candidate.repo === fullName && String(candidate.number) === number,
    );
    if (pull === undefined) throw new GitHubApiError(404, 'Not Found');
    return pull;
  }

  private assertNoOpenDuplicate(fullName: string, headLabel: string, base: string): void {
    const duplicate = this.pullList.some(
      (pull) =>
        pull.repo === fullName &&
        pull.state === 'open' &&
        pull.head.label === headLabel &&
        pull.base.ref === base,
    );
    if (duplicate) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${headLabel}.`,
      });
    }
  }

  /** A compare side: a sha, branch or tag, optionally 'owner:ref' for the repo's own owner. */
  private async resolveSpec(fullName: string, owner: string, spec: string): Promise<string | undefined> {
    if (spec.includes(':')) {
      const [specOwner, ref] = splitOnce(spec, ':');
      return specOwner === owner ? this.git.resolve(fullName, ref) : undefined;
    }
    return this.git.resolve(fullName, spec);
  }

  /** GitHub's page/per_page pagination with a Link header. */
  private page(request: RouteRequest, items: unknown[]): RouteResponse {
    const perPage = Math.min(100, Math.max(1, Number(request.query.get('per_page') ?? 30) || 30));
    const page = Math.max(1, Number(request.query.get('page') ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (target: number, rel: string) => {
      const query = new URLSearchParams(request.query);
      query.set('per_page', String(perPage));
      query.set('page', String(target));
      return `<${this.url}${request.path}?${query.toString()}>; rel="${rel}"`;
    };
    const links = [
      ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
    ];
    return {
      status: 200,
      body: items.slice((page - 1) * perPage, page * perPage),
      headers: links.length > 0 ? { link: links.join(', ') } : {},
    };
  }
}

function parseAuthorization(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

function looksLikeJwt(credential: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function validationFailed(error: Record<string, unknown>): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', { errors: [error] });
}

function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GitHubApiError(400, 'Problems parsing JSON');
  }
  return body as Record<string, unknown>;
}

function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string')
    throw new GitHubApiError(422, `Invalid request.\n\n"${field}" wasn't supplied.`);
  return value;
}

/** `{labels: ['a']}`, `{labels: [{name: 'a'}]}` or `['a']`, as GitHub accepts. */
function labelNames(body: unknown): string[] {
  const list = Array.isArray(body) ? body : (requireObject(body)['labels'] as unknown);
  if (!Array.isArray(list)) throw new GitHubApiError(422, `Invalid request.\n\n"labels" wasn't supplied.`);
  return list.map((entry: unknown) => {
    if (typeof entry === 'string') return entry;
    if (
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as { name?: unknown }).name === 'string'
    ) {
      return (entry as { name: string }).name;
    }
    throw new GitHubApiError(422, 'Validation Failed', {
      errors: [{ resource: 'Label', code: 'invalid', field: 'name' }],
    });
  });
}

function repoOf(request: RouteRequest): string {
  return `${request.params['owner']}/${request.params['repo']}`;
}

function compareStatus(aheadBy: number, behindBy: number): 'identical' | 'ahead' | 'behind' | 'diverged' {
  if (aheadBy === 0) return behindBy === 0 ? 'identical' : 'behind';
  return behindBy === 0 ? 'ahead' : 'diverged';
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}
