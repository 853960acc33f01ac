import { describe, expect, it } from '@jest/globals';
import {
  classifyRegistryFailure,
  parseChallenge,
  RegistryConnectionError,
  RegistryError,
  sha256Digest,
} from '../src/index.js';

describe('parseChallenge', () => {
  it.each([
    ['Basic realm="test"', { scheme: 'basic', params: { realm: 'test' } }],
    [
      'Bearer realm="https://us-central1-docker.pkg.dev/v2/token",service="us-central1-docker.pkg.dev",scope="repository:p/r/i:pull"',
      {
        scheme: 'bearer',
        params: {
          realm: 'https://us-central1-docker.pkg.dev/v2/token',
          service: 'us-central1-docker.pkg.dev',
          scope: 'repository:p/r/i:pull',
        },
      },
    ],
    ['Negotiate abc', undefined],
    [null, undefined],
  ])('%j', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('classifyRegistryFailure', () => {
  const error = (status: number, code?: string, retryAfterMs?: number): RegistryError =>
    new RegistryError('PUT', 'http://r/v2/x/manifests/t', status, code, '', retryAfterMs);

  it.each([
    [error(503), { retry: true, reason: 'server error 503' }],
    [error(500), { retry: true, reason: 'server error 500' }],
    [error(429, 'TOOMANYREQUESTS', 2000), { retry: true, reason: 'too many requests (429)', afterMs: 2000 }],
    [error(429), { retry: true, reason: 'too many requests (429)' }],
    [error(408), { retry: true, reason: 'request timeout (408)' }],
    [
      new RegistryConnectionError('PUT', 'http://r', 'UND_ERR_SOCKET (other side closed)'),
      { retry: true, reason: 'UND_ERR_SOCKET (other side closed)' },
    ],
    [error(401, 'UNAUTHORIZED'), { retry: false }],
    [error(403, 'DENIED'), { retry: false }],
    [error(404, 'NAME_UNKNOWN'), { retry: false }],
    [new Error('bug'), { retry: false }],
  ])('%s', (failure, decision) => {
    expect(classifyRegistryFailure(failure)).toEqual(decision);
  });
});

describe('sha256Digest', () => {
  it('hashes the exact bytes', () => {
    expect(sha256Digest(Buffer.from(''))).toBe(
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
