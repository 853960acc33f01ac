import * as core from '@actions/core';
import { ConfigurationError, maskSecret } from '@hub-image-actions/action-io';
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
}

interface GoogleErrorShape {
  message?: string;
  status?: number;
  response?: { status?: number; data?: unknown };
}

function googleStatus(error: unknown): number | undefined {
  const shape = error as GoogleErrorShape;
  return shape?.response?.status ?? shape?.status;
}

function googleMessage(error: unknown): string {
  const data = (error as GoogleErrorShape)?.response?.data as
    { error?: string | { message?: string; status?: string }; error_description?: string } | undefined;
  if (data && typeof data.error === 'object' && data.error.message) return data.error.message;
  if (data && typeof data.error === 'string')
    return `${data.error}${data.error_description ? `: ${data.error_description}` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

/** Google refused the request (4xx): a configuration problem. Anything else (5xx, network) stays a plain error. */
function explain(error: unknown, what: string, fix: string): Error {
  const status = googleStatus(error);
  const message = googleMessage(error);
  if (status !== undefined && status >= 400 && status < 500) {
    return new ConfigurationError(`${what} was refused by Google (${status}: ${message})`, fix);
  }
  return new Error(`${what} failed: ${message}`);
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
  if (!env['ACTIONS_ID_TOKEN_REQUEST_URL'] || !env['ACTIONS_ID_TOKEN_REQUEST_TOKEN']) {
    throw new ConfigurationError(
      'keyless auth needs a GitHub OIDC token, and this job cannot request one (ACTIONS_ID_TOKEN_REQUEST_URL is not set)',
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

  const mint = async (): Promise<AccessToken> => {
    let client: AuthClient;
    let what: string;
    let fix: string;
    if (auth.mode === 'credentials-json') {
      client = await keyClient(auth.key);
      what = `minting an access token from the key of ${auth.key.client_email}`;
      fix =
        'Check that the key is not deleted or disabled, or move to keyless auth (workload-identity-provider + service-account)';
    } else if (auth.mode === 'workload-identity') {
      requireOidc(env);
      client = await keylessClient(
        auth.provider,
        auth.serviceAccount,
        googleEndpoints(env),
        options.getIdToken ?? ((aud) => core.getIDToken(aud)),
      );
      what = `keyless auth as ${auth.serviceAccount} through ${auth.provider}`;
      fix = `Check the provider name, that its attribute condition admits this repository, and that the pool may impersonate the service account (roles/iam.workloadIdentityUser on ${auth.serviceAccount})`;
    } else {
      return { token: auth.token, expiresAt: undefined };
    }
    let token: string | null | undefined;
    try {
      token = (await client.getAccessToken()).token;
    } catch (error) {
      throw explain(error, what, fix);
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
