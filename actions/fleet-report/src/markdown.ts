import { markdownTable } from '@hub-image-actions/action-io';
import type { Behind, Newest } from './facts.js';
import { PROBLEM_TITLES, type Cell, type Problem, type Report, type Row } from './report.js';

// The report as people read it: the job summary's table, the problem list with the fix of each, and the issue.

const code = (text: string) => `\`${text}\``;

/** Short image names for the table: the last path component, unless two images share it. */
export function displayNames(images: Iterable<string>): Map<string, string> {
  const all = [...new Set(images)];
  const last = (image: string) => image.slice(image.lastIndexOf('/') + 1);
  const path = (image: string) => image.slice(image.indexOf('/') + 1);
  const names = new Map<string, string>();
  for (const image of all) {
    const clash = all.some((other) => other !== image && last(other) === last(image));
    names.set(image, clash ? path(image) : last(image));
  }
  return names;
}

function cellText(cell: Cell | undefined, row: Row, first: boolean): string {
  if (cell === undefined) return '—';
  let text = cell.digest === undefined ? code(cell.tag) : code(`@${cell.digest.slice(0, 19)}…`);
  if (cell.overridden) text += ' (override)';
  if (cell.exists === false && !/^placeholder$/i.test(cell.tag)) text += ' **missing**';
  if (cell.exists === undefined) text += ' ?';
  if (first && row.drift !== undefined) {
    const since = row.drift.since ?? row.drift.atLeastSince;
    if (since !== undefined)
      text += ` since ${since.slice(0, 10)}${row.drift.since === undefined ? ' or earlier' : ''}`;
  }
  return text;
}

function newestText(newest: Newest | undefined): string {
  if (newest === undefined) return '—';
  switch (newest.kind) {
    case 'found':
      return `${code(newest.tag)}${newest.date === undefined ? '' : ` (${newest.date.slice(0, 10)})`}`;
    case 'none':
      return '—';
    case 'unknown':
      return '?';
  }
}

function behindText(behind: Behind | undefined, cell: Cell | undefined): string {
  if (cell === undefined || behind === undefined) return '—';
  return 'commits' in behind ? String(behind.commits) : '?';
}

function problemsText(row: Row): string {
  return [...new Set(row.problems.map((problem) => PROBLEM_TITLES[problem.kind]))].join(', ');
}

export function fleetTable(report: Report, rows: readonly Row[] = report.rows): string {
  const names = displayNames(rows.map((row) => row.image));
  const behindHeader = `Commits behind (${report.branches.join(' / ')})`;
  const headers = [
    'Hub',
    'Image',
    ...report.branches,
    'Newest pushed',
    behindHeader,
    'Open bump PR',
    'Problems',
  ];
  const lines = rows.map((row) => [
    row.key === 'jupyterhub.singleuser.image' || row.legacy ? row.hub : `${row.hub} (${row.key})`,
    names.get(row.image) ?? row.image,
    ...row.cells.map((cell, index) => cellText(cell, row, index === 0)),
    newestText(row.newest),
    row.cells.every((cell) => cell === undefined)
      ? '—'
      : row.cells.map((cell) => behindText(cell?.behind, cell)).join(' / '),
    row.bumpPull === undefined
      ? '—'
      : `[#${row.bumpPull.number}](${row.bumpPull.url})${row.bumpPull.tag === undefined ? '' : ` → ${code(row.bumpPull.tag)}`}`,
    problemsText(row),
  ]);
  return markdownTable(headers, lines);
}

export function headline(report: Report): string {
  const others = report.problems.length - report.broken;
  const verdict =
    report.problems.length === 0
      ? 'no problem'
      : `${report.broken > 0 ? `**${report.broken} broken**` : '0 broken'}, ${others} other problem${others === 1 ? '' : 's'}`;
  return `${verdict} in ${report.hubs} hub${report.hubs === 1 ? '' : 's'} and ${report.images} image${report.images === 1 ? '' : 's'}`;
}

