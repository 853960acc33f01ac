import { describe, expect, it } from '@jest/globals';
import {
  classifyRegistryFailure,
  isLoopbackRegistry,
  isUnknownRepository,
  notFoundKind,
  parseChallenge,
  RegistryClient,
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

describe('plain http, as docker decides it', () => {
  it.each([
    ['127.0.0.1:5000', true],
    ['127.8.9.10', true],
    ['localhost:5000', true],
    ['LOCALHOST:5000', true],
    ['LocalHost', true],
    ['[::1]:5000', true],
    ['us-central1-docker.pkg.dev', false],
    ['US-CENTRAL1-DOCKER.PKG.DEV', false],
    ['128.0.0.1:5000', false],
    ['localhost.example:5000', false],
    ['[::2]:5000', false],
  ])('%s: %s', (registry, plain) => {
    expect(isLoopbackRegistry(registry)).toBe(plain);
    expect(new RegistryClient({ registry }).baseUrl).toBe(`${plain ? 'http' : 'https'}://${registry}`);
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

const NAME_UNKNOWN = JSON.stringify({
  errors: [{ code: 'NAME_UNKNOWN', message: 'Repository "user-images" not found' }],
});
// What distribution 2.8 answers for a manifest of a repository it has never seen, and for a missing manifest.
const MANIFEST_UNKNOWN = JSON.stringify({
  errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Name: 'never/seen' } }],
});

describe('notFoundKind', () => {
  it.each([
    [NAME_UNKNOWN, 'repository'],
    [MANIFEST_UNKNOWN, 'manifest'],
    ['', 'manifest'],
    ['404 page not found', 'manifest'],
    [JSON.stringify({ errors: [] }), 'manifest'],
  ])('%s → %s', (body, kind) => {
    expect(notFoundKind(body)).toBe(kind);
  });
});

describe('getManifest on a 404', () => {
  const answering = (body: string): RegistryClient =>
    new RegistryClient({
      registry: '127.0.0.1:1',
      fetch: (async () =>
        new Response(body, { status: 404, headers: { 'content-type': 'application/json' } })) as typeof fetch,
    });

  it('answers undefined for a missing manifest, asked either way', async () => {
    const client = answering(MANIFEST_UNKNOWN);
    expect(await client.getManifest('p/r/i', 'v1')).toBeUndefined();
    expect(await client.getManifest('p/r/i', 'v1', { unknownRepositoryThrows: true })).toBeUndefined();
  });

  it('answers undefined for an unknown repository by default, as before', async () => {
    expect(await answering(NAME_UNKNOWN).getManifest('p/r/i', 'v1')).toBeUndefined();
  });

  it('throws NAME_UNKNOWN with the registry message when asked to tell an unknown repository apart', async () => {
    const error = await answering(NAME_UNKNOWN)
      .getManifest('p/r/i', 'v1', { unknownRepositoryThrows: true })
      .catch((e: unknown) => e);
    expect(isUnknownRepository(error)).toBe(true);
    expect(error).toEqual(
      expect.objectContaining({
        status: 404,
        code: 'NAME_UNKNOWN',
        detail: 'Repository "user-images" not found',
        url: 'http://127.0.0.1:1/v2/p/r/i/manifests/v1',
      }),
    );
  });
});
