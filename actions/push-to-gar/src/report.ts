// The outputs and the job summary of a push.
import { escapeCell, formatDuration, markdownTable } from '@hub-image-actions/action-io';

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
  return [headline, '', table, '', facts, ...(notes.length > 0 ? ['', ...notes] : []), ''].join('\n');
}
