import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GitServer } from '../git-server.js';
import { verifyAppJwt } from './app-jwt.js';
import { createInstallationToken, getInstallation, revokeInstallationToken } from './apps.js';
import { compare, getCommit, listCommits, pullsForCommit } from './commits.js';
import type { Context } from './context.js';
import { Faults } from './faults.js';
import {
  addLabels,
  createComment,
  createIssue,
  getIssue,
  listComments,
  listIssues,
  listLabels,
  removeLabel,
  updateIssue,
} from './issues.js';
import { createPull, getPull, listPulls, updatePull } from './pulls.js';
import { getRepo } from './repos.js';
import { Shapes } from './shapes.js';
import { Store } from './store.js';
import {
  ALL_WRITE,
  DOCS,
  GitHubApiError,
  RATE_LIMIT,
  type Access,
  type ApiCaller,
  type ApiRequestRecord,
  type ApiTokenGrant,
  type AppRecord,
  type AppRegistration,
  type CommentRecord,
  type FakeGitHubOptions,
  type FakeGitHubSnapshot,
  type FaultRule,
  type HoldRule,
  type InstallationToken,
  type IssueRecord,
  type MergedPull,
  type PermissionScope,
  type PullRequestRecord,
  type RateLimitRule,
  type Route,
  type RouteAuth,
  type RouteHandler,
  type RouteRequest,
  type SecondaryRateLimitRule,
} from './types.js';
import {
  allows,
  compilePattern,
  looksLikeJwt,
  nowSeconds,
  parseAuthorization,
  readBody,
  requestId,
} from './wire.js';

export * from './types.js';

// A fake of the api.github.com endpoints our actions call, with GitHub's paths, statuses and error bodies,
// checked against GitHub's published API description (see __tests__/fake-github-spec.e2e.test.ts). Git data
// (branches, commits) comes from a GitServer, so compare and pull request checks use real history.

/** Fake api.github.com on 127.0.0.1; GITHUB_SERVER_URL is the GitServer, so html links and clone URLs agree. */
export class FakeGitHub {
  readonly url: string;
  readonly serverUrl: string;
  private readonly git: GitServer;
  private readonly routes: Route[] = [];
  private readonly tokens = new Map<string, ApiCaller>();
  private readonly apps = new Map<number, AppRecord>();
  private readonly faults = new Faults();
  private readonly store = new Store();
  private readonly minted: InstallationToken[] = [];
  private readonly requestLog: ApiRequestRecord[] = [];
  private readonly rateLimitUsed = new Map<string, number>();
  private readonly publicRepos = new Set<string>();
  private readonly context: Context;

  private constructor(
    private readonly server: Server,
    port: number,
    options: FakeGitHubOptions,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.git = options.git;
    this.serverUrl = options.git.url;
    this.context = {
      url: this.url,
      serverUrl: this.serverUrl,
      git: this.git,
      store: this.store,
      shapes: new Shapes(this.url, this.serverUrl, this.git, this.store),
      tokens: this.tokens,
      minted: this.minted,
      addToken: (token, grant) => this.addToken(token, grant),
      authorize: (request, fullName, ...anyOf) => this.authorize(request, fullName, ...anyOf),
    };
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
    return this.store.pulls;
  }

