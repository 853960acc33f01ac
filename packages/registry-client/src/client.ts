import { createHash } from 'node:crypto';
import { parseRetryAfter, type RetryDecision } from '@hub-image-actions/retry';

export interface Credentials {
  username: string;
  password: string;
}

/** Supplies credentials for a request; called again after a 401 so a fresh token can be minted. */
export type CredentialProvider = (reason: 'initial' | 'rejected') => Promise<Credentials | undefined>;

export interface RegistryClientOptions {
  /** Registry host with optional port, e.g. `us-central1-docker.pkg.dev` or `127.0.0.1:5000`. */
  registry: string;
  credentials?: CredentialProvider;
  /** Plain http; by default only for loopback hosts (`isLoopbackRegistry`), as docker itself does. */
  insecure?: boolean;
  fetch?: typeof fetch;
  /** Per request. */
  timeoutMs?: number;
}

export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface ManifestDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

export interface Manifest extends ManifestDescriptor {
  body: Buffer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  /** Return a 404 answer instead of throwing. */
  allow404?: boolean;
  /** The token scope, e.g. `pull` or `pull,push`. */
  scope: string;
  /** Instead of the client's per-request timeout. */
  timeoutMs?: number;
}

/** A registry answer that is not success, with the OCI error code when the registry gave one. */
export class RegistryError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly status: number,
    /** OCI error code, e.g. DENIED, UNAUTHORIZED, NAME_UNKNOWN, MANIFEST_UNKNOWN, TOOMANYREQUESTS. */
    readonly code: string | undefined,
    readonly detail: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`${method} ${url} answered ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`);
    this.name = 'RegistryError';
  }
}

/** The request never got an HTTP answer: refused, reset, dropped or timed out. */
export class RegistryConnectionError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    readonly reason: string,
    /** The system error code when there was one, e.g. ECONNREFUSED, ENOTFOUND, ECONNRESET. */
    readonly code?: string,
  ) {
    super(`${method} ${url} failed: ${reason}`);
    this.name = 'RegistryConnectionError';
  }
}

/**
 * Docker's rule for talking plain http: dockerd treats a registry as insecure when its host resolves into an
 * insecure range, 127.0.0.0/8 by default, and ::1/128 too since Docker 28; `localhost` resolves to 127.0.0.1. Host
 * names are compared in any case, as name lookup does.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.toLowerCase().replace(/:[0-9]+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$/.test(host);
}

export function sha256Digest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

interface Challenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(Basic|Bearer)\b(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  for (const param of (match[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    params[(param[1] ?? '').toLowerCase()] = param[2] ?? '';
  }
  return { scheme: (match[1] ?? '').toLowerCase() as Challenge['scheme'], params };
}

/** What a 404 says was missing, from its OCI error code. */
export type NotFound =
  /** NAME_UNKNOWN: the registry does not know the repository at all. */
  | 'repository'
  /** MANIFEST_UNKNOWN, or any 404 without that code (HEAD answers have no body): no such manifest. */
  | 'manifest';

/** Reads a 404 body: `NAME_UNKNOWN` (OCI distribution spec) means the repository, anything else the manifest. */
export function notFoundKind(body: string): NotFound {
  const { code } = parseErrorBody(body);
  return code === 'NAME_UNKNOWN' ? 'repository' : 'manifest';
}

export interface ManifestReadOptions {
  /**
   * Throw a RegistryError (404, NAME_UNKNOWN) when the registry says the repository itself does not exist,
   * instead of answering undefined as for a missing manifest. Off by default: some registries answer NAME_UNKNOWN
   * for an image path never pushed to, which a caller asking "is this tag there yet?" wants as undefined.
   */
  unknownRepositoryThrows?: boolean;
}

/** True for the error getManifest throws with `unknownRepositoryThrows`: the repository does not exist. */
export function isUnknownRepository(error: unknown): error is RegistryError {
  return error instanceof RegistryError && error.status === 404 && error.code === 'NAME_UNKNOWN';
}

/** The OCI error body, `{"errors": [{"code", "message"}]}`, or the start of whatever else the server sent. */
function parseErrorBody(text: string): { code: string | undefined; detail: string } {
  try {
    const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
    return {
      code: parsed.errors?.[0]?.code,
      detail: parsed.errors?.map((e) => e.message ?? e.code).join('; ') ?? '',
    };
  } catch {
    return { code: undefined, detail: text.trim().slice(0, 500) };
  }
}

