/** yamllint's parsable output, read back into problems, and the counts the report is made of. Pure. */
import { nameKey } from './names.js';

export type Level = 'error' | 'warning';

export interface Problem {
  /** The path exactly as yamllint printed it (e.g. `./deployments/a.yaml`): bytes, see names.ts. */
  file: Buffer;
  line: number;
  column: number;
  level: Level;
  /** The description without the rule suffix, e.g. `too many spaces after colon`. */
  description: string;
  /** `colons`, `syntax` for syntax errors, or undefined when yamllint named none. */
  rule: string | undefined;
  /** What yamllint printed for it (without the final newline), kept for the log. */
  raw: Buffer;
}

/** Thrown when yamllint prints something that is not a parsable problem of the files it was given. */
export class UnexpectedOutputError extends Error {
  constructor(readonly record: Buffer) {
    super(
      `yamllint printed a line that is not in its parsable format: ${JSON.stringify(record.toString('utf8'))}`,
    );
    this.name = 'UnexpectedOutputError';
  }
}

const LOCATION = /:([0-9]+):([0-9]+): \[(error|warning)\] /y;
const RULE_SUFFIX = / \(([a-z][a-z0-9-]*)\)$/;

/**
 * Reads the records of `yamllint -f parsable` (one per problem, whole: see driver.ts), given the files that
 * yamllint process was given, in their order. yamllint lints them in that order, so a record belongs to the file
 * of the previous record or a later one. A file name may contain colons, spaces, newlines, even the location
 * pattern (`a.yaml:1:1: [error] x.yaml`), so among the files from there on that the record starts with, followed
 * by a location, the longest is the one: a description never starts with text from the file, so a shorter
 * name that fits is only a prefix of the real one.
 */
export function parseParsable(records: readonly Buffer[], files: readonly Buffer[]): Problem[] {
  const positions = new Map<string, number[]>();
  files.forEach((file, index) => {
    const key = nameKey(file);
    const list = positions.get(key);
    if (list === undefined) positions.set(key, [index]);
    else list.push(index);
  });
  let cursor = 0;
  return records.map((record) => {
    const text = nameKey(record);
    let best: { index: number; match: RegExpExecArray } | undefined;
    // Every colon may start the location, even one inside an earlier candidate's location.
    for (let colon = text.indexOf(':'); colon >= 0; colon = text.indexOf(':', colon + 1)) {
      LOCATION.lastIndex = colon;
      const match = LOCATION.exec(text);
      if (match === null) continue;
      const index = positions.get(text.slice(0, colon))?.find((position) => position >= cursor);
      if (index !== undefined) best = { index, match };
    }
    if (best === undefined) throw new UnexpectedOutputError(record);
    cursor = best.index;
    const { match } = best;
    const file = record.subarray(0, match.index);
    const message = record.subarray(match.index + match[0].length).toString('utf8');
    const rule = RULE_SUFFIX.exec(message);
    return {
      file,
      line: Number(match[1]),
      column: Number(match[2]),
      level: match[3] as Level,
      description: rule === null ? message : message.slice(0, rule.index),
      rule: rule?.[1],
      raw: record,
    };
  });
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
export function groupByFile(problems: readonly Problem[]): Array<{ file: Buffer; problems: Problem[] }> {
  const groups = new Map<string, { file: Buffer; problems: Problem[] }>();
  for (const problem of problems) {
    const key = nameKey(problem.file);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { file: problem.file, problems: [problem] });
    else group.problems.push(problem);
  }
  return [...groups.values()];
}
