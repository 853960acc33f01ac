// The job summary: what was built or reused and why, how long it took, how big it is, what the cache gave,
// what the tests said, and which tools did it. A pure function of the report, so it is tested as text.
import { formatBytes, formatDuration } from '@hub-image-actions/action-io';
import type { DiskReading, Removal } from './disk.js';
import type { PackagesReport } from './packages.js';
import type { SuiteResult } from './tests.js';

export interface CacheReport {
  /** Images the build could take layers from. */
  images: string[];
  /** Why there are none, when there are none. */
  noneBecause?: string;
  steps?: number;
  cachedSteps?: number;
  layers?: number;
  layersFromCache?: number;
}

export interface Report {
  imageRef: string;
  additionalTags: string[];
  outcome: 'built' | 'reused' | 'failed';
  why: string;
  durationMs: number;
  digest?: string;
  imageId?: string;
  size?: { bytes: number; layers: number; compressed: boolean };
  cache?: CacheReport;
  tests: { outcome: 'passed' | 'failed' | 'skipped'; suites: SuiteResult[]; skippedBecause?: string };
  versions: { repo2docker?: string; docker?: string; buildx?: string };
  inputsHash?: string;
  /** Files repo2docker reads or executes that the inputs hash covers although the build does not copy them. */
  hashedAlso?: string[];
  tagsToPush: string[];
  disk: { before: DiskReading[]; after: DiskReading[]; removals: Removal[] };
  failure?: { title: string; lines: string[] };
  warnings: string[];
  /** What the image contains against the image it replaces. */
  packages?: PackagesReport;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

function block(lines: readonly string[]): string {
  const text = lines.join('\n');
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${text}\n${fence}`;
}

function diskLine(before: readonly DiskReading[], after: readonly DiskReading[]): string {
  return before
    .map((reading) => {
      const later = after.find((a) => a.path === reading.path);
      const fmt = (free: number | undefined) => (free === undefined ? 'unknown' : formatBytes(free));
      return `${reading.label} (${code(reading.path)}): ${fmt(reading.free)} free before, ${fmt(later?.free)} after`;
    })
    .join('<br>');
}

function cacheLine(cache: CacheReport | undefined): string {
  if (cache === undefined) return 'not used';
  if (cache.images.length === 0) return `no cache image: ${cache.noneBecause ?? 'none found'}`;
  const parts: string[] = [];
  if (cache.layers !== undefined && cache.layersFromCache !== undefined) {
    parts.push(
      `${cache.layersFromCache} of ${cache.layers} layers taken from the cache images (base layers included)`,
    );
  }
  if (cache.steps !== undefined && cache.cachedSteps !== undefined && cache.steps > 0) {
    parts.push(`${cache.cachedSteps} of ${cache.steps} build steps cached`);
  }
  parts.push(`from ${cache.images.map(code).join(', ')}`);
  return parts.join('; ');
}

function testsLine(tests: Report['tests']): string {
  if (tests.suites.length === 0) return `skipped: ${tests.skippedBecause ?? 'nothing to run'}`;
  return tests.suites
    .map(
      (s) =>
        `${s.suite}: **${s.passed ? 'passed' : 'failed'}** (${formatDuration(s.durationMs)}), ${s.detail}`,
    )
    .join('<br>');
}

export function renderSummary(report: Report): string {
  const outcome =
    report.outcome === 'built'
      ? report.tests.outcome === 'failed'
        ? `**Built, but the tests failed**, so nothing may be pushed. Built because ${report.why}`
        : `**Built**: ${report.why}`
      : report.outcome === 'reused'
        ? `**Reused** ${code(report.digest ?? '')}: ${report.why}`
        : `**Failed**: ${report.why}`;
  const rows: Array<[string, string]> = [
    ['Image', [report.imageRef, ...report.additionalTags.map((t) => `:${t}`)].map(code).join(' ')],
    ['Result', outcome],
    ['Duration', formatDuration(report.durationMs)],
  ];
  if (report.size !== undefined) {
    rows.push([
      'Size',
      `${formatBytes(report.size.bytes)}${report.size.compressed ? ' compressed, in the registry' : ''}, ${report.size.layers} layers`,
    ]);
  }
  if (report.outcome !== 'reused') rows.push(['Layer cache', cacheLine(report.cache)]);
  rows.push(['Tests', testsLine(report.tests)]);
  if (report.packages !== undefined) rows.push(['Packages', `against ${report.packages.against}`]);
  rows.push([
    'Versions',
    [
      `repo2docker ${report.versions.repo2docker ?? 'not run'}`,
      `docker ${report.versions.docker ?? 'unknown'}`,
      `buildx ${report.versions.buildx ?? 'unknown'}`,
    ].join(', '),
  ]);
  if (report.inputsHash !== undefined) {
    const also = report.hashedAlso ?? [];
    rows.push([
      'Inputs hash',
      `${code(report.inputsHash)}: the build context${also.length > 0 ? `, ${also.map(code).join(', ')}` : ''} and the build settings`,
    ]);
  }
  if (report.imageId !== undefined) rows.push(['Image id', code(report.imageId)]);
  if (report.tagsToPush.length > 0) rows.push(['Tags to push', report.tagsToPush.map(code).join(' ')]);
  if (report.disk.before.length > 0) rows.push(['Disk', diskLine(report.disk.before, report.disk.after)]);
  if (report.disk.removals.length > 0) {
    rows.push([
      'Freed',
      report.disk.removals
        .map((r) => `${code(r.path)}${r.removed ? ' removed' : `: not removed (${r.problem ?? 'unknown'})`}`)
        .join('<br>'),
    ]);
  }
  const table = [
    '| | |',
    '| --- | --- |',
    ...rows.map(([key, value]) => `| ${key} | ${escapeCell(value)} |`),
  ].join('\n');
  const sections = [`### build-image: ${code(report.imageRef)}`, '', table];
  if (report.warnings.length > 0) {
    sections.push('', ...report.warnings.map((w) => `> [!WARNING]\n> ${w.replace(/\n/g, '\n> ')}`));
  }
  if (report.failure !== undefined) {
    sections.push('', `#### ${report.failure.title}`, '', block(report.failure.lines));
  }
  if (report.packages?.markdown !== undefined) sections.push('', report.packages.markdown.trimEnd());
  if (report.packages !== undefined && report.packages.notes.length > 0) {
    sections.push(
      '',
      '<details><summary>Package manifest notes</summary>',
      '',
      ...report.packages.notes.map((n) => `- ${n}`),
      '',
      '</details>',
    );
  }
  for (const suite of report.tests.suites.filter((s) => !s.passed)) {
    sections.push('', `#### ${suite.suite} failed: last lines`, '', block(suite.tail));
    if (suite.serverLog !== undefined) {
      sections.push(
        '',
        '<details><summary>jupyter server log</summary>',
        '',
        block(suite.serverLog.split('\n')),
        '',
        '</details>',
      );
    }
  }
  return `${sections.join('\n')}\n`;
}
