import { InputError, InputErrors } from './errors.js';
import { maskSecret } from './mask.js';

/** Where raw input values come from: the runner passes `with:` values as INPUT_<NAME> variables. */
export type InputSource = (name: string) => string | undefined;

export const runnerInputs: InputSource = (name) =>
  process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];

export function inputsFrom(values: Record<string, string>): InputSource {
  return (name) => values[name];
}

/** The one rule for case: keywords (true/false, choices, words like `auto`) match whatever their case. */
function sameKeyword(value: string, keyword: string): boolean {
  return value.toLowerCase() === keyword.toLowerCase();
}

/**
 * Reads and validates inputs, collecting every problem before reporting any. Each reader returns a
 * usable fallback after a problem so reading can go on; `finish()` then throws all problems at once.
 * Keywords are case-insensitive everywhere: `boolean` takes `true`, `True`, `TRUE`, `tRUE`; `choice` and
 * `keyword` return the keyword as declared, e.g. `auto` for `AUTO`.
 */
export class InputReader {
  private readonly problems: InputError[] = [];

  constructor(private readonly source: InputSource = runnerInputs) {}

  private raw(name: string): string {
    return (this.source(name) ?? '').trim();
  }

  private problem(error: InputError): void {
    this.problems.push(error);
  }

  /** A required string; empty is a problem, and undefined is returned so later checks skip it. */
  required(name: string, expected: string): string | undefined {
    const value = this.raw(name);
    if (value !== '') return value;
    this.problem(new InputError(name, undefined, `is required: ${expected}`));
    return undefined;
  }

  /** True when the input is set to whitespace only: given, though it reads as empty. */
  blank(name: string): boolean {
    const value = this.source(name) ?? '';
    return value !== '' && value.trim() === '';
  }

  /** An optional string; undefined when empty. */
  optional(name: string): string | undefined {
    const value = this.raw(name);
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  /** A secret: masked as soon as it is read, and never echoed in an error. */
  secret(name: string): string | undefined {
    const value = this.source(name) ?? '';
    if (value.trim() === '') return undefined;
    maskSecret(value);
    return value.trim();
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === '') return fallback;
    if (sameKeyword(value, 'true')) return true;
    if (sameKeyword(value, 'false')) return false;
    this.problem(new InputError(name, value, 'expected true or false'));
    return fallback;
  }

  /** A whole number in `range`; `advice` replaces the default wording of the problem, e.g. to name a keyword. */
  integer(
    name: string,
    fallback: number,
    range: { min: number; max: number },
    advice: { expected?: string; fix?: string } = {},
  ): number {
    const value = this.raw(name);
    if (value === '') return fallback;
    const parsed = /^-?[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < range.min || parsed > range.max) {
      const expected = advice.expected ?? `expected a whole number from ${range.min} to ${range.max}`;
      this.problem(new InputError(name, value, expected, advice.fix));
      return fallback;
    }
    return parsed;
  }

  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === '') return fallback;
    const chosen = choices.find((choice) => sameKeyword(value, choice));
    if (chosen !== undefined) return chosen;
    this.problem(
      new InputError(name, value, `expected one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`),
    );
    return fallback;
  }

  /**
   * One of `keywords` when the input is one (in any case), as declared; undefined otherwise, with no problem
   * recorded, so the caller reads the value another way (e.g. `auto` or a number).
   */
  keyword<T extends string>(name: string, keywords: readonly T[]): T | undefined {
    const value = this.raw(name);
    return keywords.find((keyword) => sameKeyword(value, keyword));
  }

  /** Items separated by newlines or commas; blank items and `#` comment lines are dropped. */
  list(name: string, separators: 'newline' | 'newline-or-comma' = 'newline-or-comma'): string[] {
    const value = this.source(name) ?? '';
    const lines = value.split(/\r?\n/).filter((line) => !line.trim().startsWith('#'));
    const items = separators === 'newline' ? lines : lines.flatMap((line) => line.split(','));
    return items.map((item) => item.trim()).filter((item) => item !== '');
  }

  /**
   * A command line, one argument per line, exactly as written: a line starting with `#` is an argument like any
   * other (no comments), and nothing is trimmed but a line's `\r`. Only empty lines are left out.
   */
  argv(name: string): string[] {
    const value = this.source(name) ?? '';
    return value
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line !== '');
  }

  /** `key=value` lines, e.g. labels or build args. The value may contain "=". */
  keyValues(name: string): Array<[string, string]> {
    const pairs: Array<[string, string]> = [];
    for (const line of this.list(name, 'newline')) {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        this.problem(new InputError(name, line, 'expected one KEY=VALUE per line'));
        continue;
      }
      pairs.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
    }
    return pairs;
  }

  /**
   * Runs a validator over a value already read; an exception becomes a problem naming the input.
   * Returns undefined when the value is undefined or invalid.
   */
  check<T>(
    name: string,
    value: string | undefined,
    validate: (value: string) => T,
    fix?: string,
  ): T | undefined {
    if (value === undefined) return undefined;
    try {
      return validate(value);
    } catch (error) {
      // A validator that names the input itself (e.g. workspacePath) is taken as it is.
      if (error instanceof InputError) this.problem(error);
      else
        this.problem(
          new InputError(name, value, error instanceof Error ? error.message : String(error), fix),
        );
      return undefined;
    }
  }

  /** Records a problem found by a check across inputs (e.g. two that conflict). */
  reject(name: string, value: string | undefined, expected: string, fix?: string): void {
    this.problem(new InputError(name, value, expected, fix));
  }

  /** Throws every problem found so far; call once, before any side effect. */
  finish(): void {
    if (this.problems.length > 0) throw new InputErrors(this.problems);
  }
}
