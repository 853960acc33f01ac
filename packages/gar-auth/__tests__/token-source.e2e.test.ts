import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { RegistryClient } from '@hub-image-actions/registry-client';
import type { Clock } from '@hub-image-actions/retry';
import {
  createAccessTokenSource,
  MINT_RETRY_POLICY,
  parseServiceAccountKey,
  registryCredentials,
  type ServiceAccountKey,
} from '../src/index.js';
import { FakeGoogle } from '@hub-image-actions/local-world/fake-google';
import { TestRegistry } from '@hub-image-actions/local-world/registry';

let registry: TestRegistry;
let google: FakeGoogle;

beforeAll(async () => {
  registry = await TestRegistry.start();
  google = await FakeGoogle.start({ registry });
});

afterAll(async () => {
  await google?.stop();
  await registry?.stop();
});

beforeEach(() => {
  google.tokenLifetimeSeconds = 3600;
  google.clearFailures();
});

function keyFrom(json: string): ServiceAccountKey {
  const key = parseServiceAccountKey(json);
  if (typeof key === 'string') throw new Error(key);
  return key;
}

async function registryAccepts(password: string): Promise<number> {
  const response = await fetch(`${registry.url}/v2/`, {
    headers: { authorization: `Basic ${Buffer.from(`oauth2accesstoken:${password}`).toString('base64')}` },
  });
  return response.status;
}

describe('service-account key', () => {
  it('mints a token at the key token_uri that the registry accepts, and caches it', async () => {
    const source = createAccessTokenSource({
      mode: 'credentials-json',
      key: keyFrom(google.serviceAccountKey().json),
    });
    expect(source.minted).toBe(0);
    const asked = Date.now();
    const first = await source.token('initial');
    expect(first.token).toMatch(/^ya29\./);
    // Google's tokens live an hour from when they are minted, which is after `asked`.
    expect(first.expiresAt).toBeGreaterThanOrEqual(asked + 3_600_000 - 1_000);
    expect(await registryAccepts(first.token)).toBe(200);
    expect((await source.token('initial')).token).toBe(first.token);
    expect(source.minted).toBe(1);
  });

  it('mints a new token when the registry rejected the last one', async () => {
    const source = createAccessTokenSource({
      mode: 'credentials-json',
      key: keyFrom(google.serviceAccountKey().json),
    });
    const first = await source.token('initial');
    await google.expireNow();
    expect(await registryAccepts(first.token)).toBe(401);
    const client = new RegistryClient({ registry: registry.host, credentials: registryCredentials(source) });
    expect(await client.headManifest('p/r/missing', 'v1')).toBeUndefined();
    expect(source.minted).toBe(2);
  });

  it('mints once for concurrent callers', async () => {
    const source = createAccessTokenSource({
      mode: 'credentials-json',
      key: keyFrom(google.serviceAccountKey().json),
    });
    const tokens = await Promise.all([
      source.token('initial'),
      source.token('initial'),
      source.token('rejected'),
    ]);
    expect(new Set(tokens.map((t) => t.token)).size).toBe(1);
    expect(source.minted).toBe(1);
  });

  it('hands out the newer token, without minting, to a caller whose older token was rejected', async () => {
    const source = createAccessTokenSource({
      mode: 'credentials-json',
      key: keyFrom(google.serviceAccountKey().json),
    });
    const first = await source.token('initial');
    const second = await source.token('rejected', first.token);
    expect(second.token).not.toBe(first.token);
    expect(await source.token('rejected', first.token)).toEqual(second);
    expect(source.minted).toBe(2);
  });

  it('turns a refused key into a configuration error that names the account', async () => {
    const good = JSON.parse(google.serviceAccountKey().json) as Record<string, string>;
    const otherGoogle = await FakeGoogle.start();
    const other = JSON.parse(otherGoogle.serviceAccountKey().json) as Record<string, string>;
    await otherGoogle.stop();
    const forged = keyFrom(JSON.stringify({ ...good, private_key: other['private_key'] }));
    const error = await createAccessTokenSource({ mode: 'credentials-json', key: forged })
      .token('initial')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(
      `minting an access token from the key of ${forged.client_email} ("credentials-json") was refused by Google (400: invalid_grant: Invalid JWT Signature.) at POST ${google.url}/token. Check that the key is not deleted, disabled or revoked`,
    );
  });
});

