/** yamllint's parsable output, read back into problems, and the counts the report is made of. Pure. */

export type Level = 'error' | 'warning';

export interface Problem {
  /** The path exactly as yamllint printed it (e.g. `./deployments/a.yaml`). */
  file: string;
  line: number;
  column: number;
  level: Level;
  /** The description without the rule suffix, e.g. `too many spaces after colon`. */
  description: string;
  /** `colons`, `syntax` for syntax errors, or undefined when yamllint named none. */
  rule: string | undefined;
  /** The line yamllint printed, kept for the log. */
  raw: string;
}

/** Thrown when yamllint prints something that is not a parsable problem line: a different format or a bug. */
export class UnexpectedOutputError extends Error {
  constructor(readonly line: string) {
    super(`yamllint printed a line that is not in its parsable format: ${JSON.stringify(line)}`);
    this.name = 'UnexpectedOutputError';
  }
}

const LOCATION = /:([0-9]+):([0-9]+): \[(error|warning)\] /g;
const RULE_SUFFIX = / \(([a-z][a-z0-9-]*)\)$/;

/**
 * Parses `file:line:col: [level] message` lines. File names may contain colons and spaces, so the file is
 * the longest prefix that is one of `files` (the paths this yamllint process was given); messages end with
 * ` (rule)` when a rule reported them (syntax errors end with ` (syntax)`).
 */
export function parseParsable(output: string, files: ReadonlySet<string>): Problem[] {
  const problems: Problem[] = [];
  for (const raw of output.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') continue;
    problems.push(parseLine(line, files));
  }
  return problems;
}

function parseLine(line: string, files: ReadonlySet<string>): Problem {
  for (const match of line.matchAll(LOCATION)) {
    const file = line.slice(0, match.index);
    if (!files.has(file)) continue;
    const message = line.slice(match.index + match[0].length);
    const rule = RULE_SUFFIX.exec(message);
    return {
      file,
      line: Number(match[1]),
      column: Number(match[2]),
      level: match[3] as Level,
      description: rule === null ? message : message.slice(0, rule.index),
      rule: rule?.[1],
      raw: line,
    };
  }
  throw new UnexpectedOutputError(line);
}

export interface Counts {
  errors: number;
  warnings: number;
}

export function countLevels(problems: readonly Problem[]): Counts {
  let errors = 0;
  for (const problem of problems) if (problem.level === 'error') errors += 1;
  return { errors, warnings: problems.length - errors };
}

export interface RuleCount {
  rule: string;
  errors: number;
  warnings: number;
}

/** Problems per rule, most frequent first, then by name. */
export function countByRule(problems: readonly Problem[]): RuleCount[] {
  const byRule = new Map<string, RuleCount>();
  for (const problem of problems) {
    const rule = problem.rule ?? '(none)';
    const entry = byRule.get(rule) ?? { rule, errors: 0, warnings: 0 };
    if (problem.level === 'error') entry.errors += 1;
    else entry.warnings += 1;
    byRule.set(rule, entry);
  }
  return [...byRule.values()].sort(
    (a, b) => b.errors + b.warnings - (a.errors + a.warnings) || a.rule.localeCompare(b.rule),
  );
}

/** Problems grouped by file, files in the order yamllint reported them. */
export function groupByFile(problems: readonly Problem[]): Array<{ file: string; problems: Problem[] }> {
  const groups = new Map<string, Problem[]>();
  for (const problem of problems) {
    const list = groups.get(problem.file);
    if (list === undefined) groups.set(problem.file, [problem]);
    else list.push(problem);
  }
  return [...groups].map(([file, list]) => ({ file, problems: list }));
}
