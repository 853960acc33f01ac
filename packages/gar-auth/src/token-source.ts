import * as core from '@actions/core';
import { ConfigurationError, formatDuration, maskSecret } from '@hub-image-actions/action-io';
import {
  RetriesExhaustedError,
  retry,
  type Clock,
  type RetryDecision,
  type RetryPolicy,
} from '@hub-image-actions/retry';
import type { AuthClient, IdentityPoolClient, JWT } from 'google-auth-library';
import type { GarAuth, ServiceAccountKey } from './auth-inputs.js';

/** The docker / registry user name that goes with a Google access token. */
export const ACCESS_TOKEN_USER = 'oauth2accesstoken';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface AccessToken {
  token: string;
  /** Milliseconds since the epoch, when known. */
  expiresAt: number | undefined;
}

/**
 * Whether a token is still worth handing out: more than a minute left, or for short-lived tokens (direct
 * federation gives about 5 minutes) more than half their lifetime.
 */
export function isFresh(token: AccessToken, mintedAt: number, now = Date.now()): boolean {
  if (token.expiresAt === undefined) return true;
  return token.expiresAt - now > Math.min(60_000, (token.expiresAt - mintedAt) / 2);
}

/**
 * Hands out access tokens, minting them when asked rather than at job start, so a long build cannot outlive
 * them. `rejected` means the registry refused the last token: mint a new one.
 */
export interface AccessTokenSource {
  readonly mode: GarAuth['mode'];
  /**
   * `rejectedToken` names the token the registry refused: when a newer one was minted meanwhile (another
   * caller hit the same 401), that one is handed out instead of minting again.
   */
  token(reason: 'initial' | 'rejected', rejectedToken?: string): Promise<AccessToken>;
  /** How many tokens this source has minted (a given access token counts as 0). */
  readonly minted: number;
}

export interface GoogleEndpoints {
  /** STS token exchange, e.g. https://sts.googleapis.com/v1/token. */
  sts: string;
  /** IAM Credentials API base, e.g. https://iamcredentials.googleapis.com/v1. */
  iamCredentials: string;
}

/**
 * Google's endpoints, overridable for Private Service Connect (and for tests) through
 * HUB_IMAGE_ACTIONS_STS_URL and HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL.
 */
export function googleEndpoints(env: NodeJS.ProcessEnv = process.env): GoogleEndpoints {
  return {
    sts: env['HUB_IMAGE_ACTIONS_STS_URL'] || 'https://sts.googleapis.com/v1/token',
    iamCredentials: (
      env['HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL'] || 'https://iamcredentials.googleapis.com/v1'
    ).replace(/\/$/, ''),
  };
}

export interface TokenSourceOptions {
  env?: NodeJS.ProcessEnv;
  /** Fetches the job's GitHub OIDC token for an audience (and masks it). */
  getIdToken?: (audience: string) => Promise<string>;
  /** Bounds of the retries of a mint that failed on a 5xx, 429 or the network; MINT_RETRY_POLICY by default. */
  retryPolicy?: RetryPolicy;
  clock?: Clock;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  /** Where each failed attempt is told; the step log by default. */
  log?: (line: string) => void;
}

/**
 * google-auth-library already repeats a request that got a 5xx (three more times within about 2 s); these
 * attempts are on top of that, for an outage of a few seconds.
 */
export const MINT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  maxElapsedMs: 60_000,
  baseDelayMs: 2_000,
  maxDelayMs: 10_000,
};

interface GoogleErrorShape {
  message?: string;
  status?: number;
  code?: unknown;
  name?: string;
  response?: { status?: number; data?: unknown };
  config?: { url?: unknown; method?: unknown };
}

function googleStatus(error: unknown): number | undefined {
  const shape = error as GoogleErrorShape;
  return shape?.response?.status ?? shape?.status;
}

/** Google's message without its closing period, to go inside a sentence. */
function googleText(error: unknown): string {
  return googleMessage(error).replace(/\.+$/, '');
}

