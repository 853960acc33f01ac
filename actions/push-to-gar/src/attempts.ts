// One retry discipline for every write and read of the push: bounded in attempts (per operation) and in total time
// (one deadline for the whole push), backoff with jitter, the server's Retry-After when it gives one, every
// failed attempt logged with why and how long until the next.
import { ConfigurationError, formatDuration } from '@hub-image-actions/action-io';
import { RegistryConnectionError } from '@hub-image-actions/registry-client';
import {
  RetriesExhaustedError,
  retry,
  systemClock,
  type Clock,
  type RetryDecision,
} from '@hub-image-actions/retry';

export interface Log {
  info(line: string): void;
  warning(line: string): void;
}

/** Backoff ceilings: 1–2 s before the second attempt, doubling up to 15–30 s. */
export const BACKOFF = { baseDelayMs: 2_000, maxDelayMs: 30_000 };

/** The push's time budget: no attempt starts after it, and one still running is stopped at it. */
export class Deadline {
  readonly at: number;

  constructor(
    readonly totalMs: number,
    readonly clock: Clock = systemClock,
  ) {
    this.at = clock.now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.clock.now());
  }
}

const RESUME = 'tags already written are kept, and layers already uploaded are not sent again';

/** The registry kept failing until the bound: not a bug, and re-running the job resumes the push. */
export class PushGaveUpError extends ConfigurationError {
  constructor(what: string, exhausted: RetriesExhaustedError) {
    super(
      `${what}: ${exhausted.message}`,
      exhausted.cause instanceof RegistryConnectionError
        ? `The registry stopped answering: check that it is up and reachable from this runner, then re-run the job (${RESUME})`
        : `The registry is failing or throttling. Re-run the job later: ${RESUME}`,
    );
    this.name = 'PushGaveUpError';
  }
}

export interface AttemptOptions {
  maxAttempts: number;
  deadline: Deadline;
  log: Log;
  /** Counts every attempt made, for the `attempts` output. */
  counter?: { attempts: number };
  random?: () => number;
}

/**
 * Runs `operation` until it succeeds, fails for good (rethrown as is), or the bound is reached
 * (PushGaveUpError). `what` names the operation in the log, e.g. "push of v1".
 */
export async function withAttempts<T>(
  what: string,
  operation: (attempt: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  options: AttemptOptions,
): Promise<{ value: T; attempts: number; waitedMs: number }> {
  const { deadline, log } = options;
  try {
    return await retry(
      (attempt) => {
        if (options.counter) options.counter.attempts += 1;
        return operation(attempt);
      },
      {
        policy: { maxAttempts: options.maxAttempts, maxElapsedMs: Infinity, ...BACKOFF },
        classify,
        clock: deadline.clock,
        deadline: {
          at: deadline.at,
          limit: `the ${Math.round(deadline.totalMs / 1000)} s limit of retry-timeout`,
        },
        ...(options.random ? { random: options.random } : {}),
        onRetry: ({ attempt, reason, delayMs, error }) => {
          const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
          log.info(
            `${what}: attempt ${attempt} of ${options.maxAttempts} failed (${reason}): ${detail}. ` +
              `Retrying in ${formatDuration(delayMs)}; ${formatDuration(Math.max(0, deadline.remainingMs() - delayMs))} left of the ${formatDuration(deadline.totalMs)} budget.`,
          );
        },
      },
    );
  } catch (error) {
    if (error instanceof RetriesExhaustedError) throw new PushGaveUpError(what, error);
    throw error;
  }
}
