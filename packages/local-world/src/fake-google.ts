import { createSign, createVerify, generateKeyPair, randomBytes, randomInt, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { systemClock, type Clock } from './clock.js';

/**
 * One loopback HTTP server playing the Google (and GitHub OIDC) endpoints that google-auth-library talks to:
 *   POST /token                       OAuth2 JWT-bearer grant for a service-account key
 *   GET  /oidc/token?audience=…       GitHub Actions OIDC token request (ACTIONS_ID_TOKEN_REQUEST_URL)
 *   POST /v1/token                    STS token exchange (OIDC JWT -> federated token)
 *   POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken   IAM Credentials impersonation
 * Every final access token becomes the registry password of `oauth2accesstoken`, as on Artifact Registry.
 */

/** The part of the test registry the fake needs: one password per user. */
export interface RegistryCredentialSink {
  setUser(username: string, password: string): Promise<void>;
  removeUser(username: string): Promise<void>;
}

export interface FakeGoogleOptions {
  registry?: RegistryCredentialSink;
  /** Project number in the workload identity provider name. */
  projectNumber?: string;
  /** The service account whose key the fake issues and which federated identities may impersonate. */
  serviceAccount?: string;
  /** `owner/name` of the repository the GitHub OIDC tokens are issued for. */
  repository?: string;
  /** What token lifetimes are measured on; the wall clock unless a test moves time itself. */
  clock?: Clock;
}

export interface ServiceAccountKey {
  json: string;
  privateKeyPem: string;
  privateKeyId: string;
}

export interface IssuedToken {
  kind: 'oidc' | 'federated' | 'access';
  value: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  /** 0 when the connection was dropped without an answer. */
  status: number;
}

export type FailureRule = {
  /** Tested against the request path without its query string. */
  path: RegExp;
  /** How many matching requests fail; default 1. */
  times?: number;
} & (
  | {
      status: number;
      /** Response body; a string is sent as is, anything else as JSON. Defaults to a Google-style error. */
      body?: unknown;
    }
  | {
      /** Read the request, then reset the connection without an answer (recorded with status 0). */
      drop: true;
    }
);

/** The user name Artifact Registry expects with an access token as password. */
export const ACCESS_TOKEN_USER = 'oauth2accesstoken';
/** The audience gtoken puts in every service-account assertion. */
export const GOOGLE_TOKEN_AUDIENCE = 'https://oauth2.googleapis.com/token';

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const FEDERATED_TOKEN_SECONDS = 3600;
const MAX_BODY_BYTES = 64 * 1024;

type Claims = Record<string, unknown>;

interface KeyPair {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** OAuth2-style error, as oauth2.googleapis.com and sts.googleapis.com answer. */
function oauthError(status: number, error: string, description: string): HttpError {
  return new HttpError(status, { error, error_description: description });
}

/** google.rpc-style error, as iamcredentials.googleapis.com answers. */
function rpcError(code: number, status: string, message: string): HttpError {
  return new HttpError(code, { error: { code, message, status } });
}

/** Signs `claims` as a compact RS256 JWT. */
export function signJwt(claims: Claims, privateKeyPem: string, keyId?: string): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(keyId === undefined ? {} : { kid: keyId }) };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKeyPem);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/** Splits a compact JWT; undefined when it is not one. */
function decodeJwt(
  token: string,
): { header: Claims; claims: Claims; signingInput: string; signature: Buffer } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, claims, signature] = parts as [string, string, string];
  try {
    return {
      header: asObject(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))),
      claims: asObject(JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'))),
      signingInput: `${header}.${claims}`,
      signature: Buffer.from(signature, 'base64url'),
    };
  } catch {
    return undefined;
  }
}

function asObject(value: unknown): Claims {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Claims;
}

