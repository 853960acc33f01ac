import { createHash } from 'node:crypto';
import type { ImageName } from '@hub-image-actions/image-ref';

// How bump-hubploy names its branches and marks its commits and pull requests, so that every run of one image's
// bump finds its own branch, and a fleet report can tell which image and tag each open bump pull request carries.

export const BRANCH_PREFIX = 'hub-image-bump';
export const IMAGE_TRAILER = 'Hub-Image-Bump';
export const TAG_TRAILER = 'Hub-Image-Tag';

/**
 * `hub-image-bump/<last path component>-<8 hex of the full name>`: readable, unique per image (two images may
 * share a last component), and never a prefix of another branch (git cannot hold both `a/b` and `a/b/c`).
 */
export function bumpBranch(image: ImageName): string {
  const last = image.path.slice(image.path.lastIndexOf('/') + 1);
  const hash = createHash('sha256').update(image.full).digest('hex').slice(0, 8);
  return `${BRANCH_PREFIX}/${last}-${hash}`;
}

/** True for a branch name bump-hubploy made (for any image). */
export function isBumpBranch(ref: string): boolean {
  return ref.startsWith(`${BRANCH_PREFIX}/`);
}

/** The trailer lines of a bump commit, which say which image and tag it carries. */
export function bumpTrailers(image: ImageName, tag: string): string[] {
  return [`${IMAGE_TRAILER}: ${image.full}`, `${TAG_TRAILER}: ${tag}`];
}

export function readTrailers(message: string): { image?: string; tag?: string } {
  const found: { image?: string; tag?: string } = {};
  for (const line of message.split(/\r?\n/)) {
    const match = /^([A-Za-z-]+):\s*(\S+)\s*$/.exec(line);
    if (match?.[1] === IMAGE_TRAILER) found.image = match[2];
    if (match?.[1] === TAG_TRAILER) found.tag = match[2];
  }
  return found;
}

export type MarkerKind = 'pull-request' | 'updated';

/** A hidden line that says which image and tag a pull request or comment is about. */
export function bumpMarker(kind: MarkerKind, image: ImageName, tag: string): string {
  return `<!-- hub-image-bump ${kind} image=${image.full} tag=${tag} -->`;
}

/** The image and tag the marker in a bump pull request's body names; undefined when it has none. */
export function readBumpMarker(
  body: string,
  kind: MarkerKind = 'pull-request',
): { image: string; tag: string } | undefined {
  const match = new RegExp(`<!-- hub-image-bump ${kind} image=(\\S+) tag=(\\S+) -->`).exec(body);
  return match === null ? undefined : { image: match[1] ?? '', tag: match[2] ?? '' };
}
