import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { classifyMintFailure, createAccessTokenSource, googleEndpoint } from '../src/index.js';

/** Shaped like the GaxiosError google-auth-library throws. */
function gaxios(status: number | undefined, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error('request failed'), {
    ...(status === undefined ? {} : { status, response: { status, data: {} } }),
    config: { url: new URL('https://sts.googleapis.com/v1/token?x=1'), method: 'POST' },
    ...extra,
  });
}

describe('classifyMintFailure', () => {
  it.each([
    [gaxios(503), { retry: true, reason: 'POST https://sts.googleapis.com/v1/token answered 503' }],
    [gaxios(500), { retry: true, reason: 'POST https://sts.googleapis.com/v1/token answered 500' }],
    [gaxios(429), { retry: true, reason: 'POST https://sts.googleapis.com/v1/token answered 429' }],
    [
      gaxios(undefined, { code: 'ECONNRESET' }),
      { retry: true, reason: 'POST https://sts.googleapis.com/v1/token could not be reached (ECONNRESET)' },
    ],
    [
      gaxios(undefined, { code: 'ECONNREFUSED' }),
      { retry: true, reason: 'POST https://sts.googleapis.com/v1/token could not be reached (ECONNREFUSED)' },
    ],
    [
      Object.assign(gaxios(undefined), { name: 'TimeoutError' }),
      { retry: true, reason: 'POST https://sts.googleapis.com/v1/token timed out' },
    ],
    [gaxios(400), { retry: false }],
    [gaxios(401), { retry: false }],
    [gaxios(403), { retry: false }],
    [new Error('a bug'), { retry: false }],
  ])('%#: %s', (error, decision) => {
    expect(classifyMintFailure(error)).toEqual(decision);
  });

  it('names the endpoint without its query', () => {
    expect(googleEndpoint(gaxios(503))).toBe('POST https://sts.googleapis.com/v1/token');
    expect(googleEndpoint(new Error('x'))).toBeUndefined();
  });
});

describe('the OIDC request variables', () => {
  const keyless = {
    mode: 'workload-identity' as const,
    provider: 'projects/1/locations/global/workloadIdentityPools/p/providers/q',
    serviceAccount: 'pusher@project.iam.gserviceaccount.com',
  };
  const failure = (env: NodeJS.ProcessEnv) =>
    createAccessTokenSource(keyless, { env })
      .token('initial')
      .catch((e: unknown) => e);

  it.each([
    [{}, '(ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set)'],
    [{ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x' }, '(ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set)'],
    [{ ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'secret-value' }, '(ACTIONS_ID_TOKEN_REQUEST_URL is not set)'],
  ])('%j: names what is missing', async (env, missing) => {
    const error = await failure(env);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`this job cannot request one ${missing}`);
    expect((error as Error).message).toContain('permissions: id-token: write');
  });
});
