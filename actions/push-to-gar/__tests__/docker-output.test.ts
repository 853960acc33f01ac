import { describe, expect, it } from '@jest/globals';
import {
  classifyPushFailure,
  errorLine,
  isRetryable,
  ProgressFilter,
  reportedDigest,
} from '../src/docker-output.js';

const DIGEST = `sha256:${'ef02eb5ff98c155285aced170aacce2edb8f56b149323716cb294b231a35ce62'}`;

describe('classifyPushFailure', () => {
  // The error lines dockerd 20.10 printed for each harness fault (see the README's table), plus GAR's own words.
  it.each([
    ['received unexpected HTTP status: 503 Service Unavailable', 'server', 503],
    ['received unexpected HTTP status: 502 Bad Gateway', 'server', 502],
    ['received unexpected HTTP status: 500 Internal Server Error', 'server', 500],
    ['error parsing HTTP 503 response body: unexpected end of JSON input: ""', 'server', 503],
    ['unknown: internal error', 'server', 500],
    ['blob upload unknown: blob upload unknown to registry', 'server', undefined],
    ['toomanyrequests: quota exceeded', 'rate-limited', 429],
    ['error parsing HTTP 429 response body: unexpected end of JSON input: ""', 'rate-limited', 429],
    ['Put "http://127.0.0.1:34861/v2/exp/img/manifests/t1": EOF', 'connection', undefined],
    ['write tcp 127.0.0.1:37530->127.0.0.1:34837: use of closed network connection', 'connection', undefined],
    ['read tcp 10.1.0.4:53124->142.250.1.82:443: read: connection reset by peer', 'connection', undefined],
    ['net/http: TLS handshake timeout', 'connection', undefined],
    ['unauthorized: authentication required', 'unauthorized', 401],
    ['unauthorized', 'unauthorized', 401],
    [
      'denied: Permission "artifactregistry.repositories.uploadArtifacts" denied on resource "projects/p/locations/us/repositories/r" (or it may not exist)',
      'denied',
      403,
    ],
    [
      'denied: Unauthenticated request. Unauthenticated requests do not have permission "artifactregistry.repositories.uploadArtifacts" on resource "projects/p/locations/us-central1/repositories/r" (or it may not exist)',
      'denied',
      403,
    ],
    ['name unknown: Repository "r" not found', 'name-unknown', 404],
    [
      'Get "https://us-centrall-docker.pkg.dev/v2/": dial tcp: lookup us-centrall-docker.pkg.dev on 127.0.0.53:53: no such host',
      'unknown-host',
      undefined,
    ],
    ['manifest invalid: manifest invalid', 'other', undefined],
  ])('%s → %s', (line, kind, status) => {
    const failure = classifyPushFailure({ stderr: `some earlier line\n${line}\n`, timedOut: false });
    expect(failure).toEqual({ kind, message: line, ...(status === undefined ? {} : { status }) });
  });

  it('treats a push our deadline stopped as timed out, whatever it printed', () => {
    expect(classifyPushFailure({ stderr: '', timedOut: true })).toEqual({
      kind: 'timed-out',
      message: 'stopped when the retry-timeout passed',
    });
    expect(
      classifyPushFailure({
        stderr: '',
        stdout: 'abc: Preparing\nabc: Retrying in 5 seconds\n',
        timedOut: true,
      }).message,
    ).toBe('stopped when the retry-timeout passed (last output: abc: Retrying in 5 seconds)');
  });

  it('retries only what waiting can fix', () => {
    expect(['server', 'rate-limited', 'connection'].every((k) => isRetryable(k as never))).toBe(true);
    expect(
      ['denied', 'name-unknown', 'unauthorized', 'unknown-host', 'other', 'timed-out'].some((k) =>
        isRetryable(k as never),
      ),
    ).toBe(false);
  });

  it('takes the last line docker printed as its error', () => {
    expect(errorLine('a\n\n  b  \n\n')).toBe('b');
    expect(errorLine('')).toBe('');
  });
});

describe('reportedDigest', () => {
  const stdout = [
    'The push refers to repository [127.0.0.1:43099/exp/img]',
    'f5839b1b2781: Preparing',
    'f5839b1b2781: Pushed',
    `t1: digest: ${DIGEST} size: 735`,
  ].join('\n');

  it('reads the digest docker reports for the tag pushed', () => {
    expect(reportedDigest(stdout, 't1')).toBe(DIGEST);
  });

  it('ignores the line of another tag, and output without one', () => {
    expect(reportedDigest(stdout, 't2')).toBeUndefined();
    expect(reportedDigest('f5839b1b2781: Pushed', 't1')).toBeUndefined();
  });
});

describe('ProgressFilter', () => {
  it("keeps each layer's state and the first line of each of dockerd's retry countdowns", () => {
    const filter = new ProgressFilter();
    const lines = [
      'The push refers to repository [127.0.0.1:45247/exp/img]',
      '3ee335e66e49: Preparing',
      '3ee335e66e49: Retrying in 5 seconds',
      'd2f8fe509c48: Pushed',
      '3ee335e66e49: Retrying in 4 seconds',
      '3ee335e66e49: Retrying in 1 second',
      '3ee335e66e49: Retrying in 10 seconds',
      '3ee335e66e49: Retrying in 9 seconds',
      '3ee335e66e49: Pushed',
      '',
    ];
    expect(lines.filter((line) => filter.keep(line))).toEqual([
      'The push refers to repository [127.0.0.1:45247/exp/img]',
      '3ee335e66e49: Preparing',
      '3ee335e66e49: Retrying in 5 seconds',
      'd2f8fe509c48: Pushed',
      '3ee335e66e49: Retrying in 10 seconds',
      '3ee335e66e49: Pushed',
    ]);
  });
});