  get comments(): ReadonlyArray<CommentRecord> {
    return this.store.comments;
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

  /** Makes a repository public: any token may read it through the API (writes still need access). */
  makePublic(fullName: string): void {
    this.publicRepos.add(fullName);
  }

  get issues(): ReadonlyArray<IssueRecord> {
    return this.store.issues;
  }

  removeToken(token: string): void {
    this.tokens.delete(token);
  }

  addApp(app: AppRegistration): { privateKeyPem: string; clientId: string } {
    const privateKeyPem =
      app.privateKeyPem ??
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs1', format: 'pem' })
        .toString();
    const clientId = app.clientId ?? `Iv23li${app.id.toString(16).padStart(14, '0')}`;
    this.apps.set(app.id, {
      id: app.id,
      clientId,
      slug: app.slug ?? `app-${app.id}`,
      publicKey: createPublicKey(createPrivateKey(privateKeyPem)),
      installations: { ...app.installations },
      permissions: app.permissions ?? ALL_WRITE,
    });
    return { privateKeyPem, clientId };
  }

  /** Registers a merged PR whose merge commit (or head commit) is the given sha. */
  addMergedPull(fullName: string, pull: MergedPull): PullRequestRecord {
    return this.store.addMergedPull(this.serverUrl, fullName, pull);
  }

  /** Answers the next `times` matching requests (every one when omitted) with this status, body and headers. */
  fail(rule: FaultRule): void {
    this.faults.fail(rule);
  }

  /** Holds matching requests until `hook` settles, serving others meanwhile (see Faults.beforeRequest). */
  beforeRequest(rule: HoldRule, hook: () => Promise<void>): void {
    this.faults.beforeRequest(rule, hook);
  }

  /** GitHub's secondary rate limit: 403 or 429, its message, and retry-after (or none). */
  secondaryRateLimit(rule: SecondaryRateLimitRule): void {
    this.faults.secondaryRateLimit(rule);
  }

  /** GitHub's primary rate limit: x-ratelimit-remaining 0 until x-ratelimit-reset. */
  rateLimit(rule: RateLimitRule): void {
    this.faults.rateLimit(rule);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Pull requests, comments, labels and counters as plain JSON, e.g. to carry them to a later fake. */
  snapshot(): FakeGitHubSnapshot {
    return this.store.snapshot(this.serverUrl);
  }

  /**
   * Loads a snapshot into a fake that has none of its own yet: numbering continues where the snapshot's fake left
   * off, and html links move to this fake's git server. The repos themselves must be on that git server.
   */
  restore(snapshot: FakeGitHubSnapshot): void {
    this.store.restore(snapshot, this.serverUrl);
  }

  /** The app a JWT's `iss` names: by client ID, or by app ID (a number or a numeric string). */
  private appFor(issuer: unknown): AppRecord | undefined {
    if (typeof issuer === 'string' && !/^[0-9]+$/.test(issuer)) {
      return [...this.apps.values()].find((app) => app.clientId === issuer);
    }
    return typeof issuer === 'number' || typeof issuer === 'string'
      ? this.apps.get(Number(issuer))
      : undefined;
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
    const granted = caller.repos === undefined || caller.repos.includes(fullName);
    const visible = granted || this.publicRepos.has(fullName);
    if (!visible || !(await this.git.hasRepo(fullName))) throw new GitHubApiError(404, 'Not Found');
    if (!granted) {
      if (anyOf.length === 0 || anyOf.some(([, access]) => access === 'read')) return caller;
      throw new GitHubApiError(403, 'Resource not accessible by integration');
    }
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

    await this.faults.hold(method, url.pathname);
    const fault = this.faults.take(method, url.pathname);
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
        app = verifyAppJwt(credential, (issuer) => this.appFor(issuer), nowSeconds());
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
    if (body !== undefined) record.response = body;
    this.requestLog.push(record);
  }

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
    add('GET', repo, 'repos/repos#get-a-repository', (r) => getRepo(this.context, r));
    add('GET', `${repo}/pulls`, 'pulls/pulls#list-pull-requests', (r) => listPulls(this.context, r));
    add('GET', `${repo}/pulls/:number`, 'pulls/pulls#get-a-pull-request', (r) => getPull(this.context, r));
    add('POST', `${repo}/pulls`, 'pulls/pulls#create-a-pull-request', (r) => createPull(this.context, r));
    add('PATCH', `${repo}/pulls/:number`, 'pulls/pulls#update-a-pull-request', (r) =>
      updatePull(this.context, r),
    );
    add('GET', `${repo}/issues/:number/labels`, 'issues/labels#list-labels-for-an-issue', (r) =>
      listLabels(this.context, r),
    );
    add('POST', `${repo}/issues/:number/labels`, 'issues/labels#add-labels-to-an-issue', (r) =>
      addLabels(this.context, r),
    );
    add('DELETE', `${repo}/issues/:number/labels/:name`, 'issues/labels#remove-a-label-from-an-issue', (r) =>
      removeLabel(this.context, r),
    );
    add('GET', `${repo}/issues/:number/comments`, 'issues/comments#list-issue-comments', (r) =>
      listComments(this.context, r),
    );
    add('POST', `${repo}/issues/:number/comments`, 'issues/comments#create-an-issue-comment', (r) =>
      createComment(this.context, r),
    );
    add('GET', `${repo}/issues`, 'issues/issues#list-repository-issues', (r) => listIssues(this.context, r));
    add('POST', `${repo}/issues`, 'issues/issues#create-an-issue', (r) => createIssue(this.context, r));
    add('GET', `${repo}/issues/:number`, 'issues/issues#get-an-issue', (r) => getIssue(this.context, r));
    add('PATCH', `${repo}/issues/:number`, 'issues/issues#update-an-issue', (r) =>
      updateIssue(this.context, r),
    );
    add('GET', `${repo}/commits`, 'commits/commits#list-commits', (r) => listCommits(this.context, r));
    add('GET', `${repo}/compare/:basehead+`, 'commits/commits#compare-two-commits', (r) =>
      compare(this.context, r),
    );
    // Before commits/:ref+, which would otherwise swallow '…/SHA/pulls'.
    add(
      'GET',
      `${repo}/commits/:sha/pulls`,
      'commits/commits#list-pull-requests-associated-with-a-commit',
      (r) => pullsForCommit(this.context, r),
    );
    add('GET', `${repo}/commits/:ref+`, 'commits/commits#get-a-commit', (r) => getCommit(this.context, r));
    add(
      'GET',
      `${repo}/installation`,
      'apps/apps#get-a-repository-installation-for-the-authenticated-app',
      (r, app) => getInstallation(this.context, r, app),
      'app',
    );
    add(
      'POST',
      '/app/installations/:id/access_tokens',
      'apps/apps#create-an-installation-access-token-for-an-app',
      (r, app) => createInstallationToken(this.context, r, app),
      'app',
    );
    add('DELETE', '/installation/token', 'apps/installations#revoke-an-installation-access-token', (r) =>
      revokeInstallationToken(this.context, r),
    );
  }
}
