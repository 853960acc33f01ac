import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:net';
import {
  ExternalAccountClient,
  IdentityPoolClient,
  JWT,
  type IdentityPoolClientOptions,
} from 'google-auth-library';
import {
  ACCESS_TOKEN_USER,
  FakeGoogle,
  GOOGLE_TOKEN_AUDIENCE,
  signJwt,
  type RegistryCredentialSink,
} from '../src/fake-google.js';
import { ManualClock } from '../src/clock.js';
import { waitFor } from '../src/net.js';

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const TOKEN_SHAPE = /^ya29\.[A-Za-z0-9_-]{40,}$/;

/** Stands in for TestRegistry: remembers one password per user, and every call. */
class RecordingSink implements RegistryCredentialSink {
  readonly calls: Array<{ op: 'set' | 'remove'; username: string; password?: string }> = [];
  readonly #passwords = new Map<string, string>();

  async setUser(username: string, password: string): Promise<void> {
    this.calls.push({ op: 'set', username, password });
    this.#passwords.set(username, password);
  }

  async removeUser(username: string): Promise<void> {
    this.calls.push({ op: 'remove', username });
    this.#passwords.delete(username);
  }

  accepts(username: string, password: string): boolean {
    return this.#passwords.get(username) === password;
  }
}

interface KeyFile {
  client_email: string;
  private_key: string;
  token_uri: string;
}

/**
 * A service-account client built the way product code builds it: google-auth-library's JWT posts to the hard-coded
 * https://oauth2.googleapis.com/token, so an interceptor on its transporter sends that request to the key's token_uri.
 */
function jwtClientFor(keyJson: string): JWT {
  const key = JSON.parse(keyJson) as KeyFile;
  const client = new JWT({ email: key.client_email, key: key.private_key, scopes: [CLOUD_PLATFORM] });
  client.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (config.url.href === GOOGLE_TOKEN_AUDIENCE) config.url = new URL(key.token_uri);
      return config;
    },
  });
  return client;
}

