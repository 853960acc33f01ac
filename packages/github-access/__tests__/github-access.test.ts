import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { inputsFrom, InputReader, InputErrors } from '@hub-image-actions/action-io';
import {
  parseRepo,
  repoName,
  callError,
  normalizePrivateKey,
  openSealedToken,
  rateLimitDecision,
  rateLimitOf,
  apiFailure,
  readGitHubAuth,
  sealToken,
} from '../src/index.js';

const apiError = (
  status: number,
  message: string,
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
) =>
  Object.assign(new Error(message), {
    name: 'HttpError',
    status,
    response: { headers, data: { message } },
    ...extra,
  });

const FACTS = { call: 'adding the labels to #1 in a/b', permission: 'pull-requests: write' };

describe('rateLimitDecision', () => {
  it.each([
    ['the first limit, retry-after 1 s', 1, 0, 0, { retry: true, delayMs: 1000 }],
    ['the fifth retry', 1, 4, 4000, { retry: true, delayMs: 1000 }],
    ['after five retries (six attempts)', 1, 5, 5000, { retry: false, why: 'at most 6 attempts' }],
    [
      'a wait that passes the budget',
      60,
      2,
      120_000,
      { retry: false, why: 'waiting 60 s more would pass the 150 s limit' },
    ],
    [
      'a primary limit resetting in an hour',
      3600,
      0,
      0,
      { retry: false, why: 'waiting 3600 s more would pass the 150 s limit' },
    ],
    ['a wait that exactly fills the budget', 30, 1, 120_000, { retry: true, delayMs: 30_000 }],
  ])('%s', (_what, after, retries, waited, decision) => {
    expect(rateLimitDecision(after, retries, waited)).toEqual(decision);
  });
});

describe('rateLimitOf', () => {
  it.each([
    [
      'a secondary limit with retry-after',
      apiError(403, 'You have exceeded a secondary rate limit.', { 'retry-after': '7' }),
      { kind: 'secondary', retryAfterSeconds: 7 },
    ],
    [
      'a secondary limit without retry-after',
      apiError(429, 'You have exceeded a secondary rate limit.'),
      { kind: 'secondary', retryAfterSeconds: undefined },
    ],
    [
      'the primary limit',
      apiError(403, 'API rate limit exceeded', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1700000000',
      }),
      { kind: 'primary', resetsAt: new Date(1_700_000_000_000) },
    ],
    [
      'a permission 403',
      apiError(403, 'Resource not accessible by integration', { 'x-ratelimit-remaining': '4999' }),
      undefined,
    ],
    ['a 404', apiError(404, 'Not Found'), undefined],
  ])('%s', (_what, error, limit) => {
    expect(rateLimitOf(apiFailure(error))).toEqual(limit);
  });
});

describe('callError', () => {
  it.each([
    [
      apiError(401, 'Bad credentials'),
      /^adding the labels to #1 in a\/b: GitHub refused the token \(401 Bad credentials\)\. .*"token".*"app-id", "private-key"/,
    ],
    [
      apiError(403, 'Resource not accessible by integration'),
      /GitHub denied it \(403 Resource not accessible by integration\)\. Give the token \(or the GitHub App\) pull-requests: write, then re-run/,
    ],
    [apiError(404, 'Not Found'), /GitHub answered 404 Not Found; the token may not be able to see it/],
    [
      apiError(
        422,
        'Validation Failed',
        {},
        {
          response: {
            headers: {},
            data: { message: 'Validation Failed', errors: [{ message: 'body is too long' }] },
          },
        },
      ),
      /rejected it \(422 Validation Failed: body is too long\)/,
    ],
    [
      apiError(502, 'Bad Gateway', {}, { attempts: 6 }),
      /GitHub answered 502 Bad Gateway \(gave up after 6 attempts\)\. GitHub had trouble answering/,
    ],
    [
      apiError(403, 'API rate limit exceeded', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': '1700000000',
      }),
      /used up its GitHub API rate limit until 2023-11-14T22:13:20\.000Z/,
    ],
    [
      apiError(429, 'You have exceeded a secondary rate limit', {}, { attempts: 6 }),
      /secondary rate limit .*\(gave up after 6 attempts\)\. Too many requests/,
    ],
    [
      Object.assign(new Error('fetch failed'), { name: 'HttpError', status: 500 }),
      /no answer from the GitHub API \(fetch failed\)/,
    ],
  ])('explains %#', (error, message) => {
    expect(String((callError(error, FACTS) as Error).message)).toMatch(message);
  });

  it('leaves bugs (errors that are not API answers) as they are', () => {
    const bug = new TypeError('x is undefined');
    expect(callError(bug, FACTS)).toBe(bug);
  });
});

