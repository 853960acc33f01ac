import { parseRetryAfter, type RetryDecision } from '@hub-image-actions/retry';

// What a failed API call or git command means: worth another attempt, the user's to fix, or a bug.

interface ApiErrorShape {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

export interface ApiFailure {
  status: number | undefined;
  message: string;
  header: (name: string) => string | undefined;
  /** True when no HTTP answer came back (connection refused or reset, DNS, timeout). */
  noResponse: boolean;
}

export function apiFailure(error: unknown): ApiFailure {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as ApiErrorShape;
  const headers = shape.response?.headers ?? {};
  const data = shape.response?.data;
  const dataMessage =
    typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string'
      ? (data as { message: string }).message
      : undefined;
  return {
    status: typeof shape.status === 'number' ? shape.status : undefined,
    message: dataMessage ?? (error instanceof Error ? error.message : String(error)),
    header: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? undefined : String(value);
    },
    noResponse: shape.response === undefined,
  };
}

const SECONDARY_WAIT_MS = 60_000;
const SERVER_ERRORS = new Set([500, 502, 503, 504]);

/**
 * GitHub's answers worth retrying: server errors, dropped connections, the secondary rate limit (403 or 429 with
 * retry-after, or its message) and the primary one (x-ratelimit-remaining 0, until x-ratelimit-reset).
 */
export function classifyApiFailure(error: unknown, now: number): RetryDecision {
  const failure = apiFailure(error);
  const { status } = failure;
  if (status === undefined || (failure.noResponse && status === 500)) {
    return { retry: true, reason: `no answer from the API (${failure.message})` };
  }
  if (SERVER_ERRORS.has(status)) return { retry: true, reason: `the API answered ${status}` };
  if (status === 403 || status === 429) {
    const retryAfter = parseRetryAfter(failure.header('retry-after'), now);
    if (retryAfter !== undefined) {
      return { retry: true, reason: `rate limited (${status}, retry-after)`, afterMs: retryAfter };
    }
    if (/secondary rate limit/i.test(failure.message)) {
      return { retry: true, reason: `secondary rate limit (${status})`, afterMs: SECONDARY_WAIT_MS };
    }
    if (failure.header('x-ratelimit-remaining') === '0') {
      const reset = Number(failure.header('x-ratelimit-reset'));
      const afterMs = Number.isFinite(reset) ? Math.max(0, reset * 1000 - now) + 1000 : SECONDARY_WAIT_MS;
      return { retry: true, reason: `rate limit exhausted (${status})`, afterMs };
    }
  }
  return { retry: false };
}

export type GitFailure = 'not-found' | 'unauthorized' | 'forbidden' | 'unreachable' | 'missing-ref' | 'other';

export function classifyGitFailure(stderr: string): GitFailure {
  if (/Repository not found|returned error: 404/i.test(stderr)) return 'not-found';
  if (/returned error: 403|Permission to \S+ denied/i.test(stderr)) return 'forbidden';
  if (
    /Authentication failed|returned error: 401|could not read (Username|Password)|terminal prompts disabled/i.test(
      stderr,
    )
  ) {
    return 'unauthorized';
  }
  if (
    /Could not resolve host|Failed to connect|Connection refused|Connection reset|timed out|Empty reply/i.test(
      stderr,
    )
  ) {
    return 'unreachable';
  }
  if (/couldn't find remote ref/i.test(stderr)) return 'missing-ref';
  return 'other';
}

export type PushOutcome =
  | { status: 'pushed' }
  /** The branch moved since we looked (the lease failed) or the server lost a race on the ref: look again. */
  | { status: 'moved'; detail: string }
  /** The server refused for good (a hook, branch protection): a re-run will not help without a change. */
  | { status: 'refused'; detail: string };

const MOVED =
  /stale info|fetch first|non-fast-forward|failed to update ref|cannot lock ref|incorrect old value|failed to lock/i;

/** Reads `git push --porcelain` (one `FLAG\tFROM:TO\tSUMMARY (REASON)` line per ref) and its stderr. */
export function parsePushOutcome(stdout: string, stderr: string, exitCode: number): PushOutcome {
  const refLine = stdout.split('\n').find((line) => /^[ +\-*!=]\t/.test(line));
  const remote = stderr
    .split('\n')
    .filter((line) => line.startsWith('remote:'))
    .map((line) => line.replace(/^remote:\s?/, '').trim())
    .filter((line) => line !== '');
  if (exitCode === 0 && refLine !== undefined && !refLine.startsWith('!')) return { status: 'pushed' };
  const summary = refLine?.split('\t')[2] ?? stderr.trim().split('\n').pop() ?? '';
  const detail = [summary, ...remote].filter((line) => line !== '').join('; ');
  return MOVED.test(summary) || MOVED.test(stderr)
    ? { status: 'moved', detail }
    : { status: 'refused', detail };
}
