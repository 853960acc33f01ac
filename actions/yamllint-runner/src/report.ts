/** What the user sees: the verdict, which problems become annotations, the job summary. Pure. */
import { markdownTable } from '@hub-image-actions/action-io';
import { quotedName } from './names.js';
import { countByRule, type Counts, groupByFile, type Problem } from './problems.js';

/** GitHub shows at most this many error and this many warning annotations per step. */
export const ANNOTATIONS_PER_LEVEL = 10;
/** GitHub refuses a step summary over 1 MiB; stay clear of it. */
export const SUMMARY_BUDGET_BYTES = 900 * 1024;

export interface Verdict {
  failed: boolean;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function describeCounts(counts: Counts, hiddenWarnings: boolean): string {
  const warnings = `${plural(counts.warnings, 'warning')}${hiddenWarnings && counts.warnings > 0 ? ' (hidden by no-warnings)' : ''}`;
  if (counts.errors === 0 && counts.warnings === 0) return 'no problems';
  if (counts.warnings === 0) return plural(counts.errors, 'error');
  if (counts.errors === 0) return warnings;
  return `${plural(counts.errors, 'error')} and ${warnings}`;
}

/**
 * yamllint's own verdict: errors fail; warnings fail only with strict, and count under strict even when
 * no-warnings hides them (as `yamllint --strict --no-warnings` exits 2).
 */
export function verdict(found: Counts, options: { strict: boolean }): Verdict {
  return { failed: found.errors > 0 || (options.strict && found.warnings > 0) };
}

/** The code plain yamllint exits with for these problems: 1 for errors, 2 for warnings under --strict, else 0. */
export function plainExitCode(found: Counts, strict: boolean): number {
  if (found.errors > 0) return 1;
  return strict && found.warnings > 0 ? 2 : 0;
}

/** Plain yamllint's exit code in words, for the log: a failed step's own code is always 1. */
export function describePlainExit(code: number): string {
  const meaning: Record<number, string> = {
    0: 'no errors',
    1: 'errors, or a configuration it could not read',
    2: 'warnings, with --strict',
    255: 'an invalid configuration, or a file it could not open',
  };
  return `exits with code ${code}${meaning[code] === undefined ? '' : ` (${meaning[code]})`}`;
}

export interface AnnotationPlan {
  annotated: Problem[];
  errors: { shown: number; total: number };
  warnings: { shown: number; total: number };
  cut: boolean;
}

/**
 * The first problems of each level, in yamllint's order, up to what GitHub displays. A failing step's own
 * failure message is an error annotation too, so it keeps one error slot for it.
 */
export function planAnnotations(problems: readonly Problem[], failing: boolean): AnnotationPlan {
  const errorCap = failing ? ANNOTATIONS_PER_LEVEL - 1 : ANNOTATIONS_PER_LEVEL;
  const annotated: Problem[] = [];
  let errors = 0;
  let warnings = 0;
  let errorTotal = 0;
  for (const problem of problems) {
    if (problem.level === 'error') {
      errorTotal += 1;
      if (errors < errorCap) {
        errors += 1;
        annotated.push(problem);
      }
    } else if (warnings < ANNOTATIONS_PER_LEVEL) {
      warnings += 1;
      annotated.push(problem);
    }
  }
  const warningTotal = problems.length - errorTotal;
  return {
    annotated,
    errors: { shown: errors, total: errorTotal },
    warnings: { shown: warnings, total: warningTotal },
    cut: errors < errorTotal || warnings < warningTotal,
  };
}

export function annotationTitle(problem: Problem): string {
  return `yamllint ${problem.level}${problem.rule === undefined ? '' : ` (${problem.rule})`}`;
}

export function describeCut(plan: AnnotationPlan): string {
  const parts: string[] = [];
  if (plan.errors.shown < plan.errors.total)
    parts.push(`${plan.errors.shown} of ${plan.errors.total} errors`);
  if (plan.warnings.shown < plan.warnings.total)
    parts.push(`${plan.warnings.shown} of ${plan.warnings.total} warnings`);
  return `annotations show the first ${parts.join(' and ')} (GitHub displays at most ${ANNOTATIONS_PER_LEVEL} of each per step)`;
}

/** Why a run over `paths` linted nothing: yamllint's walk found no file its configuration lints. */
export function nothingMatched(paths: readonly string[], configLabel: string): string {
  return (
    `no file matched: yamllint lints no file in ${paths.map((path) => JSON.stringify(path)).join(', ')} (input "paths"); ` +
    `the configuration's "yaml-files" patterns and "ignore" setting decide which files it lints (${configLabel}). ` +
    'Like plain yamllint, this passes with 0 files checked; if files were expected, check "paths" and those two settings'
  );
}

export interface FailureContext {
  verdict: Verdict;
  found: Counts;
  noWarnings: boolean;
  filesWithProblems: number;
  filesChecked: number;
  plan: AnnotationPlan;
  sarifFile: string | undefined;
  /** Set when the job summary was cut to fit GitHub's limit (see `summaryReport`). */
  summaryCut?: SummaryCut | undefined;
  /** The yamllint command that prints every problem, for when neither the summary nor a SARIF file has them all. */
  localCommand: string;
}

export function failureMessage(context: FailureContext): string {
  const strictNote = context.found.errors === 0 ? ' (strict: true fails on warnings)' : '';
  const cut = context.summaryCut;
  const sarif = context.sarifFile === undefined ? undefined : `so does the SARIF file ${context.sarifFile}`;
  const where =
    cut === undefined
      ? ['the job summary and the step log list every problem', sarif]
      : [
          'the step log lists every problem',
          sarif,
          `the job summary lists ${cut.listedProblems} of ${cut.totalProblems} problems, cut to fit GitHub's 1 MiB limit`,
          context.sarifFile === undefined
            ? `for the full list in a file, set "sarif-file" or run \`${context.localCommand}\` in a checkout`
            : undefined,
        ];
  if (context.plan.cut) where.push(describeCut(context.plan));
  return (
    `yamllint found ${describeCounts(context.found, context.noWarnings)} in ${context.filesWithProblems} of ` +
    `${plural(context.filesChecked, 'file')}${strictNote}; ${where.filter((part) => part !== undefined).join('; ')}`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A table cell: HTML-escaped (messages say things like `<stream end>`), pipes and newlines escaped. */
function cell(text: string): string {
  return escapeHtml(text);
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`;
}

export interface SummaryInput {
  verdict: Verdict;
  found: Counts;
  /** The problems shown (warnings removed under no-warnings), in yamllint's order. */
  problems: readonly Problem[];
  noWarnings: boolean;
  /** Files with a problem found, hidden warnings included. */
  filesWithProblems: number;
  /** Files linted to a verdict. */
  filesChecked: number;
  plan: AnnotationPlan;
  /** Facts about the run (yamllint, configuration, files, processes, time), as markdown values. */
  facts: ReadonlyArray<readonly [string, string]>;
  /** Lines shown above the tables, e.g. why changed-only linted everything. */
  notes: readonly string[];
  /** Turns a path as yamllint printed it into the path from the repository root. */
  repoPath: (file: Buffer) => Buffer;
  /** Where every problem is when the summary cannot hold them all. */
  sarifFile: string | undefined;
  localCommand: string;
  /** Set when yamllint stopped without a verdict on some files: what the failure says. */
  stopped?: string | undefined;
  budgetBytes?: number;
}

/** What a job summary cut to fit GitHub's limit left out. */
export interface SummaryCut {
  listedProblems: number;
  totalProblems: number;
  listedFiles: number;
  totalFiles: number;
}

export function summaryMarkdown(input: SummaryInput): string {
  return summaryReport(input).markdown;
}

/** The file sections that fit in `budget` bytes. */
function fileSections(
  input: SummaryInput,
  budget: number,
): { sections: string[]; cut: SummaryCut | undefined } {
  const files = groupByFile(input.problems);
  const open = files.length <= 10 ? ' open' : '';
  const sections: string[] = [];
  let used = 0;
  for (const { file, problems } of files) {
    const counts = describeCounts(
      {
        errors: problems.filter((p) => p.level === 'error').length,
        warnings: problems.filter((p) => p.level === 'warning').length,
      },
      false,
    );
    const section = [
      `<details${open}><summary>${code(quotedName(input.repoPath(file)))}: ${counts}</summary>`,
      '',
      markdownTable(
        ['Line', 'Column', 'Level', 'Rule', 'Message'],
        problems.map((p) => [String(p.line), String(p.column), p.level, p.rule ?? '', cell(p.description)]),
      ),
      '',
      '</details>',
      '',
    ].join('\n');
    const size = Buffer.byteLength(section) + 1;
    if (used + size > budget) break;
    sections.push(section);
    used += size;
  }
  if (sections.length === files.length) return { sections, cut: undefined };
  const listedProblems = files
    .slice(0, sections.length)
    .reduce((sum, group) => sum + group.problems.length, 0);
  return {
    sections,
    cut: {
      listedProblems,
      totalProblems: input.problems.length,
      listedFiles: sections.length,
      totalFiles: files.length,
    },
  };
}

/** The job summary, and what it had to leave out to stay under `budgetBytes` (undefined when it lists everything). */
export function summaryReport(input: SummaryInput): { markdown: string; cut: SummaryCut | undefined } {
  const status = input.stopped !== undefined ? 'stopped' : input.verdict.failed ? 'failed' : 'passed';
  const head: string[] = [
    `### yamllint ${status}: ${describeCounts(input.found, input.noWarnings)} in ${input.filesWithProblems} of ${plural(input.filesChecked, 'file')}${input.stopped !== undefined ? ' linted' : ''}`,
    '',
    ...input.facts.map(([name, value]) => `- **${name}**: ${value}`),
    '',
  ];
  if (input.stopped !== undefined) head.push(`> **${escapeHtml(input.stopped).replace(/\n/g, '<br>')}**`, '');
  for (const note of input.notes) head.push(`> ${escapeHtml(note)}`, '');
  if (input.problems.length === 0) {
    if (input.plan.cut) head.push(`> Note: ${describeCut(input.plan)}.`, '');
    return { markdown: `${head.join('\n')}\n`, cut: undefined };
  }
  const rules = [
    '#### Problems per rule',
    '',
    markdownTable(
      ['Rule', 'Errors', 'Warnings'],
      countByRule(input.problems).map((entry) => [entry.rule, String(entry.errors), String(entry.warnings)]),
    ),
    '',
    '#### Problems per file',
    '',
  ];
  const fullList =
    input.sarifFile === undefined
      ? `${code(input.localCommand)} run in a checkout`
      : `the SARIF file ${code(input.sarifFile)}`;
  // The notes are written last, once the cut is known, but the budget keeps room for them.
  const reserve = 2048 + Buffer.byteLength(fullList) + Buffer.byteLength(input.localCommand);
  const budget =
    (input.budgetBytes ?? SUMMARY_BUDGET_BYTES) - Buffer.byteLength([...head, ...rules].join('\n')) - reserve;
  const { sections, cut } = fileSections(input, Math.max(0, budget));
  const where =
    cut === undefined
      ? 'Every problem is listed below.'
      : `The first ${cut.listedProblems} of ${cut.totalProblems} problems are listed below; the step log and ${fullList} list them all.`;
  if (input.plan.cut) head.push(`> Note: ${describeCut(input.plan)}. ${where}`, '');
  else if (cut !== undefined) head.push(`> Note: ${where}`, '');
  const tail: string[] = [];
  if (cut !== undefined) {
    const restProblems = cut.totalProblems - cut.listedProblems;
    tail.push(
      `> Note: ${plural(restProblems, 'more problem')} in ${plural(cut.totalFiles - cut.listedFiles, 'more file')} do not fit in a job ` +
        `summary (GitHub's limit is 1 MiB); the step log and ${fullList} list every problem.`,
      '',
    );
  }
  return { markdown: `${[...head, ...rules, ...sections, ...tail].join('\n')}\n`, cut };
}
