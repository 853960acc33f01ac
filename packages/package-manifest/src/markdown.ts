import {
  emptyCounts,
  type ChangeCounts,
  type ChangeKind,
  type DiffGroup,
  type ManifestDiff,
  type PackageChange,
} from './diff.js';
import { formatBytes } from './file-view.js';
import type { Ecosystem } from './versions.js';

/** GitHub's limits: a PR body or comment holds 65,536 characters, a job summary 1 MiB. */
export const PR_BODY_LIMIT = 65_536;
export const JOB_SUMMARY_LIMIT = 1024 * 1024;

export interface MarkdownOptions {
  /** The heading, e.g. "What this PR changes in the image". */
  title?: string;
  /** Heading level of the title, 2 or 3. Default 3. */
  headingLevel?: 2 | 3;
  /**
   * The most UTF-8 bytes the Markdown may take (a UTF-16 character count is never larger, so it bounds both).
   * Default 60,000: a PR body with room for the rest of its text.
   */
  maxBytes?: number;
  /** Where the full diff is, named when something is left out, e.g. "`packages-diff.json` (the job's artifact)". */
  fullDiffLocation?: string;
  /** Major changes listed by name up front. Default 50. */
  maxMajorListed?: number;
}

export interface RenderedMarkdown {
  markdown: string;
  /** Changes not shown in a table because of the length limit. */
  omittedChanges: number;
}

const MANAGER_LABEL: Record<Ecosystem, string> = {
  runtime: 'Runtimes',
  conda: 'conda',
  pip: 'pip',
  dpkg: 'Debian packages',
  r: 'R',
  jupyterlab: 'JupyterLab extensions',
};

const KIND_LABEL: Record<ChangeKind, string> = {
  upgraded: 'upgraded',
  downgraded: 'downgraded',
  added: 'added',
  removed: 'removed',
  changed: 'rebuilt',
};

const KINDS: ChangeKind[] = ['upgraded', 'downgraded', 'added', 'removed', 'changed'];

// toLocaleString is slow when called thousands of times.
const number = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const bytesOf = (text: string) => Buffer.byteLength(text, 'utf8');

/** Table cells and HTML summaries: no pipes, no markup, no line breaks. */
function cell(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[\r\n]+/g, ' ');
}

function code(text: string): string {
  return `<code>${cell(text)}</code>`;
}

function groupCounts(group: DiffGroup): ChangeCounts {
  const counts = emptyCounts();
  for (const change of group.changes) {
    counts[change.kind] += 1;
    counts.total += 1;
    if (change.major) counts.major += 1;
  }
  return counts;
}

/** `4 upgraded (1 major), 1 added`: counts per kind, major changes counted with their kind. */
function countsText(changes: readonly PackageChange[]): string {
  return KINDS.flatMap((kind) => {
    const ofKind = changes.filter((change) => change.kind === kind);
    if (ofKind.length === 0) return [];
    const major = ofKind.filter((change) => change.major).length;
    return [`${number(ofKind.length)} ${KIND_LABEL[kind]}${major > 0 ? ` (${number(major)} major)` : ''}`];
  }).join(', ');
}

const allChanges = (diff: ManifestDiff) => diff.groups.flatMap((group) => group.changes);

function sizeDelta(before: number, after: number): string {
  const delta = after - before;
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  const percent = before > 0 ? ` (${sign}${Math.abs((delta / before) * 100).toFixed(1)}%)` : '';
  return `${formatBytes(before)} → ${formatBytes(after)}, ${sign}${formatBytes(Math.abs(delta))}${percent}`;
}

export function sizeLine(diff: ManifestDiff): string | undefined {
  const parts: string[] = [];
  if (diff.size?.compressed)
    parts.push(`compressed ${sizeDelta(diff.size.compressed.before, diff.size.compressed.after)}`);
  if (diff.size?.uncompressed) {
    parts.push(`uncompressed ${sizeDelta(diff.size.uncompressed.before, diff.size.uncompressed.after)}`);
  }
  return parts.length === 0 ? undefined : `Image size: ${parts.join('; ')}`;
}

function changeRow(change: PackageChange): string {
  const kind = change.major ? `**${KIND_LABEL[change.kind]} (major)**` : KIND_LABEL[change.kind];
  const note = change.detail ? ` (${cell(change.detail)})` : '';
  return `| ${cell(change.name)} | ${kind}${note} | ${cell(change.before ?? '')} | ${cell(change.after ?? '')} |\n`;
}

function groupTitle(group: DiffGroup): string {
  return group.manager === 'runtime' || group.manager === 'dpkg'
    ? `<b>${MANAGER_LABEL[group.manager]}</b>`
    : `<b>${MANAGER_LABEL[group.manager]}</b> ${code(group.environment)}`;
}

const TABLE_HEAD = '| Package | Change | Before | After |\n| --- | --- | --- | --- |\n';

/**
 * The diff as Markdown that stays readable at thousands of changes: counts first, major changes named, one collapsed
 * section per package manager and environment, the size change, and never more than `maxBytes`: what does not fit is
 * counted and the full diff's location named.
 */