function googleMessage(error: unknown): string {
  const data = (error as GoogleErrorShape)?.response?.data as
    { error?: string | { message?: string; status?: string }; error_description?: string } | undefined;
  if (data && typeof data.error === 'object' && data.error.message) return data.error.message;
  if (data && typeof data.error === 'string')
    return `${data.error}${data.error_description ? `: ${data.error_description}` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** The request that failed, `POST https://sts.googleapis.com/v1/token`, without its query; when known. */
export function googleEndpoint(error: unknown): string | undefined {
  const config = (error as GoogleErrorShape)?.config;
  if (config?.url === undefined) return undefined;
  try {
    const url = new URL(String(config.url));
    const method = typeof config.method === 'string' ? config.method.toUpperCase() : 'POST';
    return `${method} ${url.origin}${url.pathname}`;
  } catch {
    return undefined;
  }
}

const NETWORK_FAILURE =
  /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|UND_ERR_\w+)$|socket hang up|network|fetch failed|other side closed/i;

/** A mint that failed on a 5xx, 429, 408 or the network is worth another attempt; a refusal (other 4xx) is not. */
export function classifyMintFailure(error: unknown): RetryDecision {
  const status = googleStatus(error);
  const at = googleEndpoint(error) ?? 'Google';
  if (status !== undefined) {
    if (status >= 500 || status === 429 || status === 408)
      return { retry: true, reason: `${at} answered ${status}` };
    return { retry: false };
  }
  const shape = error as GoogleErrorShape;
  if (shape?.name === 'TimeoutError' || shape?.name === 'AbortError')
    return { retry: true, reason: `${at} timed out` };
  const code = typeof shape?.code === 'string' ? shape.code : '';
  if (
    NETWORK_FAILURE.test(code) ||
    (code === '' && googleEndpoint(error) !== undefined && NETWORK_FAILURE.test(shape?.message ?? ''))
  ) {
    return { retry: true, reason: `${at} could not be reached${code ? ` (${code})` : ''}` };
  }
  return { retry: false };
}

/**
 * Every way minting can fail, as a configuration error naming the auth mode (`what`), the endpoint, the HTTP
 * status and Google's message: a refusal (4xx) is the caller's to fix, a service still failing after the retries
 * is worth a re-run. Google's messages never carry the token.
 */
function explain(error: unknown, what: string, fix: string, attempts: number): Error {
  if (error instanceof ConfigurationError) return error;
  const status = googleStatus(error);
  const message = googleMessage(error);
  const text = googleText(error);
  const at = googleEndpoint(error);
  if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408) {
    return new ConfigurationError(
      `${what} was refused by Google (${status}: ${message})${at ? ` at ${at}` : ''}`,
      fix,
    );
  }
  if (classifyMintFailure(error).retry) {
    const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
    return new ConfigurationError(
      `${what} failed after ${tries}: ${at ?? 'Google'} ${status !== undefined ? `answered ${status}: ${text}` : `could not be reached: ${text}`}`,
      `Google's token service failed or could not be reached from this runner: check https://status.cloud.google.com and that the runner's network lets it reach ${at === undefined ? 'Google' : new URL(at.split(' ')[1] ?? '').host}, then re-run the job`,
    );
  }
  return new ConfigurationError(`${what} failed: ${text}${at ? ` (${at})` : ''}`, fix);
}

function expiryOf(client: AuthClient): number | undefined {
  const expiry = client.credentials.expiry_date;
  return typeof expiry === 'number' ? expiry : undefined;
}

/** A JWT client for a key that sends its assertion to the key's own `token_uri`, which the library would ignore. */
// google-auth-library is loaded when a token is first minted: a given access token never needs it, and the bundle
// starts faster without it.
async function googleAuth(): Promise<typeof import('google-auth-library')> {
  return import('google-auth-library');
}

async function keyClient(key: ServiceAccountKey): Promise<JWT> {
  const { JWT } = await googleAuth();
  const client = new JWT({ email: key.client_email, key: key.private_key, scopes: [CLOUD_PLATFORM_SCOPE] });
  if (key.token_uri !== GOOGLE_TOKEN_URL) {
    client.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (config.url instanceof URL && config.url.href === GOOGLE_TOKEN_URL)
          config.url = new URL(key.token_uri);
        return config;
      },
    });
  }
  return client;
}

