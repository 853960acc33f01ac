import { posix } from 'node:path';
import type { ImageUse } from './find.js';

// hubploy ≥ 1.0 (2025-10) reads a hub's image from its helm values only: the `images:` stanza of a legacy
// `deployments/<hub>/hubploy.yaml` is ignored, and a hub whose image is set only there deploys the chart's
// default image, without a warning from hubploy.

export interface LegacyOnlyReference {
  file: string;
  hub: string | undefined;
  line: number;
}

/** True for a reference in the `images:` stanza of a `hubploy.yaml`. */
export function isLegacyStanza(use: Pick<ImageUse, 'file' | 'path'>): boolean {
  return /^hubploy\.ya?ml$/.test(posix.basename(use.file)) && use.path[0] === 'images';
}

/**
 * The references to one image that hubploy ≥ 1.0 does not deploy and that nothing else of their hub replaces:
 * `hubploy.yaml` `images:` references of hubs (folders, outside `deployments/`) with no other reference to it.
 */
export function legacyOnlyReferences(uses: readonly ImageUse[]): LegacyOnlyReference[] {
  const groupOf = (use: ImageUse) => use.hub ?? `dir:${posix.dirname(use.file)}`;
  const setElsewhere = new Set(uses.filter((use) => !isLegacyStanza(use)).map(groupOf));
  const seen = new Set<string>();
  const found: LegacyOnlyReference[] = [];
  for (const use of uses) {
    if (!isLegacyStanza(use) || setElsewhere.has(groupOf(use)) || seen.has(use.file)) continue;
    seen.add(use.file);
    found.push({ file: use.file, hub: use.hub, line: use.line });
  }
  return found;
}
