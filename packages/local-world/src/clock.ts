/** Time as a fake service sees it: the wall clock by default, a clock the test moves in tests of time itself. */
export interface Clock {
  now(): number;
  /** Runs `run` once `ms` have passed on this clock; returns a function that cancels it. */
  after(ms: number, run: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, run) {
    const timer = setTimeout(run, ms);
    // A pending expiry must not keep a test process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A clock that stands still until `advance()` moves it, running what falls due on the way, in order. */
export class ManualClock implements Clock {
  private time: number;
  private readonly pending = new Set<{ at: number; run: () => void }>();

  constructor(start = Date.now()) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  after(ms: number, run: () => void): () => void {
    const entry = { at: this.time + ms, run };
    this.pending.add(entry);
    return () => this.pending.delete(entry);
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = [...this.pending].filter((entry) => entry.at <= until).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.pending.delete(next);
      this.time = next.at;
      next.run();
    }
    this.time = until;
  }
}