function hasValidSignature(jwt: NonNullable<ReturnType<typeof decodeJwt>>, publicKeyPem: string): boolean {
  if (jwt.header['alg'] !== 'RS256') return false;
  return createVerify('RSA-SHA256').update(jwt.signingInput).verify(publicKeyPem, jwt.signature);
}

/** A random token shaped like Google's: `ya29.` and base64url, about 70 characters. */
function newAccessToken(): string {
  return `ya29.${randomBytes(48).toString('base64url')}`;
}

/** RFC 3339 without fractional seconds, as Google prints `expireTime`. */
function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

async function newRsaKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  return promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw rpcError(413, 'INVALID_ARGUMENT', 'Request payload too large.');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON or form-encoded body into string-or-array fields. */
function parseFields(request: IncomingMessage, body: string): Claims {
  const contentType = request.headers['content-type'] ?? '';
  if (contentType.includes('application/json')) {
    try {
      return asObject(JSON.parse(body));
    } catch {
      throw oauthError(400, 'invalid_request', 'Invalid JSON payload received.');
    }
  }
  return Object.fromEntries(new URLSearchParams(body));
}

/** Reads a field in snake_case or its proto-JSON camelCase twin (google-github-actions/auth sends camelCase). */
function field(fields: Claims, snakeName: string): string | undefined {
  const camelName = snakeName.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
  const value = fields[snakeName] ?? fields[camelName];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

export class FakeGoogle {
  /** Lifetime of the final access tokens (from /token and generateAccessToken). */
  tokenLifetimeSeconds = 3600;
  /** Lifetime of GitHub OIDC tokens; 0 issues tokens that are already expired. */
  oidcTokenLifetimeSeconds = 300;

  readonly url: string;
  readonly serviceAccount: string;
  readonly projectNumber: string;
  readonly repository: string;
  readonly workloadIdentityProvider: string;
  /** `iss` of the OIDC tokens this fake issues (stands in for https://token.actions.githubusercontent.com). */
  readonly oidcIssuer: string;
  readonly stsUrl: string;
  readonly iamCredentialsUrl: string;

  readonly #server: Server;
  readonly #registry: RegistryCredentialSink | undefined;
  readonly #serviceAccountKeys: KeyPair;
  readonly #oidcKeys: KeyPair;
  readonly #oidcRequestToken = randomBytes(32).toString('base64url');
  // Google's client ids are 21 digits.
  readonly #clientId = Array.from({ length: 21 }, (_, index) => randomInt(index === 0 ? 1 : 0, 10)).join('');
  readonly #issued: IssuedToken[] = [];
  readonly #requests: RecordedRequest[] = [];
  readonly #failures: Array<{ rule: FailureRule; remaining: number }> = [];
  readonly #federated = new Map<string, { subject: string; expiresAt: number }>();
  readonly #clock: Clock;
  #currentAccessToken: IssuedToken | undefined;
  #cancelExpiry: () => void = () => undefined;
  // Sink calls run one at a time so a removeUser never overtakes the setUser of a newer token.
  #sinkQueue: Promise<void> = Promise.resolve();

  private constructor(
    server: Server,
    options: FakeGoogleOptions,
    serviceAccountKeys: KeyPair,
    oidcKeys: KeyPair,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
    this.#server = server;
    this.#registry = options.registry;
    this.#clock = options.clock ?? systemClock;
    this.#serviceAccountKeys = serviceAccountKeys;
    this.#oidcKeys = oidcKeys;
    this.serviceAccount = options.serviceAccount ?? 'image-pusher@hub-images-test.iam.gserviceaccount.com';
    this.projectNumber = options.projectNumber ?? '123456789012';
    this.repository = options.repository ?? 'example-org/example-image';
    this.workloadIdentityProvider = `projects/${this.projectNumber}/locations/global/workloadIdentityPools/github/providers/actions`;
    this.oidcIssuer = `${this.url}/oidc`;
    this.stsUrl = `${this.url}/v1/token`;
    this.iamCredentialsUrl = `${this.url}/v1`;
  }

  static async start(options: FakeGoogleOptions = {}): Promise<FakeGoogle> {
    const [serviceAccountPair, oidcPair] = await Promise.all([newRsaKeyPair(), newRsaKeyPair()]);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeGoogle(
      server,
      options,
      {
        privateKeyPem: serviceAccountPair.privateKey,
        publicKeyPem: serviceAccountPair.publicKey,
        keyId: randomBytes(20).toString('hex'),
      },
      {
        privateKeyPem: oidcPair.privateKey,
        publicKeyPem: oidcPair.publicKey,
        keyId: randomBytes(20).toString('hex').toUpperCase(),
      },
    );
    server.on('request', (request, response) => void fake.#handle(request, response));
    return fake;
  }

  get issued(): ReadonlyArray<Readonly<IssuedToken>> {
    return this.#issued;
  }

  get requests(): ReadonlyArray<Readonly<RecordedRequest>> {
    return this.#requests;
  }

  /** The service account's key file, in the format the Cloud console downloads; `token_uri` points here. */
  serviceAccountKey(): ServiceAccountKey {
    const { privateKeyPem, keyId: privateKeyId } = this.#serviceAccountKeys;
    const projectId = this.serviceAccount.split('@')[1]?.split('.')[0] ?? 'hub-images-test';
    const key = {
      type: 'service_account',
      project_id: projectId,
      private_key_id: privateKeyId,
      private_key: privateKeyPem,
      client_email: this.serviceAccount,
      client_id: this.#clientId,
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: `${this.url}/token`,
      auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
      client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(this.serviceAccount)}`,
      universe_domain: 'googleapis.com',
    };
    return { json: JSON.stringify(key, null, 2), privateKeyPem, privateKeyId };
  }

  /** What a GitHub runner puts in a job with `id-token: write`. */
  oidcEnv(): { ACTIONS_ID_TOKEN_REQUEST_URL: string; ACTIONS_ID_TOKEN_REQUEST_TOKEN: string } {
    return {
      ACTIONS_ID_TOKEN_REQUEST_URL: `${this.url}/oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.#oidcRequestToken,
    };
  }

  /** Makes the next `times` (default 1) requests whose path matches fail with `status`, or drop them. */
  fail(rule: FailureRule): void {
    this.#failures.push({ rule, remaining: rule.times ?? 1 });
  }

  clearFailures(): void {
    this.#failures.length = 0;
  }

  /** Revokes the current access token now: the registry forgets it. */
  async expireNow(): Promise<void> {
    const current = this.#currentAccessToken;
    if (current === undefined) return;
    current.expiresAt = Math.min(current.expiresAt, this.#clock.now());
    this.#currentAccessToken = undefined;
    this.#cancelExpiry();
    await this.#toSink((sink) => sink.removeUser(ACCESS_TOKEN_USER));
  }

  async stop(): Promise<void> {
    this.#cancelExpiry();
    await this.#sinkQueue;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const method = request.method ?? 'GET';
    response.on('finish', () =>
      this.#requests.push({ method, path: url.pathname, status: response.statusCode }),
    );
    try {
      const injected = this.#takeFailure(url.pathname);
      if (injected === 'drop') {
        for await (const _chunk of request); // the whole request arrived, as when a front end fails mid-answer
        this.#requests.push({ method, path: url.pathname, status: 0 });
        request.socket.resetAndDestroy();
        return;
      }
      if (injected !== undefined) throw injected;
      const body = await this.#route(method, url, request);
      send(response, 200, body);
    } catch (error) {
      if (error instanceof HttpError) {
        send(response, error.status, error.body);
      } else {
        send(response, 500, { error: { code: 500, message: String(error), status: 'INTERNAL' } });
      }
    }
  }

  #takeFailure(path: string): HttpError | 'drop' | undefined {
    const entry = this.#failures.find(({ rule, remaining }) => remaining > 0 && rule.path.test(path));
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if ('drop' in entry.rule) return 'drop';
    const { status, body } = entry.rule;
    return new HttpError(
      status,
      body ?? { error: { code: status, message: 'Injected failure.', status: 'UNAVAILABLE' } },
    );
  }

  async #route(method: string, url: URL, request: IncomingMessage): Promise<unknown> {
    const path = url.pathname;
    const expect = (allowed: string): void => {
      if (method !== allowed) throw rpcError(405, 'METHOD_NOT_ALLOWED', `Method ${method} not allowed.`);
    };
    if (path === '/token') {
      expect('POST');
      return this.#oauthToken(parseFields(request, await readBody(request)));
    }
    if (path === '/oidc/token') {
      expect('GET');
      return this.#oidcToken(request, url);
    }
    if (path === '/v1/token') {
      expect('POST');
      return this.#stsExchange(parseFields(request, await readBody(request)));
    }
    const impersonation = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path);
    if (impersonation !== null) {
      expect('POST');
      const email = decodeURIComponent(impersonation[1] ?? '');
      return this.#generateAccessToken(request, email, parseFields(request, await readBody(request)));
    }
    throw rpcError(404, 'NOT_FOUND', `The requested URL ${path} was not found on this server.`);
  }

  /** oauth2.googleapis.com/token, JWT-bearer grant (RFC 7523) as gtoken sends it. */
  async #oauthToken(fields: Claims): Promise<unknown> {
    const grantType = field(fields, 'grant_type');
    if (grantType !== JWT_BEARER) {
      throw oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
    }
    const assertion = field(fields, 'assertion');
    if (assertion === undefined)
      throw oauthError(400, 'invalid_request', 'Missing required parameter: assertion');
    const jwt = decodeJwt(assertion);
    if (jwt === undefined) throw oauthError(400, 'invalid_grant', 'Invalid JWT: malformed assertion.');
    if (jwt.claims['iss'] !== this.serviceAccount) {
      throw oauthError(400, 'invalid_grant', 'Invalid grant: account not found');
    }
    if (!hasValidSignature(jwt, this.#serviceAccountKeys.publicKeyPem)) {
      throw oauthError(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    if (jwt.claims['aud'] !== GOOGLE_TOKEN_AUDIENCE) {
      throw oauthError(
        400,
        'invalid_grant',
        `Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_AUDIENCE}`,
      );
    }
    const { iat, exp } = jwt.claims;
    const now = this.#nowSeconds();
    const skew = 60;
    if (
      typeof iat !== 'number' ||
      typeof exp !== 'number' ||
      exp <= now ||
      iat > now + skew ||
      exp - iat > 3600
    ) {
      throw oauthError(
        400,
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
      );
    }
    if (typeof jwt.claims['scope'] !== 'string' || jwt.claims['scope'] === '') {
      throw oauthError(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    const token = await this.#grantAccessToken(this.tokenLifetimeSeconds);
    return { access_token: token.value, expires_in: this.tokenLifetimeSeconds, token_type: 'Bearer' };
  }

  /** The GitHub Actions runtime's ID token endpoint. */
  #oidcToken(request: IncomingMessage, url: URL): unknown {
    if (bearerToken(request) !== this.#oidcRequestToken) {
      throw new HttpError(401, { message: 'Unauthorized: the ID token request token is not valid.' });
    }
    const [owner] = this.repository.split('/');
    const audience = url.searchParams.get('audience') ?? `https://github.com/${owner ?? ''}`;
    const iat = this.#nowSeconds();
    const exp = iat + this.oidcTokenLifetimeSeconds;
    const sha = randomBytes(20).toString('hex');
    const claims = {
      jti: randomUUID(),
      sub: `repo:${this.repository}:ref:refs/heads/main`,
      aud: audience,
      ref: 'refs/heads/main',
      sha,
      repository: this.repository,
      repository_owner: owner,
      run_id: String(randomInt(10 ** 9, 10 ** 10)),
      run_attempt: '1',
      actor: 'octocat',
      event_name: 'push',
      ref_type: 'branch',
      workflow_ref: `${this.repository}/.github/workflows/build.yaml@refs/heads/main`,
      workflow_sha: sha,
      runner_environment: 'github-hosted',
      iss: this.oidcIssuer,
      nbf: iat - 5,
      iat,
      exp,
    };
    const value = signJwt(claims, this.#oidcKeys.privateKeyPem, this.#oidcKeys.keyId);
    this.#issued.push({ kind: 'oidc', value, expiresAt: exp * 1000 });
    return { value };
  }

  /** sts.googleapis.com/v1/token: OIDC subject token -> federated access token. */
  #stsExchange(fields: Claims): unknown {
    const grantType = field(fields, 'grant_type');
    if (grantType !== TOKEN_EXCHANGE) {
      throw oauthError(
        400,
        'unsupported_grant_type',
        `Invalid value for "grant_type": ${grantType ?? '(missing)'}`,
      );
    }
    const subjectTokenType = field(fields, 'subject_token_type');
    if (subjectTokenType !== JWT_TOKEN_TYPE && subjectTokenType !== ID_TOKEN_TYPE) {
      throw oauthError(
        400,
        'invalid_request',
        `Invalid value for "subject_token_type": ${subjectTokenType ?? ''}`,
      );
    }
    const requestedTokenType = field(fields, 'requested_token_type');
    if (requestedTokenType !== undefined && requestedTokenType !== ACCESS_TOKEN_TYPE) {
      throw oauthError(
        400,
        'invalid_request',
        `Invalid value for "requested_token_type": ${requestedTokenType}`,
      );
    }
    if (field(fields, 'scope') === undefined)
      throw oauthError(400, 'invalid_scope', 'Scope(s) must be provided.');
    if (field(fields, 'audience') !== `//iam.googleapis.com/${this.workloadIdentityProvider}`) {
      throw oauthError(
        400,
        'invalid_target',
        'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.',
      );
    }
    const subject = this.#verifyOidcToken(field(fields, 'subject_token'));
    const value = newAccessToken();
    const expiresAt = this.#clock.now() + FEDERATED_TOKEN_SECONDS * 1000;
    this.#federated.set(value, { subject, expiresAt });
    this.#issued.push({ kind: 'federated', value, expiresAt });
    return {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: FEDERATED_TOKEN_SECONDS,
    };
  }

  /** Checks a subject token the way a workload identity provider with default settings does; returns `sub`. */
  #verifyOidcToken(subjectToken: string | undefined): string {
    const jwt = subjectToken === undefined ? undefined : decodeJwt(subjectToken);
    if (jwt === undefined) throw oauthError(400, 'invalid_grant', 'Unable to parse the ID Token.');
    if (!hasValidSignature(jwt, this.#oidcKeys.publicKeyPem)) {
      throw oauthError(400, 'invalid_grant', 'Invalid ID Token: the signature could not be verified.');
    }
    const { iss, aud, exp, sub } = jwt.claims;
    if (iss !== this.oidcIssuer) {
      throw oauthError(
        400,
        'invalid_grant',
        `The issuer in ID Token ${String(iss)} does not match the expected ones: ${this.oidcIssuer}.`,
      );
    }
    // Default allowed audience of a provider is its full resource name; accept it with or without the scheme.
    const allowedAudiences = [
      `https://iam.googleapis.com/${this.workloadIdentityProvider}`,
      `//iam.googleapis.com/${this.workloadIdentityProvider}`,
    ];
    if (typeof aud !== 'string' || !allowedAudiences.includes(aud)) {
      throw oauthError(
        400,
        'invalid_grant',
        `The audience in ID Token [${String(aud)}] does not match the expected audience ${allowedAudiences[0]}.`,
      );
    }
    if (typeof exp !== 'number' || exp <= this.#nowSeconds()) {
      throw oauthError(400, 'invalid_grant', 'The ID Token has expired.');
    }
    if (typeof sub !== 'string') throw oauthError(400, 'invalid_grant', 'The ID Token has no "sub" claim.');
    return sub;
  }

  /** iamcredentials.googleapis.com generateAccessToken, authorised by a federated token. */
  async #generateAccessToken(request: IncomingMessage, email: string, fields: Claims): Promise<unknown> {
    const caller = this.#federated.get(bearerToken(request) ?? '');
    if (caller === undefined || caller.expiresAt <= this.#clock.now()) {
      throw rpcError(
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
    }
    // The binding is principalSet://…/attribute.repository/REPO on this one service account.
    if (email !== this.serviceAccount || caller.subject !== `repo:${this.repository}:ref:refs/heads/main`) {
      throw new HttpError(403, {
        error: {
          code: 403,
          message:
            "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
          status: 'PERMISSION_DENIED',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'IAM_PERMISSION_DENIED',
              domain: 'iam.googleapis.com',
              metadata: { permission: 'iam.serviceAccounts.getAccessToken' },
            },
          ],
        },
      });
    }
    const scope = fields['scope'];
    if (!Array.isArray(scope) || scope.length === 0 || !scope.every((s) => typeof s === 'string')) {
      throw rpcError(400, 'INVALID_ARGUMENT', 'Scope required.');
    }
    const lifetime = fields['lifetime'] ?? '3600s';
    const lifetimeMatch = typeof lifetime === 'string' ? /^(\d+)(?:\.\d+)?s$/.exec(lifetime) : null;
    const requestedSeconds = Number(lifetimeMatch?.[1] ?? NaN);
    if (!(requestedSeconds > 0 && requestedSeconds <= 3600)) {
      throw rpcError(
        400,
        'INVALID_ARGUMENT',
        'The lifetime requested must be a positive duration of at most 3600 seconds (1 hour).',
      );
    }
    const token = await this.#grantAccessToken(Math.min(requestedSeconds, this.tokenLifetimeSeconds));
    return { accessToken: token.value, expireTime: rfc3339(token.expiresAt) };
  }

  /** Mints an access token, makes it the registry password, and schedules its expiry. */
  async #grantAccessToken(lifetimeSeconds: number): Promise<IssuedToken> {
    const token: IssuedToken = {
      kind: 'access',
      value: newAccessToken(),
      expiresAt: this.#clock.now() + lifetimeSeconds * 1000,
    };
    this.#issued.push(token);
    this.#currentAccessToken = token;
    this.#cancelExpiry();
    this.#cancelExpiry = this.#clock.after(lifetimeSeconds * 1000, () => {
      if (this.#currentAccessToken !== token) return;
      this.#currentAccessToken = undefined;
      // Nobody awaits the timer; a failing sink shows up as the registry still accepting the token.
      this.#toSink((sink) => sink.removeUser(ACCESS_TOKEN_USER)).catch(() => undefined);
    });
    try {
      await this.#toSink((sink) => sink.setUser(ACCESS_TOKEN_USER, token.value));
    } catch (error) {
      // The registry never learnt the token: do not hand it out.
      if (this.#currentAccessToken === token) {
        this.#currentAccessToken = undefined;
        this.#cancelExpiry();
      }
      throw error;
    }
    return token;
  }

  #nowSeconds(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  #toSink(operation: (sink: RegistryCredentialSink) => Promise<void>): Promise<void> {
    const registry = this.#registry;
    if (registry === undefined) return Promise.resolve();
    const run = this.#sinkQueue.then(() => operation(registry));
    this.#sinkQueue = run.catch(() => undefined);
    return run;
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent || response.destroyed) return; // the client went away mid-request
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, {
    'content-type':
      typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