export function renderDiffMarkdown(diff: ManifestDiff, options: MarkdownOptions = {}): RenderedMarkdown {
  const maxBytes = options.maxBytes ?? 60_000;
  const hashes = '#'.repeat(options.headingLevel ?? 3);
  const head: string[] = [];
  if (options.title) head.push(`${hashes} ${options.title}\n\n`);
  const size = sizeLine(diff);
  if (diff.counts.total === 0) {
    head.push('No package changes.\n');
    if (size) head.push(`\n${size}\n`);
  } else {
    head.push(`**${number(diff.counts.total)} package changes**: ${countsText(allChanges(diff))}\n`);
    if (size) head.push(`\n${size}\n`);
    head.push('\n| Package manager | Environment | Upgraded | Downgraded | Added | Removed | Rebuilt |\n');
    head.push('| --- | --- | ---: | ---: | ---: | ---: | ---: |\n');
    for (const group of diff.groups) {
      const counts = groupCounts(group);
      const upgraded =
        counts.major > 0
          ? `${number(counts.upgraded)} (${number(counts.major)} major)`
          : number(counts.upgraded);
      const environment =
        group.manager === 'runtime' || group.manager === 'dpkg' ? '' : code(group.environment);
      head.push(
        `| ${MANAGER_LABEL[group.manager]} | ${environment} | ${upgraded} | ${number(counts.downgraded)} | ${number(counts.added)} | ${number(counts.removed)} | ${number(counts.changed)} |\n`,
      );
    }
    const majors = diff.groups.flatMap((group) =>
      group.changes.filter((c) => c.major).map((change) => ({ group, change })),
    );
    if (majors.length > 0) {
      const listed = majors.slice(0, options.maxMajorListed ?? 50);
      head.push(`\n**Major version changes** (${number(majors.length)}):\n\n`);
      for (const { group, change } of listed) {
        head.push(
          `- **${cell(change.name)}** ${cell(change.before ?? '')} → ${cell(change.after ?? '')} (${MANAGER_LABEL[group.manager]}${group.manager === 'runtime' || group.manager === 'dpkg' ? '' : ` ${code(group.environment)}`})\n`,
        );
      }
      if (majors.length > listed.length)
        head.push(`- … and ${number(majors.length - listed.length)} more in the sections below\n`);
    }
  }

  const tail: string[] = [];
  if (diff.warnings.length > 0) {
    tail.push(
      `\n<details><summary>${number(diff.warnings.length)} warnings while reading the images</summary>\n\n`,
    );
    for (const warning of diff.warnings.slice(0, 20)) tail.push(`- ${cell(warning)}\n`);
    if (diff.warnings.length > 20) tail.push(`- … and ${number(diff.warnings.length - 20)} more\n`);
    tail.push('\n</details>\n');
  }

  const out: string[] = [...head];
  let used = bytesOf(out.join(''));
  const tailText = tail.join('');
  // Room for the note on what was left out.
  const reserve = bytesOf(tailText) + 400 + bytesOf(options.fullDiffLocation ?? '');
  let omitted = 0;
  let omittedGroups = 0;
  for (const group of diff.groups) {
    const open = `\n<details><summary>${groupTitle(group)}: ${countsText(group.changes)}</summary>\n\n${TABLE_HEAD}`;
    const close = '\n</details>\n';
    if (omitted > 0 || used + bytesOf(open) + bytesOf(close) + reserve > maxBytes) {
      omitted += group.changes.length;
      omittedGroups += 1;
      continue;
    }
    const rows: string[] = [open];
    let sectionBytes = bytesOf(open);
    const moreRow = (count: number) => `| … ${number(count)} more not shown | | | |\n`;
    const closeBytes = bytesOf(close);
    for (const change of group.changes) {
      const row = changeRow(change);
      const rowBytes = bytesOf(row);
      const more = bytesOf(moreRow(group.changes.length - rows.length + 1));
      if (used + sectionBytes + rowBytes + more + closeBytes + reserve > maxBytes) break;
      rows.push(row);
      sectionBytes += rowBytes;
    }
    const shown = rows.length - 1;
    if (shown < group.changes.length) {
      rows.push(moreRow(group.changes.length - shown));
      omitted += group.changes.length - shown;
    }
    let section = rows.join('');
    section += close;
    out.push(section);
    used += bytesOf(section);
  }
  if (omitted > 0) {
    const where = options.fullDiffLocation ? ` The full diff is in ${options.fullDiffLocation}.` : '';
    const groups = omittedGroups > 0 ? ` (${number(omittedGroups)} sections left out whole)` : '';
    out.push(
      `\n> [!NOTE]\n> ${number(omitted)} changes are not listed here: the text is limited to ${number(maxBytes)} bytes${groups}.${where}\n`,
    );
  }
  out.push(tailText);
  let markdown = out.join('');
  if (bytesOf(markdown) > maxBytes) {
    // Only a very small limit gets here: cut plainly rather than exceed it.
    markdown = Buffer.from(markdown)
      .subarray(0, Math.max(0, maxBytes - 4))
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    markdown += '\n…\n';
    if (bytesOf(markdown) > maxBytes) markdown = markdown.slice(0, maxBytes);
  }
  return { markdown, omittedChanges: omitted };
}

/** One line for a log: `packages: 3 upgraded (1 major), 1 added; image +12.0 MiB compressed`. */
export function summarizeDiff(diff: ManifestDiff): string {
  const counts = countsText(allChanges(diff));
  let line = `packages: ${counts === '' ? 'no changes' : counts}`;
  const sizes: string[] = [];
  for (const kind of ['compressed', 'uncompressed'] as const) {
    const size = diff.size?.[kind];
    if (size === undefined) continue;
    const delta = size.after - size.before;
    sizes.push(`${delta >= 0 ? '+' : '−'}${formatBytes(Math.abs(delta))} ${kind}`);
  }
  if (sizes.length > 0) line += `; image ${sizes.join(', ')}`;
  return line;
}
