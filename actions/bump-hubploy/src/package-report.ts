// What the hubs on each old tag get: the package diff from their image to the new one, for the pull request body.
import { validateTag } from '@hub-image-actions/image-ref';
import { renderDiffMarkdown, type ManifestDiff } from '@hub-image-actions/package-manifest';
import { hubLabel, type BumpPlan } from './plan.js';

/** Each old tag the bump moves hubs from, with those hubs; placeholders and digests are not images to compare. */
export function oldTags(plan: BumpPlan): Array<{ tag: string; hubs: string[] }> {
  const byTag = new Map<string, Set<string>>();
  for (const { use, from } of plan.changes) {
    if (from === plan.tag || /^placeholder$/i.test(from)) continue;
    try {
      validateTag(from);
    } catch {
      continue;
    }
    byTag.set(from, (byTag.get(from) ?? new Set()).add(hubLabel(use)));
  }
  return [...byTag]
    .map(([tag, hubs]) => ({ tag, hubs: [...hubs].sort() }))
    .sort((a, b) => (a.tag < b.tag ? -1 : 1));
}

export type Comparison = { tag: string; hubs: string[] } & ({ diff: ManifestDiff } | { why: string });

const code = (text: string): string => `\`${text}\``;

/** The body section, each old tag's diff within an even share of `maxBytes` (the body's room for it). */
export function packagesSection(
  newTag: string,
  comparisons: readonly Comparison[],
  maxBytes: number,
): string {
  if (comparisons.length === 0) return '';
  const share = Math.floor(maxBytes / comparisons.length);
  const parts = comparisons.map((c) => {
    const heading = `#### ${code(c.tag)} → ${code(newTag)}: ${c.hubs.join(', ')}`;
    if ('why' in c) return `${heading}\n\nThe packages could not be compared: ${c.why}.`;
    const { markdown } = renderDiffMarkdown(c.diff, {
      maxBytes: Math.max(share - heading.length - 2, 1024),
    });
    return `${heading}\n\n${markdown.trimEnd()}`;
  });
  return ['### What the hubs get', ...parts].join('\n\n');
}
