export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** No attempt starts after this much time has passed since the first one. */
  maxElapsedMs: number;
  /** The backoff ceiling doubles from this after each failed attempt... */
  baseDelayMs: number;
  /** ...up to this. */
  maxDelayMs: number;
}

export type RetryDecision =
  | { retry: false }
  | {
      retry: true;
      /** Why this failure is worth another attempt, for the log. */
      reason: string;
      /** A wait the server asked for (Retry-After); used instead of the computed backoff. */
      afterMs?: number;
    };

export interface RetryEvent {
  attempt: number;
  error: unknown;
  reason: string;
  delayMs: number;
}

export interface RetryOptions {
  policy: RetryPolicy;
  classify: (error: unknown) => RetryDecision;
  onRetry?: (event: RetryEvent) => void;
  clock?: Clock;
  /** Source of jitter in [0, 1). */
  random?: () => number;
  /**
   * An end shared with other operations, on `clock`: no attempt starts after `at`. `limit` names it where the
   * retries stop, e.g. "the 10 s limit of retry-timeout": the limit the user set, not the time left of it.
   */
  deadline?: { at: number; limit: string };
}

export interface RetryOutcome<T> {
  value: T;
  attempts: number;
  /** Total time spent waiting between attempts. */
  waitedMs: number;
}

/** The operation kept failing with retryable errors until the policy's bound. `cause` is the last error. */
export class RetriesExhaustedError extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly bound: string,
    override readonly cause: unknown,
  ) {
    super(
      `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} in ${(elapsedMs / 1000).toFixed(1)} s (${bound}): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
    );
    this.name = 'RetriesExhaustedError';
  }
}

/** Exponential backoff with "equal jitter": half the ceiling fixed, half random, so waits never collapse to 0. */
export function backoffDelay(failedAttempts: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * Runs `operation` until it succeeds, a failure is classified as not retryable (rethrown as is), or the
 * policy's bound on attempts or time is reached (RetriesExhaustedError).
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<RetryOutcome<T>> {
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const { policy } = options;
  const started = clock.now();
  let waitedMs = 0;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const value = await operation(attempt);
      return { value, attempts: attempt, waitedMs };
    } catch (error) {
      const decision = options.classify(error);
      if (!decision.retry) throw error;
      const elapsed = clock.now() - started;
      if (attempt >= policy.maxAttempts) {
        throw new RetriesExhaustedError(attempt, elapsed, `at most ${policy.maxAttempts} attempts`, error);
      }
      const delayMs = decision.afterMs ?? backoffDelay(attempt, policy, random);
      const { deadline } = options;
      if (deadline !== undefined && clock.now() + delayMs > deadline.at) {
        throw new RetriesExhaustedError(
          attempt,
          elapsed,
          `the next attempt, ${(delayMs / 1000).toFixed(1)} s away, would pass ${deadline.limit}`,
          error,
        );
      }
      if (elapsed + delayMs > policy.maxElapsedMs) {
        throw new RetriesExhaustedError(
          attempt,
          elapsed,
          `the next attempt, ${(delayMs / 1000).toFixed(1)} s away, would pass the ${(policy.maxElapsedMs / 1000).toFixed(0)} s limit`,
          error,
        );
      }
      options.onRetry?.({ attempt, error, reason: decision.reason, delayMs });
      await clock.sleep(delayMs);
      waitedMs += delayMs;
    }
  }
}

/** Parses an HTTP Retry-After value (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
