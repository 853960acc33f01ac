import { describe, expect, it } from '@jest/globals';
import { RegistryConnectionError, RegistryError } from '@hub-image-actions/registry-client';
import { classifyRegistryCall } from '../src/registry-ops.js';

const URL = 'https://us-central1-docker.pkg.dev/v2/p-roject/r/i/manifests/v1';

describe('classifyRegistryCall', () => {
  it.each([
    [
      'a host DNS does not know',
      new RegistryConnectionError('HEAD', URL, 'ENOTFOUND (getaddrinfo ENOTFOUND x)', 'ENOTFOUND'),
      false,
    ],
    [
      'a DNS server that failed for now',
      new RegistryConnectionError('HEAD', URL, 'EAI_AGAIN (getaddrinfo EAI_AGAIN x)', 'EAI_AGAIN'),
      true,
    ],
    ['a reset connection', new RegistryConnectionError('PUT', URL, 'ECONNRESET (socket hang up)'), true],
    ['a 503', new RegistryError('PUT', URL, 503, undefined, '', undefined), true],
    ['a denial', new RegistryError('PUT', URL, 403, 'DENIED', 'denied', undefined), false],
  ])('%s → retry %s', (_name, error, retry) => {
    expect(classifyRegistryCall(error).retry).toBe(retry);
  });

  it("passes on a 429's Retry-After", () => {
    expect(classifyRegistryCall(new RegistryError('PUT', URL, 429, 'TOOMANYREQUESTS', '', 2000))).toEqual({
      retry: true,
      reason: 'too many requests (429)',
      afterMs: 2000,
    });
  });
});
