import type { ProcessRunner } from '@hub-image-actions/process';

/**
 * What a run must undo however it ends (revoke the token, remove the clone), and the stop a cancelled job sends:
 * the runner signals SIGINT, then SIGTERM, then kills. On either signal the git children are ended, the undo
 * steps run once, in the order they were added, and `stopped` settles.
 */
export class RunScope {
  private readonly controller = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private readonly undo: Array<(cancelled: boolean) => Promise<void>> = [];
  private closing: Promise<void> | undefined;
  private signalName: NodeJS.Signals | undefined;

  get cancelled(): NodeJS.Signals | undefined {
    return this.signalName;
  }

  /** Runs the steps' children under this scope: a stop ends them, and waits for them to exit. */
  runner(base: ProcessRunner): ProcessRunner {
    return {
      run: (command, args, options = {}) => {
        const run = base.run(command, args, { ...options, signal: this.controller.signal });
        this.running.add(run);
        // A child the runner signalled with the whole process group: the same stop is on its way to us.
        void run.then((result) => {
          this.running.delete(run);
          if (result.signal === 'SIGTERM' || result.signal === 'SIGINT') void this.stop(result.signal);
        });
        return run;
      },
    };
  }

  /** `step` gets true when the run was cancelled (it then has seconds left, not minutes); it must not throw. */
  onClose(step: (cancelled: boolean) => Promise<void>): void {
    this.undo.push(step);
  }

  /** Runs every undo step once, in the order they were added. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const step of this.undo) await step(this.signalName !== undefined);
    })();
    return this.closing;
  }

  /** Ends the children, then undoes; resolves once both are done. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    this.signalName ??= signal;
    this.controller.abort();
    await Promise.allSettled([...this.running]);
    await this.close();
  }

  /** Stops on SIGINT or SIGTERM; `then` runs once the scope is closed. */
  stopOnSignals(then: (signal: NodeJS.Signals) => void): () => void {
    const handler = (signal: NodeJS.Signals) => {
      void this.stop(signal).then(() => then(signal));
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }
}