interface SocketError {
  code?: string;
  message?: string;
  address?: string;
  port?: number;
  /** Every address tried, when a name resolved to several (IPv4 and IPv6). */
  errors?: SocketError[];
}

/** Why fetch got no answer, with the system error code; a refused connection names the addresses tried. */
function connectionFailure(method: string, url: string, thrown: unknown): RegistryConnectionError {
  // Duck-typed: what fetch throws may come from another realm (a test's VM context), where instanceof fails.
  const error = thrown as { name?: unknown; message?: unknown; cause?: SocketError } | null;
  if (typeof error !== 'object' || error === null)
    return new RegistryConnectionError(method, url, String(thrown));
  if (error.name === 'TimeoutError' || error.name === 'AbortError')
    return new RegistryConnectionError(method, url, 'timed out');
  const cause = error.cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED' && cause !== undefined) {
    const addresses = [cause, ...(cause.errors ?? [])]
      .filter((tried) => tried.address !== undefined)
      .map((tried) => {
        const host = tried.address?.includes(':') ? `[${tried.address}]` : tried.address;
        return tried.port === undefined ? host : `${host}:${tried.port}`;
      });
    const where = [...new Set(addresses)].join(' and ') || new URL(url).host;
    return new RegistryConnectionError(method, url, `connection refused at ${where} (ECONNREFUSED)`, code);
  }
  return new RegistryConnectionError(
    method,
    url,
    code ? `${code}${cause?.message ? ` (${cause.message})` : ''}` : String(error.message),
    code,
  );
}

/**
 * OCI distribution API client. It answers the questions our actions ask: which digest does a tag hold,
 * what does a manifest or config blob say, and put this manifest under that tag.
 */
