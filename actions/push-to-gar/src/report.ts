// The outputs and the job summary of a push.
import { escapeCell, formatDuration, markdownTable } from '@hub-image-actions/action-io';
import {
  JOB_SUMMARY_LIMIT,
  renderDiffMarkdown,
  type ComparedDiff,
} from '@hub-image-actions/package-manifest';
import type { ReferrersVia } from '@hub-image-actions/registry-client';

/** What became of the package manifest given to store with the image. */
export type StoredManifest =
  | { result: 'stored' | 'already-stored'; artifact: string; via: ReferrersVia }
  | { result: 'refused'; why: string };

const VIA: Record<ReferrersVia, string> = {
  'referrers-api': "the registry's referrers API",
  'tag-schema': 'the referrers tag',
};

/** One line for the log and the summary. */
export function describeStored(stored: StoredManifest, subject: string): string {
  if (stored.result === 'refused') return `not stored: ${stored.why}`;
  const found = `found through ${VIA[stored.via]} of ${subject}`;
  return stored.result === 'stored'
    ? `stored as ${stored.artifact}, ${found}`
    : `already stored as ${stored.artifact} (nothing written), ${found}`;
}

export type TagResult = 'pushed' | 'tagged' | 'moved' | 'unchanged';

export interface PushReport {
  /** `host/path`. */
  name: string;
  digest: string;
  tags: Array<{ tag: string; result: TagResult }>;
  attempts: number;
  durationMs: number;
  /** How the image got there: `local image …` or `digest …`. */
  source: string;
  /** Who pushed: `keyless as …`, `key of …`, `given access token`. */
  auth: string;
  notes: string[];
  /** What became of the `package-manifest` input, when one was given. */
  packageManifest?: StoredManifest;
  /** build-image's `packages-diff`, when given: shown under the push. */
  packagesDiff?: { path: string; diff: ComparedDiff };
}

const RESULT_TEXT: Record<TagResult, string> = {
  pushed: 'pushed with docker push',
  tagged: 'tagged through the registry API (no upload)',
  moved: 'moved from another image (overwrite)',
  unchanged: 'already held this image',
};

export function pushOutputs(report: PushReport): Record<string, string> {
  return {
    digest: report.digest,
    image: `${report.name}@${report.digest}`,
    refs: report.tags.map(({ tag }) => `${report.name}:${tag}`).join('\n'),
    pushed: report.tags
      .filter(({ result }) => result !== 'unchanged')
      .map(({ tag }) => tag)
      .join('\n'),
    attempts: String(report.attempts),
    'package-manifest-artifact':
      report.packageManifest === undefined || report.packageManifest.result === 'refused'
        ? ''
        : report.packageManifest.artifact,
  };
}

export function summaryMarkdown(report: PushReport): string {
  const written = report.tags.filter(({ result }) => result !== 'unchanged').length;
  const headline =
    written === 0
      ? `### push-to-gar: nothing to do, \`${escapeCell(report.name)}\` already held the image`
      : `### push-to-gar: ${written} tag${written === 1 ? '' : 's'} written to \`${escapeCell(report.name)}\``;
  const table = markdownTable(
    ['Reference', 'Result'],
    report.tags.map(({ tag, result }) => [`\`${report.name}:${tag}\``, RESULT_TEXT[result]]),
  );
  const facts = markdownTable(
    ['Digest', 'Source', 'Auth', 'Attempts', 'Time'],
    [
      [
        `\`${report.digest}\``,
        report.source,
        report.auth,
        String(report.attempts),
        formatDuration(report.durationMs),
      ],
    ],
  );
  const notes = report.notes.map((note) => `- ${note}`);
  if (report.packageManifest !== undefined)
    notes.push(`- Package manifest: ${describeStored(report.packageManifest, report.digest)}.`);
  return [
    headline,
    '',
    table,
    '',
    facts,
    ...(notes.length > 0 ? ['', ...notes] : []),
    ...(report.packagesDiff === undefined ? [] : ['', diffSection(report.packagesDiff)]),
    '',
  ].join('\n');
}

function diffSection({ path, diff }: { path: string; diff: ComparedDiff }): string {
  const against = diff.against === undefined ? '' : `, against ${diff.against}`;
  return renderDiffMarkdown(diff, {
    title: `What this push changes in the image${against}`,
    headingLevel: 3,
    maxBytes: JOB_SUMMARY_LIMIT / 8,
    fullDiffLocation: `the \`packages-diff\` file build-image wrote (${path})`,
  }).markdown.trimEnd();
}
