import { createHash } from 'node:crypto';
import type { ImageName } from '@hub-image-actions/image-ref';

// The bump branch and its commits. One branch per image, named from the image so every run (and every re-run)
// of that image's bump finds it; each commit says which image and tag it carries in trailers.

export const BRANCH_PREFIX = 'hub-image-bump';
const IMAGE_TRAILER = 'Hub-Image-Bump';
const TAG_TRAILER = 'Hub-Image-Tag';

/**
 * `hub-image-bump/<last path component>-<8 hex of the full name>`: readable, unique per image (two images may
 * share a last component), and never a prefix of another branch (git cannot hold both `a/b` and `a/b/c`).
 */
export function bumpBranch(image: ImageName): string {
  const last = image.path.slice(image.path.lastIndexOf('/') + 1);
  const hash = createHash('sha256').update(image.full).digest('hex').slice(0, 8);
  return `${BRANCH_PREFIX}/${last}-${hash}`;
}

export function shortName(image: ImageName): string {
  return image.path.slice(image.path.lastIndexOf('/') + 1);
}

export interface CommitMessageFacts {
  image: ImageName;
  tag: string;
  hubs: readonly string[];
  files: readonly string[];
  sourceCommitUrl: string | undefined;
}

export function commitMessage(facts: CommitMessageFacts): string {
  const lines = [
    `Bump ${shortName(facts.image)} to ${facts.tag}`,
    '',
    `Moves ${facts.hubs.length > 0 ? `hub${facts.hubs.length === 1 ? '' : 's'} ${facts.hubs.join(', ')}` : 'the references'} to ${facts.image.full}:${facts.tag}.`,
    '',
    ...facts.files.map((file) => `- ${file}`),
  ];
  if (facts.sourceCommitUrl !== undefined) lines.push('', `Built from ${facts.sourceCommitUrl}`);
  lines.push('', `${IMAGE_TRAILER}: ${facts.image.full}`, `${TAG_TRAILER}: ${facts.tag}`);
  return `${lines.join('\n')}\n`;
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

export interface BranchCommit {
  sha: string;
  message: string;
  authorName: string;
  authorEmail: string;
  committerEmail: string;
}

/**
 * Commits on the bump branch that this action did not make for this image: no trailer naming the image, or made
 * (authored or committed) by someone other than the bot, e.g. an amended or rebased bot commit.
 */
export function foreignCommits(
  commits: readonly BranchCommit[],
  image: ImageName,
  botEmail: string,
): BranchCommit[] {
  const bot = botEmail.toLowerCase();
  return commits.filter(
    (commit) =>
      readTrailers(commit.message).image !== image.full ||
      commit.authorEmail.toLowerCase() !== bot ||
      commit.committerEmail.toLowerCase() !== bot,
  );
}

/** The tag the branch carries: the trailer of its newest commit. */
export function branchTag(commits: readonly BranchCommit[]): string | undefined {
  return commits.length === 0 ? undefined : readTrailers(commits[commits.length - 1]?.message ?? '').tag;
}
