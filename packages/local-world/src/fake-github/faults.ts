import type {
  ActiveFault,
  ActiveHold,
  FaultRule,
  HoldRule,
  RateLimitRule,
  SecondaryRateLimitRule,
} from './types.js';
import { nowSeconds, requestId } from './wire.js';

const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

/** Answers a test puts in place of the real ones, and holds that stop a request at a precise moment. */
export class Faults {
  private readonly faults: ActiveFault[] = [];
  private readonly holds: ActiveHold[] = [];

  /** Answers the next `times` matching requests (every one when omitted) with this status, body and headers. */
  fail(rule: FaultRule): void {
    this.add(rule, () => ({
      status: rule.status,
      body: rule.body ?? {
        message: `Injected failure ${rule.status}`,
        documentation_url: 'https://docs.github.com/rest',
      },
      headers: rule.headers ?? {},
    }));
  }

  /**
   * GitHub's secondary rate limit: 403 (or 429) with its message, and `retry-after` unless `retryAfterSeconds` is
   * null (GitHub then says nothing about when: the client should wait a minute).
   */
  secondaryRateLimit(rule: SecondaryRateLimitRule): void {
    this.add(rule, () => {
      const id = requestId();
      const status = rule.status ?? 403;
      const after = rule.retryAfterSeconds === undefined ? 60 : rule.retryAfterSeconds;
      return {
        status,
        body: {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${id}.`,
          documentation_url: `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`,
          status: String(status),
        },
        headers: { 'x-github-request-id': id, ...(after === null ? {} : { 'retry-after': String(after) }) },
      };
    });
  }

  /** GitHub's primary rate limit: the token's hourly budget is used up until `x-ratelimit-reset`. */
  rateLimit(rule: RateLimitRule): void {
    this.add(rule, () => {
      const status = rule.status ?? 403;
      return {
        status,
        body: {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url: `${RATE_LIMIT_DOCS}#about-primary-rate-limits`,
          status: String(status),
        },
        headers: {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': '5000',
          'x-ratelimit-reset': String(nowSeconds() + (rule.resetInSeconds ?? 3600)),
          'x-ratelimit-resource': 'core',
        },
      };
    });
  }

  /**
   * Runs `hook` when the next `times` matching requests arrive (every one when omitted) and serves each only once
   * its hook settles, e.g. to hold one client at a precise point while another does its work. Other requests are
   * served meanwhile.
   */
  beforeRequest(rule: HoldRule, hook: () => Promise<void>): void {
    this.holds.push({
      ...(rule.method === undefined ? {} : { method: rule.method.toUpperCase() }),
      path: rule.path,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      hook,
    });
  }

  clear(): void {
    this.faults.length = 0;
  }

  /** Runs the hook of the first hold that matches, if any. */
  async hold(method: string, path: string): Promise<void> {
    const hold = this.holds.find((rule) => rule.remaining > 0 && matches(rule, method, path));
    if (hold === undefined) return;
    hold.remaining -= 1;
    await hold.hook();
  }

  take(method: string, path: string): ReturnType<ActiveFault['respond']> | undefined {
    const fault = this.faults.find((rule) => rule.remaining > 0 && matches(rule, method, path));
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    return fault.respond();
  }

  private add(
    rule: { method?: string; path: RegExp; times?: number },
    respond: ActiveFault['respond'],
  ): void {
    this.faults.push({
      ...(rule.method === undefined ? {} : { method: rule.method.toUpperCase() }),
      path: rule.path,
      remaining: rule.times ?? Number.POSITIVE_INFINITY,
      respond,
    });
  }
}

function matches(rule: { method?: string; path: RegExp }, method: string, path: string): boolean {
  return (rule.method === undefined || rule.method === method) && rule.path.test(path);
}