async function keylessClient(
  provider: string,
  serviceAccount: string,
  endpoints: GoogleEndpoints,
  getIdToken: (audience: string) => Promise<string>,
): Promise<IdentityPoolClient> {
  const { IdentityPoolClient } = await googleAuth();
  return new IdentityPoolClient({
    type: 'external_account',
    audience: `//iam.googleapis.com/${provider}`,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: endpoints.sts,
    service_account_impersonation_url: `${endpoints.iamCredentials}/projects/-/serviceAccounts/${serviceAccount}:generateAccessToken`,
    subject_token_supplier: { getSubjectToken: () => getIdToken(`https://iam.googleapis.com/${provider}`) },
  });
}

function requireOidc(env: NodeJS.ProcessEnv): void {
  const missing = ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'].filter(
    (name) => !env[name],
  );
  if (missing.length > 0) {
    throw new ConfigurationError(
      `keyless auth needs a GitHub OIDC token, and this job cannot request one (${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set)`,
      'Give the job "permissions: id-token: write" (and keep "contents: read"); for pull requests from forks, use a workflow that does not push',
    );
  }
}

/** A source for the given auth mode. Nothing is requested until the first `token()` call. */
export function createAccessTokenSource(auth: GarAuth, options: TokenSourceOptions = {}): AccessTokenSource {
  const env = options.env ?? process.env;
  let minted = 0;
  let current: AccessToken | undefined;
  let mintedAt = 0;
  // Concurrent callers (parallel registry requests) share one mint instead of each minting a token.
  let inflight: Promise<AccessToken> | undefined;

  const log = options.log ?? ((line: string) => core.info(line));
  const policy = options.retryPolicy ?? MINT_RETRY_POLICY;

  const mint = async (): Promise<AccessToken> => {
    let client: AuthClient;
    let what: string;
    let fix: string;
    if (auth.mode === 'credentials-json') {
      client = await keyClient(auth.key);
      what = `minting an access token from the key of ${auth.key.client_email} ("credentials-json")`;
      fix = `Check that the key is not deleted, disabled or revoked (gcloud iam service-accounts keys list --iam-account=${auth.key.client_email}) and that the account is enabled, or move to keyless auth (workload-identity-provider + service-account)`;
    } else if (auth.mode === 'workload-identity') {
      requireOidc(env);
      client = await keylessClient(
        auth.provider,
        auth.serviceAccount,
        googleEndpoints(env),
        options.getIdToken ?? ((aud) => core.getIDToken(aud)),
      );
      what = `keyless auth ("workload-identity-provider" + "service-account") as ${auth.serviceAccount} through ${auth.provider}`;
      fix = `Check the provider name, that its attribute condition admits this repository, and that the pool may impersonate the service account (roles/iam.workloadIdentityUser on ${auth.serviceAccount})`;
    } else {
      return { token: auth.token, expiresAt: undefined };
    }
    let token: string | null | undefined;
    let attempts = 0;
    try {
      ({ value: token } = await retry(
        async () => {
          attempts += 1;
          return (await client.getAccessToken()).token;
        },
        {
          policy,
          classify: classifyMintFailure,
          ...(options.clock ? { clock: options.clock } : {}),
          ...(options.random ? { random: options.random } : {}),
          onRetry: ({ attempt, reason, delayMs, error }) =>
            log(
              `${what}: attempt ${attempt} of ${policy.maxAttempts} failed (${reason}): ${googleText(error)}. Retrying in ${formatDuration(delayMs)}.`,
            ),
        },
      ));
    } catch (error) {
      throw explain(error instanceof RetriesExhaustedError ? error.cause : error, what, fix, attempts);
    }
    if (!token) throw new Error(`${what} returned no access token`);
    maskSecret(token);
    minted += 1;
    return { token, expiresAt: expiryOf(client) };
  };

  return {
    mode: auth.mode,
    get minted() {
      return minted;
    },
    async token(reason, rejectedToken) {
      if (inflight !== undefined) return inflight;
      if (current !== undefined && isFresh(current, mintedAt)) {
        if (reason === 'initial') return current;
        if (rejectedToken !== undefined && rejectedToken !== current.token) return current;
      }
      inflight = mint().finally(() => (inflight = undefined));
      const started = Date.now();
      current = await inflight;
      mintedAt = started;
      return current;
    },
  };
}
