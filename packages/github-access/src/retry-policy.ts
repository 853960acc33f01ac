// How long the client keeps trying. GitHub's plugins do the retrying (plugin-retry for server errors and lost
// answers, plugin-throttling for rate limits); these numbers and the rate-limit decision are ours.

/** Statuses plugin-retry never retries: a client error is final, and rate limits are plugin-throttling's. */
export const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 429, 451];

/** Retries of a server error or a lost answer; plugin-retry waits 1, 4, 9, 16 then 25 s (55 s in all). */
export const SERVER_ERROR_RETRIES = 5;

export interface RateLimitPolicy {
  /** Requests in all for one call, the first included. */
  maxAttempts: number;
  /** Waits for one call, added up, never pass this. */
  maxWaitMs: number;
}

/** Within about two and a half minutes; past that the run fails and a re-run picks up where it stopped. */
export const RATE_LIMIT_POLICY: RateLimitPolicy = { maxAttempts: 6, maxWaitMs: 150_000 };

export type RateLimitDecision = { retry: true; delayMs: number } | { retry: false; why: string };

/**
 * Whether to wait out a rate limit GitHub answered: `retryAfterSeconds` is what the plugin read from the answer
 * (retry-after, the primary limit's reset, or 60 s), `retries` how many times this call already waited, and
 * `waitedMs` how long.
 */
export function rateLimitDecision(
  retryAfterSeconds: number,
  retries: number,
  waitedMs: number,
  policy: RateLimitPolicy = RATE_LIMIT_POLICY,
): RateLimitDecision {
  const delayMs = Math.max(0, retryAfterSeconds) * 1000;
  if (retries + 1 >= policy.maxAttempts) {
    return { retry: false, why: `at most ${policy.maxAttempts} attempts` };
  }
  if (waitedMs + delayMs > policy.maxWaitMs) {
    return {
      retry: false,
      why: `waiting ${Math.round(delayMs / 1000)} s more would pass the ${Math.round(policy.maxWaitMs / 1000)} s limit`,
    };
  }
  return { retry: true, delayMs };
}
