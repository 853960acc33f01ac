/**
 * The runner's cancel: SIGINT, then SIGTERM, to the action's process only. Node would die at once and leave its
 * yamllint (or pip) children running; instead every child is stopped, the step waits for them, and what was
 * half-made is removed by the code that made it (it sees a CancelledError).
 */
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ProcessRunner } from '@hub-image-actions/process';

export class CancelledError extends ConfigurationError {
  constructor(readonly signalName: string) {
    super(`cancelled (${signalName})`);
    this.name = 'CancelledError';
  }
}

export class Cancellation {
  private readonly controller = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private signalName: string | undefined;
  /** Children that were running when the signal came, and how each ended. */
  readonly stopped: string[] = [];
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    if (this.signalName !== undefined) return;
    this.signalName = signal;
    this.controller.abort();
  };

  constructor(private readonly signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']) {
    for (const signal of signals) process.on(signal, this.onSignal);
  }

  get cancelled(): CancelledError | undefined {
    return this.signalName === undefined ? undefined : new CancelledError(this.signalName);
  }

  /** A runner whose children are ended (SIGTERM) on cancel; a run after the cancel does not start. */
  runner(inner: ProcessRunner): ProcessRunner {
    return {
      run: async (command, args, options = {}) => {
        const before = this.cancelled;
        if (before !== undefined) throw before;
        const signal =
          options.signal === undefined
            ? this.controller.signal
            : AbortSignal.any([options.signal, this.controller.signal]);
        const run = inner.run(command, args, { ...options, signal });
        this.running.add(run);
        try {
          const result = await run;
          const after = this.cancelled;
          if (after !== undefined) {
            this.stopped.push(
              `${command.split('/').at(-1)} ${result.signal === null ? `exited with code ${result.exitCode}` : `ended by ${result.signal}`}`,
            );
            throw after;
          }
          return result;
        } finally {
          this.running.delete(run);
        }
      },
    };
  }

  /** Waits until no child started through `runner` is left running. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  dispose(): void {
    for (const signal of this.signals) process.off(signal, this.onSignal);
  }
}
