import { describe, expect, it } from '@jest/globals';
import {
  backoffDelay,
  parseRetryAfter,
  RetriesExhaustedError,
  retry,
  type Clock,
  type RetryPolicy,
} from '../src/index.js';

class FakeClock implements Clock {
  time = 0;
  sleeps: number[] = [];
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

const policy: RetryPolicy = { maxAttempts: 5, maxElapsedMs: 60_000, baseDelayMs: 1000, maxDelayMs: 8000 };

function failing(times: number, error: Error = new Error('503')) {
  let calls = 0;
  return async (): Promise<string> => {
    calls += 1;
    if (calls <= times) throw error;
    return `ok after ${calls}`;
  };
}

describe('backoffDelay', () => {
  it.each([
    [1, 0, 500],
    [1, 0.999, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [10, 0, 4000],
    [10, 0.999, 7996],
  ])('attempt %i with random %f waits %i ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, policy, () => r)).toBe(expected);
  });
});

describe('retry', () => {
  it('returns the value and counts attempts and waiting', async () => {
    const clock = new FakeClock();
    const events: number[] = [];
    const outcome = await retry(failing(2), {
      policy,
      clock,
      random: () => 0,
      classify: () => ({ retry: true, reason: 'server error' }),
      onRetry: (event) => events.push(event.delayMs),
    });
    expect(outcome).toEqual({ value: 'ok after 3', attempts: 3, waitedMs: 1500 });
    expect(events).toEqual([500, 1000]);
    expect(clock.sleeps).toEqual([500, 1000]);
  });

  it('rethrows a failure classified as final without waiting', async () => {
    const clock = new FakeClock();
    const denied = new Error('denied');
    await expect(
      retry(failing(1, denied), { policy, clock, classify: () => ({ retry: false }) }),
    ).rejects.toBe(denied);
    expect(clock.sleeps).toEqual([]);
  });

  it('stops at the attempt bound with the last error as cause', async () => {
    const clock = new FakeClock();
    const error = await retry(failing(99), {
      policy,
      clock,
      random: () => 0,
      classify: () => ({ retry: true, reason: 'x' }),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(5);
    expect((error as Error).message).toMatch(/gave up after 5 attempts .*at most 5 attempts.*: 503/);
    expect(clock.sleeps).toHaveLength(4);
  });

  it('stops before a wait that would pass the time bound', async () => {
    const clock = new FakeClock();
    const error = await retry(failing(99), {
      policy: { ...policy, maxElapsedMs: 2000 },
      clock,
      random: () => 0,
      classify: () => ({ retry: true, reason: 'x' }),
    }).catch((e: unknown) => e);
    expect((error as RetriesExhaustedError).attempts).toBe(3);
    expect(clock.time).toBeLessThanOrEqual(2000);
  });

  it('stops before a wait that would pass a shared deadline, naming its limit rather than the time left', async () => {
    const clock = new FakeClock();
    clock.time = 9_000; // what other operations used of the budget
    const error = await retry(failing(99), {
      policy,
      clock,
      random: () => 0,
      classify: () => ({ retry: true, reason: 'x' }),
      deadline: { at: 10_000, limit: 'the 10 s limit of retry-timeout' },
    }).catch((e: unknown) => e);
    expect((error as RetriesExhaustedError).attempts).toBe(2);
    expect((error as Error).message).toBe(
      'gave up after 2 attempts in 0.5 s (the next attempt, 1.0 s away, would pass the 10 s limit of retry-timeout): 503',
    );
    expect(clock.sleeps).toEqual([500]);
  });

  it('waits what the server asked for instead of the backoff', async () => {
    const clock = new FakeClock();
    await retry(failing(1), {
      policy,
      clock,
      classify: () => ({ retry: true, reason: '429', afterMs: 7000 }),
    });
    expect(clock.sleeps).toEqual([7000]);
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['Wed, 21 Oct 2015 07:28:10 GMT', 10_000],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseRetryAfter(value, Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(expected);
  });
});
