import { bumpTrailers, readTrailers } from '@hub-image-actions/deployment-repo';
import type { ImageName } from '@hub-image-actions/image-ref';

// The bump branch's commits: each says which image and tag it carries in trailers (packages/deployment-repo names
// the branch and reads the trailers).

export { bumpBranch, readTrailers } from '@hub-image-actions/deployment-repo';

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
  lines.push('', ...bumpTrailers(facts.image, facts.tag));
  return `${lines.join('\n')}\n`;
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
