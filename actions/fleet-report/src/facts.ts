import type { FileProblem, FleetProblem, ImageUse } from '@hub-image-actions/deploy-config';
import type { Repo } from '@hub-image-actions/github-access';
import type { ReposList } from './repos-file.js';

// What the run learned, before any decision: the deploy branches' references, the registry's tags, the image
// repos' history, the open bump pull requests and how long staging has differed from prod.

export interface BranchFacts {
  name: string;
  sha: string;
  /** Covered image (canonical name) → its references on this branch. */
  uses: ReadonlyMap<string, readonly ImageUse[]>;
  /** Every image name the branch's files mention, covered or not (to tell which listed repos are used). */
  mentioned: readonly string[];
  unsafe: readonly FleetProblem[];
  unreadable: readonly FileProblem[];
}

export type Listing =
  | { kind: 'listed'; tags: ReadonlySet<string> }
  /** The registry does not know the repository: no image was ever pushed there. */
  | { kind: 'absent' }
  | { kind: 'unknown'; why: string };

export type Newest =
  | { kind: 'found'; tag: string; sha: string; date: string | undefined; newerCommits: number }
  /** Nothing to compare with: no image repo known, or none of its recent commits has an image. */
  | { kind: 'none'; why: string }
  | { kind: 'unknown'; why: string };

/** Commits a tag's commit is behind the newest pushed one, or why that is not known. */
export type Behind = { commits: number } | { unknown: string };

export interface BumpPull {
  number: number;
  url: string;
  branch: string;
  /** The tag its marker names; undefined for a pull request without one. */
  tag: string | undefined;
}

export interface ImageFacts {
  image: string;
  listing: Listing;
  /** Tag or digest in use → the manifest digest the registry holds for it (null: it holds none). */
  digests: ReadonlyMap<string, string | null>;
  repo: Repo | undefined;
  newest: Newest;
  behind: ReadonlyMap<string, Behind>;
  bumpPull: BumpPull | undefined;
}

export type ReposFacts =
  | { state: 'read'; path: string; list: ReposList }
  | { state: 'missing'; path: string }
  | { state: 'unreadable'; path: string; why: string };

/** How long the first branch has run its tag at a place where another branch runs a different one. */
export interface DriftAge {
  /** When the first branch got that tag, when the fetched history shows it. */
  since: string | undefined;
  /** Already there this long ago: `since` is then at most this date. */
  atLeastSince: string | undefined;
  olderThanLimit: boolean;
}