describe('the auth inputs', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
  const read = (values: Record<string, string>) => {
    const r = new InputReader(inputsFrom(values));
    const auth = readGitHubAuth(r);
    r.finish();
    return auth;
  };

  it.each([
    ['a token', { token: 'ghp_x' }, { mode: 'token', token: 'ghp_x' }],
    ['an App', { 'app-id': '12', 'private-key': key }, { mode: 'app', appId: '12', privateKey: key.trim() }],
    [
      'an App key pasted with literal \\n',
      { 'app-id': '12', 'private-key': key.trim().replace(/\n/g, '\\n') },
      { mode: 'app', appId: '12', privateKey: key.trim() },
    ],
  ])('reads %s', (_what, values, auth) => {
    expect(read(values)).toEqual(auth);
  });

  it.each([
    [{}, 'input "token" is required: give "token", or "app-id" and "private-key"'],
    [{ 'app-id': '12' }, 'input "private-key" is required'],
    [{ token: 't', 'app-id': '12' }, 'input "token" conflicts with "app-id" / "private-key"'],
    [
      { 'app-id': 'my-app', 'private-key': key },
      'input "app-id" is "my-app": expected the numeric GitHub App id',
    ],
    [
      { 'app-id': '12', 'private-key': 'secret-but-not-a-key' },
      'input "private-key" is not a PEM private key',
    ],
  ])('refuses %j', (values, message) => {
    expect(() => read(values)).toThrow(InputErrors);
    expect(() => read(values)).toThrow(message);
    try {
      read(values);
    } catch (error) {
      expect(String(error)).not.toContain('secret-but-not-a-key');
    }
  });

  it('normalizes only keys without real line breaks', () => {
    expect(normalizePrivateKey('a\\nb')).toBe('a\nb');
    expect(normalizePrivateKey('a\nb\\n')).toBe('a\nb\\n');
  });
});

describe('the sealed installation token', () => {
  const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIabc\n-----END RSA PRIVATE KEY-----\n';

  it('opens with the same private key only, and never holds the token in any readable form', () => {
    const token = 'ghs_abcdefghijklmnopqrstuvwxyz0123456789';
    const sealed = sealToken(token, key);
    expect(openSealedToken(sealed, key)).toBe(token);
    expect(openSealedToken(sealed, key.replace('abc', 'abd'))).toBeUndefined();
    expect(openSealedToken(`${sealed.slice(0, -2)}AA`, key)).toBeUndefined();
    expect(openSealedToken('short', key)).toBeUndefined();
    for (const form of [
      token,
      Buffer.from(token).toString('base64'),
      Buffer.from(token).toString('base64url'),
    ])
      expect(sealed).not.toContain(form);
    expect(sealToken(token, key)).not.toBe(sealed);
  });
});

describe('a repository input', () => {
  it.each([
    ['cal-icor/cal-icor-hubs', { owner: 'cal-icor', repo: 'cal-icor-hubs' }],
    ['a.b/c_d-e.f', { owner: 'a.b', repo: 'c_d-e.f' }],
  ])('%s is read as OWNER/NAME', (value, repo) => {
    expect(parseRepo(value)).toEqual(repo);
    expect(repoName(repo)).toBe(value);
  });

  it.each(['cal-icor', 'cal-icor/hubs.git', 'https://github.com/cal-icor/hubs', 'a/b/c', ''])(
    '%j is refused, with the shape expected',
    (value) => {
      expect(() => parseRepo(value)).toThrow('expected OWNER/NAME, e.g. cal-icor/cal-icor-hubs');
    },
  );
});
