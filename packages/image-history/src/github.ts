import { statusOf, type Api, type Repo } from '@hub-image-actions/github-access';
import type { CompareStatus } from './order.js';

// The image repository's history, read through the GitHub API. A failed read is explained by the caller, who
// knows which input holds the token and why it reads the image repo.

/** Turns a failed read of the image repo into the caller's error (e.g. one naming its token input). */
export type ReadFailure = (error: unknown, call: string) => unknown;

export type Comparison =
  | {
      found: true;
      status: CompareStatus;
      /** Commits HEAD has that BASE lacks. */
      aheadBy: number;
      /** Commits BASE has that HEAD lacks. */
      behindBy: number;
      /** The commit date of BASE. */
      baseDate: string | undefined;
    }
  | { found: false };

/** Compares BASE...HEAD in the image repo; `found: false` when either is not a commit there. */
export async function compareCommits(
  api: Api,
  repo: Repo,
  base: string,
  head: string,
  failure: ReadFailure,
): Promise<Comparison> {
  try {
    const { data } = await api.rest.repos.compareCommitsWithBasehead({
      owner: repo.owner,
      repo: repo.repo,
      basehead: `${base}...${head}`,
      per_page: 1,
    });
    const commit = data.base_commit.commit;
    return {
      found: true,
      status: data.status,
      aheadBy: data.ahead_by,
      behindBy: data.behind_by,
      baseDate: commit.committer?.date ?? commit.author?.date,
    };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 422) return { found: false };
    throw failure(error, `comparing ${base.slice(0, 12)} with ${head.slice(0, 12)}`);
  }
}

export interface HistoryCommit {
  sha: string;
  date: string | undefined;
}

/**
 * One page of the commits of the image repo's default branch, newest first (GitHub's order); an empty page past
 * the end.
 */
export async function commitPage(
  api: Api,
  repo: Repo,
  page: number,
  perPage: number,
  failure: ReadFailure,
): Promise<HistoryCommit[]> {
  try {
    const { data } = await api.rest.repos.listCommits({
      owner: repo.owner,
      repo: repo.repo,
      per_page: perPage,
      page,
    });
    return data.map((commit) => ({
      sha: commit.sha,
      date: commit.commit.committer?.date ?? commit.commit.author?.date,
    }));
  } catch (error) {
    throw failure(error, `listing the commits of ${repo.owner}/${repo.repo}`);
  }
}
