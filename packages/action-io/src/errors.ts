/**
 * A mistake the user can fix: a bad input, a missing file, a permission the registry refused.
 * The boundary prints its message without a stack trace; anything else is treated as a bug.
 */
export class ConfigurationError extends Error {
  constructor(
    message: string,
    /** What the user should do about it, printed after the message. */
    readonly fix?: string,
  ) {
    super(fix === undefined ? message : `${message}. ${fix}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * The step was cancelled, and the action says what it undid. The boundary reports this message instead of its own
 * "was cancelled" line; any other error a cancelled run ends with is a consequence of the cancel, not news.
 */
export class CancelledError extends ConfigurationError {
  constructor(
    readonly signalName: NodeJS.Signals,
    message: string,
    fix?: string,
  ) {
    super(message, fix);
    this.name = 'CancelledError';
  }
}

/** What to do when a check has no more specific advice: where the value is set. */
function defaultFix(input: string): string {
  return `Fix "${input}" in the step's \`with:\` (or the workflow input that feeds it), then run again`;
}

/** One input that failed validation. The value is never shown for secret inputs. */
export class InputError extends ConfigurationError {
  constructor(
    readonly input: string,
    readonly value: string | undefined,
    readonly expected: string,
    fix?: string,
  ) {
    super(
      `input "${input}"${value === undefined ? '' : ` is ${JSON.stringify(value)}:`} ${expected}`,
      fix ?? defaultFix(input),
    );
    this.name = 'InputError';
  }
}

/** Every input problem found in one pass, so the user fixes them all in one go. */
export class InputErrors extends ConfigurationError {
  constructor(readonly errors: readonly InputError[]) {
    super(
      errors.length === 1
        ? (errors[0]?.message ?? '')
        : `${errors.length} inputs are invalid:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`,
    );
    this.name = 'InputErrors';
  }
}
