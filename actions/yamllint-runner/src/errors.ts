import { ConfigurationError } from '@hub-image-actions/action-io';

/**
 * The `outcome` output: `passed`, `failed` (yamllint's verdict on the files), `config-error` (the yamllint
 * configuration is missing or invalid: nothing was linted), `error` (anything else stopped the run).
 */
export type Outcome = 'passed' | 'failed' | 'config-error' | 'error';

/** The yamllint configuration is missing or invalid. Plain yamllint exits 1 or 255 for this; we tell it apart. */
export class YamllintConfigError extends ConfigurationError {
  constructor(
    message: string,
    fix?: string,
    /** The code plain yamllint exited with, when it was run (255 for an invalid configuration). */
    readonly yamllintExit?: number,
  ) {
    super(message, fix);
    this.name = 'YamllintConfigError';
  }
}

/** No yamllint satisfies `yamllint-version`, and none could be installed. */
export class YamllintUnavailableError extends ConfigurationError {
  constructor(message: string, fix: string) {
    super(message, fix);
    this.name = 'YamllintUnavailableError';
  }
}

/** yamllint stopped without a verdict on some file (unreadable, not text, vanished while linting). */
export class YamllintStoppedError extends ConfigurationError {
  constructor(message: string, fix: string) {
    super(message, fix);
    this.name = 'YamllintStoppedError';
  }
}

/** yamllint's verdict on the files is a failure: errors, or warnings under strict. */
export class LintFailedError extends ConfigurationError {
  constructor(message: string) {
    super(message);
    this.name = 'LintFailedError';
  }
}

export function outcomeOf(error: unknown): Outcome {
  if (error instanceof LintFailedError) return 'failed';
  return error instanceof YamllintConfigError ? 'config-error' : 'error';
}
