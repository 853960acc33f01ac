import { markdownTable } from '@hub-image-actions/action-io';
import { bumpMarker as marker } from '@hub-image-actions/deployment-repo';
import { formatPath, type ImageUse, type LegacyOnlyReference } from '@hub-image-actions/deploy-config';
import type { ImageName } from '@hub-image-actions/image-ref';
import { shortName } from './branch.js';
import { hubLabel, type BumpPlan } from './plan.js';

export interface SourceFacts {
  repo: string;
  sha: string;
  commitUrl: string;
  /** The merged pull request that produced the commit, when the API knows one. */
  pull?: { number: number; title: string; url: string };
}

const code = (text: string): string => `\`${text}\``;

export function pullRequestTitle(image: ImageName, tag: string): string {
  return `Bump ${shortName(image)} image to ${tag}`;
}

export { bumpMarker as marker } from '@hub-image-actions/deployment-repo';

export function changesTable(plan: BumpPlan): string {
  const rows = plan.changes.map(({ use, from }) => [
    hubLabel(use),
    `${code(use.file)} line ${use.line}`,
    code(from),
    code(plan.tag),
  ]);
  const table = markdownTable(['Hub', 'File', 'Old tag', 'New tag'], rows);
  const notes = [
    ...new Set(plan.changes.flatMap((change) => (change.note === undefined ? [] : [change.note]))),
  ];
  return notes.length === 0 ? table : `${table}\n\n${notes.map((note) => `- ${note}`).join('\n')}`;
}

/** The tag as a reader should see it; a reference pinned only by digest (`NAME@sha256:…`) has none. */
export function shownTag(use: Pick<ImageUse, 'tag' | 'digest'>): string {
  if (use.tag !== '' || use.digest === undefined) return code(use.tag);
  return `none (${code(`@${use.digest.slice(0, 19)}…`)})`;
}

export function keptTable(plan: BumpPlan): string {
  const rows = plan.kept.map(({ use, reason }) => [
    hubLabel(use),
    `${code(use.file)} line ${use.line} (${formatPath(use.path)})`,
    shownTag(use),
    reason,
  ]);
  return markdownTable(['Hub', 'File', 'Tag', 'Why it is left alone'], rows);
}

export function sourceLine(source: SourceFacts | undefined): string {
  if (source === undefined) return '';
  const commit = `[${source.repo}@${source.sha.slice(0, 12)}](${source.commitUrl})`;
  const pull =
    source.pull === undefined
      ? ''
      : `, merged in [#${source.pull.number} ${source.pull.title}](${source.pull.url})`;
  return `Built from ${commit}${pull}.`;
}

/** One line per hubploy.yaml whose edit hubploy ≥ 1.0 does not deploy. */
export function legacyNote(legacy: readonly LegacyOnlyReference[]): string {
  if (legacy.length === 0) return '';
  const lines = legacy.map(
    (ref) =>
      `- ${code(ref.file)} sets ${ref.hub === undefined ? 'the' : `hub ${ref.hub}'s`} image only in its \`images:\` stanza, which hubploy dropped in 1.0 (2025-10): the hub deploys the chart's default image, and this change to it deploys nothing. Set the image in the hub's helm values (\`jupyterhub.singleuser.image\` in \`config/common.yaml\`).`,
  );
  return `**Not deployed by hubploy ≥ 1.0**\n\n${lines.join('\n')}`;
}

export function pullRequestBody(
  image: ImageName,
  plan: BumpPlan,
  source: SourceFacts | undefined,
  legacy: readonly LegacyOnlyReference[] = [],
): string {
  const parts = [
    `Moves every hub that uses ${code(image.full)} to tag ${code(plan.tag)}.`,
    sourceLine(source),
    changesTable(plan),
    legacyNote(legacy),
  ];
  if (plan.kept.length > 0) parts.push('**Left alone**', keptTable(plan));
  if (plan.current.length > 0) {
    const already = [...new Set(plan.current.map(hubLabel))].sort();
    parts.push(`Already at ${code(plan.tag)}: ${already.join(', ')}.`);
  }
  parts.push(
    'Opened by the bump-hubploy action; a newer image updates this pull request. Merging it deploys the labelled hubs to staging.',
    marker('pull-request', image, plan.tag),
  );
  return parts.filter((part) => part !== '').join('\n\n');
}

export function updateComment(image: ImageName, previousTag: string | undefined, tag: string): string {
  const from = previousTag === undefined ? '' : ` (was ${code(previousTag)})`;
  return `Updated to ${code(tag)}${from}, rebuilt on the current base branch.\n\n${marker('updated', image, tag)}`;
}
