// Deciding, from what the registry holds, whether to reuse an image and which images to take cache from.
import type { ImageSummary } from '@hub-image-actions/registry-client';
import { INPUTS_HASH_LABEL } from './repo2docker-argv.js';

export type Verdict =
  | { kind: 'absent' }
  | { kind: 'same-inputs'; image: ImageSummary }
  | { kind: 'other-inputs'; image: ImageSummary; hash: string | undefined };

/** What a tag holds, judged against our inputs hash: only an image that carries the exact hash counts. */
export function judge(image: ImageSummary | undefined, inputsHash: string): Verdict {
  if (image === undefined) return { kind: 'absent' };
  const hash = image.labels[INPUTS_HASH_LABEL];
  return hash === inputsHash ? { kind: 'same-inputs', image } : { kind: 'other-inputs', image, hash };
}

export type ReuseDecision =
  | { reuse: true; digest: string; tag: string; image: ImageSummary; why: string }
  | { reuse: false; why: string };

export interface Lookups {
  inputsTag: string;
  /** Undefined when the lookup was skipped (force-rebuild). */
  byInputsTag: Verdict | undefined;
  tag: string;
  byTag: Verdict;
}

function short(hash: string | undefined): string {
  return hash === undefined ? 'none' : hash.replace(/^sha256:/, '').slice(0, 12);
}

export function decideReuse(lookups: Lookups, forceRebuild: boolean): ReuseDecision {
  if (forceRebuild) return { reuse: false, why: 'force-rebuild is set' };
  for (const [tag, verdict] of [
    [lookups.inputsTag, lookups.byInputsTag],
    [lookups.tag, lookups.byTag],
  ] as const) {
    if (verdict?.kind === 'same-inputs') {
      return {
        reuse: true,
        digest: verdict.image.digest,
        tag,
        image: verdict.image,
        why: `the registry's ${tag} was built from the same inputs`,
      };
    }
  }
  return { reuse: false, why: 'no image in the registry was built from these inputs' };
}

/** Warnings about tags that exist with other inputs: never reused, and the push step must not move them. */
export function tagWarnings(lookups: Lookups): string[] {
  const warnings: string[] = [];
  if (lookups.byInputsTag?.kind === 'other-inputs') {
    warnings.push(
      `${lookups.inputsTag} exists in the registry but its image carries inputs hash ${short(lookups.byInputsTag.hash)}, ` +
        'not this one: it is not reused, and it is left out of the tags to push',
    );
  }
  if (lookups.byTag.kind === 'other-inputs') {
    warnings.push(
      `${lookups.tag} already exists in the registry (${lookups.byTag.image.digest}) with other inputs ` +
        `(hash ${short(lookups.byTag.hash)}): push-to-gar will refuse to move it unless overwrite is set`,
    );
  }
  return warnings;
}

export interface CacheCandidate {
  tag: string;
  /** e.g. "parent commit" or "current tag". */
  role: string;
}

/** The default cache: the parent commit's image and the current tag, in that order, without duplicates. */
export function cacheCandidates(tag: string, parentTag: string | undefined): CacheCandidate[] {
  const candidates: CacheCandidate[] = [];
  if (parentTag !== undefined && parentTag !== tag)
    candidates.push({ tag: parentTag, role: 'parent commit' });
  candidates.push({ tag, role: 'current tag' });
  return candidates;
}

/** How many of the built image's layers the cache images already had. */
export function layersFromCache(
  built: readonly string[],
  cacheImages: ReadonlyArray<readonly string[]>,
): number {
  const known = new Set(cacheImages.flat());
  return built.filter((layer) => known.has(layer)).length;
}