describe('Google failing while a token is minted', () => {
  /** The mint's own waits pass on this clock at once: attempts are counted, not timed. */
  function fakeClock(): Clock & { waits: number[] } {
    let now = 0;
    const waits: number[] = [];
    return {
      waits,
      now: () => now,
      sleep: async (ms) => {
        waits.push(ms);
        now += ms;
      },
    };
  }

  function keySource(lines: string[], clock = fakeClock()) {
    return createAccessTokenSource(
      { mode: 'credentials-json', key: keyFrom(google.serviceAccountKey().json) },
      { retryPolicy: MINT_RETRY_POLICY, clock, random: () => 0, log: (line) => lines.push(line) },
    );
  }

  const tokenCalls = (before: number) =>
    google.requests
      .slice(before)
      .filter((r) => r.path === '/token')
      .map((r) => r.status);

  it('a 503 that outlasts the library retries is tried again, and told in the log', async () => {
    // google-auth-library repeats a 5xx three times itself: four failures make one of our attempts fail.
    google.fail({ path: /^\/token$/, status: 503, times: 4 });
    const before = google.requests.length;
    const lines: string[] = [];
    const { token } = await keySource(lines).token('initial');
    expect(await registryAccepts(token)).toBe(200);
    expect(tokenCalls(before)).toEqual([503, 503, 503, 503, 200]);
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^minting an access token from the key of .* \\("credentials-json"\\): attempt 1 of 3 failed \\(POST ${google.url}/token answered 503\\): Injected failure\\. Retrying in 1\\.0 s\\.$`,
        ),
      ),
    ]);
  });

  it('a connection reset is tried again', async () => {
    google.fail({ path: /^\/token$/, drop: true, times: 4 });
    const before = google.requests.length;
    const { token } = await keySource([]).token('initial');
    expect(await registryAccepts(token)).toBe(200);
    expect(tokenCalls(before).at(-1)).toBe(200);
    expect(tokenCalls(before).filter((status) => status === 0).length).toBeGreaterThanOrEqual(1);
  });

  it('gives up within the bound with a configuration error naming the endpoint, status and message', async () => {
    google.fail({ path: /^\/token$/, status: 503, times: 100 });
    const lines: string[] = [];
    const clock = fakeClock();
    const error = await keySource(lines, clock)
      .token('initial')
      .catch((e: unknown) => e);
    expect(clock.waits).toEqual([1_000, 2_000]);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      `minting an access token from the key of ${google.serviceAccount} ("credentials-json") failed after 3 attempts: POST ${google.url}/token answered 503: Injected failure. ` +
        `Google's token service failed or could not be reached from this runner: check https://status.cloud.google.com and that the runner's network lets it reach ${google.url.replace('http://', '')}, then re-run the job`,
    );
    expect(lines).toHaveLength(2);
  });

  it('keyless: STS failing for good names STS and the keyless inputs', async () => {
    const env = {
      ...google.oidcEnv(),
      HUB_IMAGE_ACTIONS_STS_URL: google.stsUrl,
      HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL: google.iamCredentialsUrl,
    };
    Object.assign(process.env, env);
    google.fail({ path: /^\/v1\/token$/, status: 503, times: 100 });
    const error = await createAccessTokenSource(
      {
        mode: 'workload-identity',
        provider: google.workloadIdentityProvider,
        serviceAccount: google.serviceAccount,
      },
      { env, retryPolicy: MINT_RETRY_POLICY, clock: fakeClock(), log: () => undefined },
    )
      .token('initial')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(
      `keyless auth ("workload-identity-provider" + "service-account") as ${google.serviceAccount} through ${google.workloadIdentityProvider} failed after 3 attempts: POST ${google.stsUrl} answered 503: Injected failure.`,
    );
  });
});

describe('keyless (workload identity federation)', () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });

  function keylessEnv(): NodeJS.ProcessEnv {
    return {
      ...google.oidcEnv(),
      HUB_IMAGE_ACTIONS_STS_URL: google.stsUrl,
      HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL: google.iamCredentialsUrl,
    };
  }

  it('exchanges the job OIDC token for a service-account token the registry accepts', async () => {
    const env = keylessEnv();
    Object.assign(process.env, env); // @actions/core reads the OIDC request variables from process.env
    const source = createAccessTokenSource(
      {
        mode: 'workload-identity',
        provider: google.workloadIdentityProvider,
        serviceAccount: google.serviceAccount,
      },
      { env },
    );
    const { token } = await source.token('initial');
    expect(await registryAccepts(token)).toBe(200);
    expect(google.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(
      expect.arrayContaining([
        'GET /oidc/token 200',
        'POST /v1/token 200',
        `POST /v1/projects/-/serviceAccounts/${google.serviceAccount}:generateAccessToken 200`,
      ]),
    );
  });

  it('says the job needs id-token: write when it cannot request an OIDC token', async () => {
    const source = createAccessTokenSource(
      {
        mode: 'workload-identity',
        provider: google.workloadIdentityProvider,
        serviceAccount: google.serviceAccount,
      },
      { env: {} },
    );
    await expect(source.token('initial')).rejects.toThrow(/permissions: id-token: write/);
  });

  it('explains a service account the pool may not impersonate', async () => {
    const env = keylessEnv();
    Object.assign(process.env, env);
    const other = 'someone-else@hub-images.iam.gserviceaccount.com';
    const error = await createAccessTokenSource(
      { mode: 'workload-identity', provider: google.workloadIdentityProvider, serviceAccount: other },
      { env },
    )
      .token('initial')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /was refused by Google \(403: Permission 'iam.serviceAccounts.getAccessToken' denied/,
    );
    expect((error as Error).message).toMatch(/roles\/iam.workloadIdentityUser/);
  });
});

describe('access token from an earlier step', () => {
  it('is handed out as given and never minted', async () => {
    const source = createAccessTokenSource({ mode: 'access-token', token: 'ya29.given-token-value' });
    expect(await source.token('initial')).toEqual({ token: 'ya29.given-token-value', expiresAt: undefined });
    expect(await source.token('rejected')).toEqual({ token: 'ya29.given-token-value', expiresAt: undefined });
    expect(source.minted).toBe(0);
  });
});
