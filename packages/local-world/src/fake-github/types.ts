import type { KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { GitServer } from '../git-server.js';

// What the fake GitHub's users see (options, records, rules, route types) and the constants of its answers.

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
  /** Issues (absent in snapshots taken before the fake had them). */
  issues?: IssueRecord[];
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
  /** What GitHub now recommends as the JWT's `iss`; default `Iv23li` and hex of the id. */
  clientId?: string;
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

/** An issue (not a pull request; those share its numbers). */
export interface IssueRecord {
  repo: string;
  number: number;
  state: 'open' | 'closed';
  state_reason: 'completed' | 'not_planned' | 'reopened' | null;
  title: string;
  body: string | null;
  labels: string[];
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  html_url: string;
  user: string;
}

/** A merged pull request to register (its merge commit, or its head, is the given sha). */
export interface MergedPull {
  number: number;
  title: string;
  mergeCommitSha: string;
  headSha?: string;
  headRef?: string;
  baseRef?: string;
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
  /** The JSON body of the answer, as sent (e.g. to check it against GitHub's API description). */
  response?: unknown;
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
  /** 403 (default) or 429: GitHub answers either. */
  status?: 403 | 429;
  /** Default 60; null sends no retry-after header. */
  retryAfterSeconds?: number | null;
}

export interface RateLimitRule {
  method?: string;
  path: RegExp;
  times?: number;
  status?: 403 | 429;
  /** When the budget comes back (x-ratelimit-reset), from now; default an hour. */
  resetInSeconds?: number;
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

export type RouteAuth = 'token' | 'app' | 'none';

export interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  auth: RouteAuth;
  docs: string;
  handler: (request: RouteRequest, app?: AppRecord) => RouteResponse | Promise<RouteResponse>;
}

export interface AppRecord {
  id: number;
  clientId: string;
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

export interface ActiveHold {
  method?: string;
  path: RegExp;
  remaining: number;
  hook: () => Promise<void>;
}

export interface ActiveFault {
  method?: string;
  path: RegExp;
  remaining: number;
  respond: () => { status: number; body: unknown; headers: Record<string, string> };
}

export const DOCS = 'https://docs.github.com/rest';
export const ALL_WRITE: TokenPermissions = { contents: 'write', pull_requests: 'write', issues: 'write' };
export const JWT_UNDECODABLE = 'A JSON web token could not be decoded';
export const JWT_BAD_IAT =
  "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
export const JWT_BAD_EXP =
  "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
export const JWT_EXP_TOO_FAR = "'Expiration time' claim ('exp') is too far in the future";
/** `exp` may be at most this far in the future. */
export const MAX_JWT_EXP_SECONDS = 600;
export const RATE_LIMIT = 5000;