/** The external_account config google-github-actions/auth writes for WIF through a service account. */
function externalAccountConfig(
  fake: FakeGoogle,
  overrides: {
    provider?: string;
    oidcAudience?: string;
    requestToken?: string;
    serviceAccount?: string;
  } = {},
): IdentityPoolClientOptions {
  const provider = overrides.provider ?? fake.workloadIdentityProvider;
  const oidcAudience = overrides.oidcAudience ?? `https://iam.googleapis.com/${provider}`;
  const env = fake.oidcEnv();
  return {
    type: 'external_account',
    audience: `//iam.googleapis.com/${provider}`,
    subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    token_url: fake.stsUrl,
    service_account_impersonation_url: `${fake.iamCredentialsUrl}/projects/-/serviceAccounts/${overrides.serviceAccount ?? fake.serviceAccount}:generateAccessToken`,
    credential_source: {
      url: `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(oidcAudience)}`,
      headers: { Authorization: `Bearer ${overrides.requestToken ?? env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
      format: { type: 'json', subject_token_field_name: 'value' },
    },
  };
}

/**
 * The client ExternalAccountClient.fromJSON picks for a `credential_source.url` config, built directly:
 * google-auth-library 11's fromJSON warns on every call that it does not validate the config.
 */
async function keylessAccessToken(config: IdentityPoolClientOptions): Promise<string> {
  const { token } = await new IdentityPoolClient(config).getAccessToken();
  if (!token) throw new Error('no token');
  return token;
}

/** The HTTP status and message of a failed google-auth-library call. */
async function failure(promise: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    const { status, response } = error as { status?: number; response?: { status?: number } };
    return { status: status ?? response?.status, message: String((error as Error).message) };
  }
  throw new Error('expected the call to fail');
}

async function postForm(
  url: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(fields) });
  return { status: response.status, body: await response.json() };
}

function decodeClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('FakeGoogle', () => {
  const sink = new RecordingSink();
  let fake: FakeGoogle;

  beforeAll(async () => {
    fake = await FakeGoogle.start({ registry: sink, projectNumber: '987654321098' });
  });

  afterAll(async () => {
    await fake.stop();
  });

  describe('service-account key', () => {
    it('issues a real-format key whose token_uri points at the fake', () => {
      const { json, privateKeyPem, privateKeyId } = fake.serviceAccountKey();
      const key = JSON.parse(json) as Record<string, unknown>;
      expect(key).toMatchObject({
        type: 'service_account',
        project_id: 'hub-images-test',
        private_key_id: privateKeyId,
        private_key: privateKeyPem,
        client_email: 'image-pusher@hub-images-test.iam.gserviceaccount.com',
        token_uri: `${fake.url}/token`,
        universe_domain: 'googleapis.com',
      });
      expect(Object.keys(key).sort()).toEqual(
        [
          'type',
          'project_id',
          'private_key_id',
          'private_key',
          'client_email',
          'client_id',
          'auth_uri',
          'token_uri',
          'auth_provider_x509_cert_url',
          'client_x509_cert_url',
          'universe_domain',
        ].sort(),
      );
      expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(createPrivateKey(privateKeyPem).asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(privateKeyId).toMatch(/^[0-9a-f]{40}$/);
    });

    it("gives google-auth-library's JWT client a token the registry accepts", async () => {
      const before = fake.requests.length;
      const { token } = await jwtClientFor(fake.serviceAccountKey().json).getAccessToken();

      expect(token).toMatch(TOKEN_SHAPE);
      expect(sink.accepts(ACCESS_TOKEN_USER, token ?? '')).toBe(true);
      expect(fake.requests.slice(before)).toEqual([{ method: 'POST', path: '/token', status: 200 }]);
      expect(fake.issued.at(-1)).toMatchObject({ kind: 'access', value: token });
    });

    it('fail({ drop }) reads the request and resets the connection; the next request is answered', async () => {
      fake.fail({ path: /^\/token$/, drop: true });
      const before = fake.requests.length;

      const dropped = await fetch(`${fake.url}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=x',
      }).catch((error: unknown) => error);
      // fetch's own TypeError, from another realm than jest's: compared by name.
      expect((dropped as Error).message).toBe('fetch failed');
      expect(((dropped as TypeError).cause as { code?: string }).code).toMatch(
        /^(ECONNRESET|UND_ERR_SOCKET)$/,
      );

      const { token } = await jwtClientFor(fake.serviceAccountKey().json).getAccessToken();
      expect(sink.accepts(ACCESS_TOKEN_USER, token ?? '')).toBe(true);
      expect(fake.requests.slice(before)).toEqual([
        { method: 'POST', path: '/token', status: 0 },
        { method: 'POST', path: '/token', status: 200 },
      ]);
    });

    it('answers invalid_grant to a key whose private key is not the registered one', async () => {
      const { json } = fake.serviceAccountKey();
      const stolen = { ...(JSON.parse(json) as KeyFile) };
      stolen.private_key = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const setsBefore = sink.calls.length;

      const { status, message } = await failure(jwtClientFor(JSON.stringify(stolen)).getAccessToken());

      expect(status).toBe(400);
      expect(message).toBe('invalid_grant: Invalid JWT Signature.');
      expect(sink.calls.length).toBe(setsBefore);
    });

    it.each([
      {
        name: 'a wrong audience',
        claims: { aud: 'https://example.com/token' },
        error: 'invalid_grant',
        description: /Failed audience check/,
      },
      {
        name: 'a lifetime over an hour',
        claims: { exp: 'now+3700' },
        error: 'invalid_grant',
        description: /short-lived token/,
      },
      {
        name: 'an expired assertion',
        claims: { iat: 'now-4000', exp: 'now-400' },
        error: 'invalid_grant',
        description: /short-lived/,
      },
      {
        name: 'no scope',
        claims: { scope: undefined },
        error: 'invalid_scope',
        description: /Invalid OAuth scope/,
      },
      {
        name: 'an unknown issuer',
        claims: { iss: 'someone@else.iam.gserviceaccount.com' },
        error: 'invalid_grant',
        description: /account not found/,
      },
    ])('rejects an assertion with $name', async ({ claims, error, description }) => {
      const now = Math.floor(Date.now() / 1000);
      const resolve = (value: unknown): unknown =>
        typeof value === 'string' && value.startsWith('now') ? now + Number(value.slice(3)) : value;
      const assertionClaims: Record<string, unknown> = {
        iss: fake.serviceAccount,
        scope: CLOUD_PLATFORM,
        aud: GOOGLE_TOKEN_AUDIENCE,
        iat: now,
        exp: now + 3600,
      };
      for (const [name, value] of Object.entries(claims)) assertionClaims[name] = resolve(value);
      const { privateKeyPem, privateKeyId } = fake.serviceAccountKey();

      const { status, body } = await postForm(`${fake.url}/token`, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: signJwt(assertionClaims, privateKeyPem, privateKeyId),
      });

      expect(status).toBe(400);
      expect(body).toEqual({ error, error_description: expect.stringMatching(description) });
    });

    it('rejects another grant type', async () => {
      const { status, body } = await postForm(`${fake.url}/token`, { grant_type: 'client_credentials' });
      expect(status).toBe(400);
      expect(body).toMatchObject({ error: 'unsupported_grant_type' });
    });
  });

  describe('GitHub OIDC token request', () => {
    it('returns an RS256 JWT for the requested audience, issued by the fake', async () => {
      const env = fake.oidcEnv();
      const response = await fetch(
        `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent('aud-x')}`,
        {
          headers: { Authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
        },
      );
      expect(response.status).toBe(200);
      const { value } = (await response.json()) as { value: string };
      const header = JSON.parse(
        Buffer.from(value.split('.')[0] ?? '', 'base64url').toString('utf8'),
      ) as unknown;
      const claims = decodeClaims(value);

      expect(header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
      expect(claims).toMatchObject({
        iss: fake.oidcIssuer,
        aud: 'aud-x',
        sub: `repo:${fake.repository}:ref:refs/heads/main`,
        repository: fake.repository,
      });
      expect(Number(claims['exp']) - Number(claims['iat'])).toBe(300);
      expect(fake.issued.at(-1)).toMatchObject({ kind: 'oidc', value });
    });

    it('answers 401 without the request token', async () => {
      const env = fake.oidcEnv();
      const withoutToken = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=x`);
      const wrongToken = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=x`, {
        headers: { Authorization: 'Bearer not-the-token' },
      });
      expect([withoutToken.status, wrongToken.status]).toEqual([401, 401]);
    });
  });

  describe('keyless (Workload Identity Federation through a service account)', () => {
    it('runs the whole chain and lands the final token in the registry', async () => {
      const before = fake.requests.length;
      const issuedBefore = fake.issued.length;

      const token = await keylessAccessToken(externalAccountConfig(fake));

      expect(token).toMatch(TOKEN_SHAPE);
      expect(sink.accepts(ACCESS_TOKEN_USER, token)).toBe(true);
      expect(fake.requests.slice(before)).toEqual([
        { method: 'GET', path: '/oidc/token', status: 200 },
        { method: 'POST', path: '/v1/token', status: 200 },
        {
          method: 'POST',
          path: `/v1/projects/-/serviceAccounts/${fake.serviceAccount}:generateAccessToken`,
          status: 200,
        },
      ]);
      expect(fake.issued.slice(issuedBefore).map((issued) => issued.kind)).toEqual([
        'oidc',
        'federated',
        'access',
      ]);
      const federated = fake.issued.slice(issuedBefore).find((issued) => issued.kind === 'federated');
      expect(federated?.value).not.toBe(token);
      expect(sink.accepts(ACCESS_TOKEN_USER, federated?.value ?? '')).toBe(false);
    });

    it('works through ExternalAccountClient.fromJSON, which picks an IdentityPoolClient', async () => {
      const client = ExternalAccountClient.fromJSON(externalAccountConfig(fake));
      expect(client).toBeInstanceOf(IdentityPoolClient);

      const { token } = (await client?.getAccessToken()) ?? {};

      expect(token).toMatch(TOKEN_SHAPE);
      expect(sink.accepts(ACCESS_TOKEN_USER, token ?? '')).toBe(true);
    });

    it('reports expireTime as RFC 3339 and honours tokenLifetimeSeconds', async () => {
      const clock = new ManualClock(Math.floor(Date.now() / 1000) * 1000);
      const timed = await FakeGoogle.start({ clock });
      try {
        timed.tokenLifetimeSeconds = 1200;
        const { res } = await new IdentityPoolClient(externalAccountConfig(timed)).getAccessToken();
        const { expireTime } = res?.data as { expireTime: string };
        expect(expireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(Date.parse(expireTime)).toBe(clock.now() + 1200_000);
      } finally {
        await timed.stop();
      }
    });

    it('answers invalid_target when the credential names another provider', async () => {
      const otherProvider = fake.workloadIdentityProvider.replace(/providers\/actions$/, 'providers/other');
      const { status, message } = await failure(
        keylessAccessToken(externalAccountConfig(fake, { provider: otherProvider })),
      );
      expect(status).toBe(400);
      expect(message).toMatch(/^Error code invalid_target: The target service indicated by the "audience"/);
    });

    it('answers invalid_grant when the OIDC token was minted for another audience', async () => {
      const { status, message } = await failure(
        keylessAccessToken(externalAccountConfig(fake, { oidcAudience: 'https://example.com/not-google' })),
      );
      expect(status).toBe(400);
      expect(message).toMatch(/^Error code invalid_grant: The audience in ID Token \[https:\/\/example.com/);
    });

    it('fails with 401 when the OIDC request token is wrong', async () => {
      const before = fake.requests.length;
      const { status } = await failure(
        keylessAccessToken(externalAccountConfig(fake, { requestToken: 'nope' })),
      );
      expect(status).toBe(401);
      expect(fake.requests.slice(before)).toEqual([{ method: 'GET', path: '/oidc/token', status: 401 }]);
    });

    it('answers invalid_grant to an expired OIDC token', async () => {
      fake.oidcTokenLifetimeSeconds = 0;
      try {
        const { status, message } = await failure(keylessAccessToken(externalAccountConfig(fake)));
        expect(status).toBe(400);
        expect(message).toBe('Error code invalid_grant: The ID Token has expired.');
      } finally {
        fake.oidcTokenLifetimeSeconds = 300;
      }
    });

    it('answers 403 PERMISSION_DENIED for a service account the identity may not impersonate', async () => {
      const { status, message } = await failure(
        keylessAccessToken(
          externalAccountConfig(fake, {
            serviceAccount: 'someone-else@hub-images-test.iam.gserviceaccount.com',
          }),
        ),
      );
      expect(status).toBe(403);
      expect(message).toBe(
        "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
      );
    });

    it('answers 401 to generateAccessToken without a federated token', async () => {
      const response = await fetch(
        `${fake.iamCredentialsUrl}/projects/-/serviceAccounts/${fake.serviceAccount}:generateAccessToken`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer ya29.made-up' },
          body: JSON.stringify({ scope: [CLOUD_PLATFORM], lifetime: '3600s' }),
        },
      );
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    });

    it('accepts the camelCase JSON exchange google-github-actions/auth sends', async () => {
      const env = fake.oidcEnv();
      const audience = `https://iam.googleapis.com/${fake.workloadIdentityProvider}`;
      const oidc = await fetch(
        `${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`,
        {
          headers: { Authorization: `bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
        },
      );
      const { value } = (await oidc.json()) as { value: string };
      const response = await fetch(fake.stsUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          audience: `//iam.googleapis.com/${fake.workloadIdentityProvider}`,
          grantType: 'urn:ietf:params:oauth:grant-type:token-exchange',
          requestedTokenType: 'urn:ietf:params:oauth:token-type:access_token',
          scope: CLOUD_PLATFORM,
          subjectTokenType: 'urn:ietf:params:oauth:token-type:jwt',
          subjectToken: value,
        }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        access_token: expect.stringMatching(TOKEN_SHAPE),
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 3600,
      });
    });

    it('fail() makes STS answer 503; the library retries three times, then gives up', async () => {
      fake.fail({ path: /^\/v1\/token$/, status: 503, times: 4 });
      const before = fake.requests.length;

      const { status } = await failure(keylessAccessToken(externalAccountConfig(fake)));

      expect(status).toBe(503);
      const stsCalls = fake.requests.slice(before).filter((request) => request.path === '/v1/token');
      expect(stsCalls).toEqual(
        Array.from({ length: 4 }, () => ({ method: 'POST', path: '/v1/token', status: 503 })),
      );
    });

    it('fail() once is absorbed by the library retry', async () => {
      fake.fail({ path: /^\/v1\/token$/, status: 503 });
      const before = fake.requests.length;

      const token = await keylessAccessToken(externalAccountConfig(fake));

      expect(sink.accepts(ACCESS_TOKEN_USER, token)).toBe(true);
      const stsStatuses = fake.requests
        .slice(before)
        .filter((request) => request.path === '/v1/token')
        .map((request) => request.status);
      expect(stsStatuses).toEqual([503, 200]);
    });
  });

  describe('token lifetime', () => {
    // Time moves only when the test moves it.
    const timedSink = new RecordingSink();
    let clock: ManualClock;
    let timed: FakeGoogle;

    beforeAll(async () => {
      clock = new ManualClock();
      timed = await FakeGoogle.start({ registry: timedSink, clock });
    });

    afterAll(async () => {
      await timed.stop();
    });

    it('removes the registry user when a token runs out', async () => {
      timed.tokenLifetimeSeconds = 1;
      const { token } = await jwtClientFor(timed.serviceAccountKey().json).getAccessToken();
      expect(timedSink.accepts(ACCESS_TOKEN_USER, token ?? '')).toBe(true);

      clock.advance(999);
      expect(timedSink.accepts(ACCESS_TOKEN_USER, token ?? '')).toBe(true);
      clock.advance(1);
      await waitFor('removeUser after the token lifetime', async () =>
        timedSink.accepts(ACCESS_TOKEN_USER, token ?? '') ? undefined : true,
      );
      expect(timedSink.calls.at(-1)).toMatchObject({ op: 'remove', username: ACCESS_TOKEN_USER });
    });

    it('a newer token replaces an older one, and the older timer does not remove it', async () => {
      timed.tokenLifetimeSeconds = 1;
      const { token: older } = await jwtClientFor(timed.serviceAccountKey().json).getAccessToken();
      timed.tokenLifetimeSeconds = 3600;
      const { token: newer } = await jwtClientFor(timed.serviceAccountKey().json).getAccessToken();

      expect(timedSink.accepts(ACCESS_TOKEN_USER, older ?? '')).toBe(false);
      expect(timedSink.accepts(ACCESS_TOKEN_USER, newer ?? '')).toBe(true);
      const callsBefore = timedSink.calls.length;
      clock.advance(1300);
      expect(timedSink.accepts(ACCESS_TOKEN_USER, newer ?? '')).toBe(true);
      // Registry calls run in order: a removal the older timer queued would come before the next token's.
      await jwtClientFor(timed.serviceAccountKey().json).getAccessToken();
      expect(timedSink.calls.slice(callsBefore).map((call) => call.op)).toEqual(['set']);
    });

    it('expireNow() revokes the current token at once', async () => {
      const token = await keylessAccessToken(externalAccountConfig(fake));
      expect(sink.accepts(ACCESS_TOKEN_USER, token)).toBe(true);

      await fake.expireNow();

      expect(sink.accepts(ACCESS_TOKEN_USER, token)).toBe(false);
      expect(sink.calls.at(-1)).toMatchObject({ op: 'remove', username: ACCESS_TOKEN_USER });
      expect(fake.issued.find((issued) => issued.value === token)?.expiresAt).toBeLessThanOrEqual(Date.now());
    });
  });

  it('stop() closes the listening socket', async () => {
    const other = await FakeGoogle.start({});
    const port = Number(new URL(other.url).port);
    await other.stop();

    const refused = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