export function problemLine(problem: Problem): string {
  const where =
    problem.file === undefined
      ? ''
      : ` ${code(`${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}`)}`;
  const branches = problem.branches.length > 0 ? ` (${problem.branches.join(', ')})` : '';
  const severity = problem.severity === 'broken' ? ' **broken**' : '';
  return `- **${PROBLEM_TITLES[problem.kind]}**${severity}${where}${branches}: ${problem.message}. ${problem.fix}.`;
}

export interface SummaryFacts {
  repo: string;
  branches: Array<{ name: string; sha: string }>;
  images: Array<{ image: string; tags: number | undefined; repo: string | undefined }>;
  notes: string[];
}

export function summaryMarkdown(report: Report, facts: SummaryFacts): string {
  const branches = facts.branches.map((branch) => `${code(branch.name)} at ${code(branch.sha.slice(0, 12))}`);
  const parts = [
    '## Fleet report',
    `${facts.repo} (${branches.join(', ')}): ${headline(report)}.`,
    fleetTable(report),
  ];
  if (report.problems.length > 0)
    parts.push('### Problems, most severe first', report.problems.map(problemLine).join('\n'));
  if (report.unknown.length > 0) {
    parts.push(
      '### Not known',
      report.unknown.map(({ image, why }) => `- ${code(image)}: ${why}`).join('\n'),
    );
  }
  const names = displayNames(facts.images.map((entry) => entry.image));
  parts.push(
    '<details><summary>Images</summary>\n\n' +
      markdownTable(
        ['Image', 'Name', 'Tags in the registry', 'Image repo'],
        facts.images.map((entry) => [
          names.get(entry.image) ?? entry.image,
          code(entry.image),
          entry.tags === undefined ? '?' : String(entry.tags),
          entry.repo ?? '—',
        ]),
      ) +
      '\n\n</details>',
  );
  if (facts.notes.length > 0) parts.push(facts.notes.map((note) => `- ${note}`).join('\n'));
  return `${parts.join('\n\n')}\n`;
}

/** Finds the report's issue again, whatever its title. */
export const ISSUE_MARKER = '<!-- hub-image-actions fleet-report -->';
/** GitHub refuses an issue body longer than this. */
export const MAX_ISSUE_BODY = 65_536;

/** The issue's text without the line that changes every run, so that an unchanged report leaves the issue alone. */
export function issueContent(report: Report, repo: string): string {
  const withProblems = report.rows.filter((row) => row.problems.length > 0);
  const intro = `${repo}: ${headline(report)}. Updated by the fleet-report action; closed when no problem remains.`;
  const list = report.problems.map(problemLine);
  const budget = MAX_ISSUE_BODY - 2_000;
  let table = fleetTable(report, withProblems);
  let shownRows = withProblems.length;
  while (table.length > budget / 2 && shownRows > 0) {
    shownRows = Math.floor(shownRows / 2);
    table = fleetTable(report, withProblems.slice(0, shownRows));
  }
  if (shownRows < withProblems.length)
    table += `\n\n… and ${withProblems.length - shownRows} more rows with problems (see the run's job summary).`;
  let problems = '';
  let kept = 0;
  for (const line of list) {
    if (intro.length + table.length + problems.length + line.length > budget) break;
    problems += `${line}\n`;
    kept += 1;
  }
  if (kept < list.length) problems += `- … and ${list.length - kept} more (see the run's job summary)\n`;
  return [intro, table, '### Problems, most severe first', problems.trimEnd()].join('\n\n');
}

export function issueBody(content: string, runUrl: string | undefined): string {
  const footer = runUrl === undefined ? '' : `\n\n<sub>Last changed by [this run](${runUrl}).</sub>`;
  return `${content}${footer}\n\n${ISSUE_MARKER}`;
}

/** The content part of an issue body this action wrote (the footer and marker removed). */
export function contentOf(body: string): string {
  return body
    .replace(`\n\n${ISSUE_MARKER}`, '')
    .replace(/\n\n<sub>Last changed by \[this run\]\([^)]*\)\.<\/sub>$/, '');
}