export class RegistryClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;
  private readonly tokens = new Map<string, string>();
  private basic: string | undefined;

  constructor(private readonly options: RegistryClientOptions) {
    const insecure = options.insecure ?? isLoopbackRegistry(options.registry);
    this.baseUrl = `${insecure ? 'http' : 'https'}://${options.registry}`;
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * The status of `GET /v2/` without credentials: any answer (200, or 401 asking to log in) means a registry is
   * there. `signal` stops the request when its answer is no longer needed.
   */
  async ping(signal?: AbortSignal): Promise<number> {
    const url = `${this.baseUrl}/v2/`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
      });
    } catch (error) {
      throw connectionFailure('GET', url, error);
    }
    await response.arrayBuffer().catch(() => undefined);
    return response.status;
  }

  /** The digest and media type a tag (or digest) resolves to; undefined when the registry has no such manifest. */
  async headManifest(repository: string, reference: string): Promise<ManifestDescriptor | undefined> {
    const response = await this.request('HEAD', repository, `/v2/${repository}/manifests/${reference}`, {
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      allow404: true,
      scope: 'pull',
    });
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    if (!digest) {
      // Some registries omit the digest on HEAD; fall back to reading the manifest.
      return (await this.getManifest(repository, reference)) ?? undefined;
    }
    return {
      digest,
      mediaType: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
      size: Number(response.headers.get('content-length') ?? 0),
    };
  }

  async getManifest(
    repository: string,
    reference: string,
    options: ManifestReadOptions = {},
  ): Promise<Manifest | undefined> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const response = await this.request('GET', repository, path, {
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
      allow404: true,
      scope: 'pull',
    });
    if (response.status === 404) {
      if (!options.unknownRepositoryThrows) {
        await response.arrayBuffer().catch(() => undefined);
        return undefined;
      }
      const text = await response.text().catch(() => '');
      if (notFoundKind(text) === 'manifest') return undefined;
      const { code, detail } = parseErrorBody(text);
      throw new RegistryError('GET', `${this.baseUrl}${path}`, 404, code, detail, undefined);
    }
    const body = Buffer.from(await response.arrayBuffer());
    return {
      digest: response.headers.get('docker-content-digest') ?? sha256Digest(body),
      mediaType: (response.headers.get('content-type') ?? '').split(';')[0] ?? '',
      size: body.length,
      body,
    };
  }

  /** Puts a manifest under a tag; returns the digest the registry reports. */
  async putManifest(
    repository: string,
    tag: string,
    manifest: { mediaType: string; body: Buffer },
  ): Promise<string> {
    const response = await this.request('PUT', repository, `/v2/${repository}/manifests/${tag}`, {
      headers: { 'content-type': manifest.mediaType },
      body: manifest.body,
      scope: 'pull,push',
    });
    await response.arrayBuffer();
    return response.headers.get('docker-content-digest') ?? sha256Digest(manifest.body);
  }

  async blobExists(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('HEAD', repository, `/v2/${repository}/blobs/${digest}`, {
      allow404: true,
      scope: 'pull',
    });
    return response.status !== 404;
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const response = await this.request('GET', repository, `/v2/${repository}/blobs/${digest}`, {
      scope: 'pull',
    });
    const body = Buffer.from(await response.arrayBuffer());
    if (sha256Digest(body) !== digest && digest.startsWith('sha256:')) {
      throw new RegistryError(
        'GET',
        `${this.baseUrl}/v2/${repository}/blobs/${digest}`,
        response.status,
        'DIGEST_INVALID',
        'content does not match its digest',
        undefined,
      );
    }
    return body;
  }

  /**
   * An authenticated request for the protocol modules beside this client (referrers, blob uploads and streams):
   * the same auth, 401 retry and errors as every other call. `timeoutMs` overrides the per-request timeout, e.g. for
   * a streamed blob whose body takes longer than a manifest.
   */
  send(method: string, repository: string, path: string, options: RequestOptions): Promise<Response> {
    return this.request(method, repository, path, options);
  }

  private async authorization(
    repository: string,
    scope: string,
    challenge: Challenge | undefined,
    reason: 'initial' | 'rejected',
  ): Promise<string | undefined> {
    const key = `${repository}:${scope}`;
    if (challenge === undefined) {
      return this.tokens.get(key) ?? this.basic;
    }
    const credentials = await this.options.credentials?.(reason);
    if (challenge.scheme === 'basic') {
      if (!credentials) return undefined;
      this.basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
      return this.basic;
    }
    const realm = challenge.params['realm'];
    if (!realm) return undefined;
    const url = new URL(realm);
    if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
    url.searchParams.set('scope', `repository:${repository}:${scope}`);
    const headers: Record<string, string> = {};
    if (credentials) {
      headers['authorization'] =
        `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw connectionFailure('GET', url.origin + url.pathname, error);
    }
    if (!response.ok) throw await this.errorFrom('GET', url.origin + url.pathname, response);
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return undefined;
    this.tokens.set(key, `Bearer ${token}`);
    return `Bearer ${token}`;
  }

  private async request(
    method: string,
    repository: string,
    path: string,
    options: RequestOptions,
  ): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    let auth = await this.authorization(repository, options.scope, undefined, 'initial');
    for (let round = 0; ; round += 1) {
      const headers: Record<string, string> = { ...options.headers };
      if (auth) headers['authorization'] = auth;
      let response: Response;
      try {
        response = await this.fetchImpl(url, {
          method,
          headers,
          body: options.body,
          signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
        });
      } catch (error) {
        throw connectionFailure(method, url, error);
      }
      if (response.status === 401 && round < 2) {
        await response.arrayBuffer().catch(() => undefined);
        const challenge = parseChallenge(response.headers.get('www-authenticate'));
        const next = await this.authorization(
          repository,
          options.scope,
          challenge,
          round === 0 && !auth ? 'initial' : 'rejected',
        );
        if (next === undefined) throw await this.errorFrom(method, url, response);
        auth = next;
        continue;
      }
      if (response.ok || (options.allow404 && response.status === 404)) return response;
      throw await this.errorFrom(method, url, response);
    }
  }

  private async errorFrom(method: string, url: string, response: Response): Promise<RegistryError> {
    const text = method === 'HEAD' ? '' : await response.text().catch(() => '');
    const { code, detail } = parseErrorBody(text);
    return new RegistryError(
      method,
      url,
      response.status,
      code,
      detail,
      parseRetryAfter(response.headers.get('retry-after'), Date.now()),
    );
  }
}

/** Which registry failures are worth another attempt: server errors, 429 and dropped connections. */
export function classifyRegistryFailure(error: unknown): RetryDecision {
  if (error instanceof RegistryConnectionError) return { retry: true, reason: error.reason };
  if (error instanceof RegistryError) {
    if (error.status === 429) {
      return {
        retry: true,
        reason: 'too many requests (429)',
        ...(error.retryAfterMs === undefined ? {} : { afterMs: error.retryAfterMs }),
      };
    }
    if (error.status >= 500) return { retry: true, reason: `server error ${error.status}` };
    if (error.status === 408) return { retry: true, reason: 'request timeout (408)' };
  }
  return { retry: false };
}
