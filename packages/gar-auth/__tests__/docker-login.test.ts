import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { classifyLoginFailure, freshDockerConfigDir } from '../src/index.js';

const failed = (stderr: string, timedOut = false) => ({ stderr, stdout: '', timedOut });

describe('classifyLoginFailure', () => {
  // The lines dockerd 20.10 prints for `docker login` through the harness fault proxy.
  it.each([
    [
      'Error response from daemon: login attempt to http://127.0.0.1:40071/v2/ failed with status: 503 Service Unavailable',
      'retryable',
      'server error 503',
    ],
    [
      'Error response from daemon: login attempt to http://127.0.0.1:40071/v2/ failed with status: 429 Too Many Requests',
      'retryable',
      'too many requests (429)',
    ],
    ['Error response from daemon: Get "http://127.0.0.1:40071/v2/": EOF', 'retryable', 'connection failed'],
    [
      'Error response from daemon: Get "https://us-docker.pkg.dev/v2/": dial tcp 1.2.3.4:443: connect: connection refused',
      'retryable',
      'connection failed',
    ],
    [
      'Error response from daemon: Get "https://us-docker.pkg.dev/v2/": net/http: request canceled (Client.Timeout exceeded while awaiting headers)',
      'retryable',
      'connection failed',
    ],
    [
      'Error response from daemon: login attempt to http://127.0.0.1:40071/v2/ failed with status: 401 Unauthorized',
      'denied',
      'unauthorized (401)',
    ],
    [
      'Error response from daemon: login attempt to http://127.0.0.1:40071/v2/ failed with status: 403 Forbidden',
      'denied',
      'denied (403)',
    ],
    [
      'Error response from daemon: Get "https://us-docker.pkg.dev/v2/": unauthorized: authentication failed',
      'denied',
      'credential refused',
    ],
    ['Error response from daemon: denied: Permission denied', 'denied', 'credential refused'],
    [
      'Error response from daemon: Get "https://nope.example/v2/": dial tcp: lookup nope.example: no such host',
      'other',
      'login failed',
    ],
  ])('%s → %s', (line, kind, reason) => {
    const failure = classifyLoginFailure(failed(`${line}\n`));
    expect(failure).toEqual(expect.objectContaining({ kind, reason }));
    expect(failure.message).toBe(line.replace('Error response from daemon: ', ''));
  });

  it('takes the status from the message', () => {
    expect(
      classifyLoginFailure(
        failed(
          'Error response from daemon: login attempt to https://h/v2/ failed with status: 502 Bad Gateway',
        ),
      ).status,
    ).toBe(502);
  });

  it('counts a login stopped by its timeout as retryable', () => {
    expect(classifyLoginFailure(failed('', true))).toEqual(
      expect.objectContaining({ kind: 'retryable', reason: 'timed out' }),
    );
  });
});

describe('freshDockerConfigDir', () => {
  it('without RUNNER_TEMP, is a configuration error that says what to do', async () => {
    const error = await freshDockerConfigDir(undefined, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).message).toMatch(/^RUNNER_TEMP is not set/);
    expect((error as ConfigurationError).fix).toMatch(/Run this as a step of a GitHub Actions job/);
  });
});
