import type { HistoryCommit } from './github.js';
import { tagKind } from './order.js';

// The newest image pushed: the newest commit of the image repo's default branch whose commit tag the registry
// holds. Commit tags are the first 12 hex characters of a commit (7 to 40 are accepted, as build-image allows).

/** Commit tags of a registry listing, by the lower-case prefix they name. */
export function commitTags(tags: Iterable<string>): Map<string, string> {
  const found = new Map<string, string>();
  for (const tag of tags) if (tagKind(tag) === 'commit') found.set(tag, tag);
  return found;
}

/** The registry tag that names `sha`, preferring the longest prefix (the usual 12 before a 7). */
export function tagOfCommit(sha: string, tags: ReadonlyMap<string, string>): string | undefined {
  for (let length = Math.min(40, sha.length); length >= 7; length -= 1) {
    const tag = tags.get(sha.slice(0, length));
    if (tag !== undefined) return tag;
  }
  return undefined;
}

export interface NewestPushed {
  tag: string;
  sha: string;
  date: string | undefined;
  /** Commits of the default branch newer than it (pushed without an image, or still building). */
  newerCommits: number;
}

/** The first commit of a page (newest first) whose tag the registry holds. */
export function newestIn(
  commits: readonly HistoryCommit[],
  tags: ReadonlyMap<string, string>,
  seenBefore: number,
): NewestPushed | undefined {
  for (const [index, commit] of commits.entries()) {
    const tag = tagOfCommit(commit.sha, tags);
    if (tag !== undefined)
      return { tag, sha: commit.sha, date: commit.date, newerCommits: seenBefore + index };
  }
  return undefined;
}
