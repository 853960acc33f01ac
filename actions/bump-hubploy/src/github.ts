import { ConfigurationError } from '@hub-image-actions/action-io';
import {
  apiFailure,
  callError,
  rateLimitOf,
  isNoAnswer,
  statusOf,
  type Api,
  type ApiLog,
  type CallFacts,
  type Repo,
} from '@hub-image-actions/github-access';
import { retry, RetriesExhaustedError, type RetryPolicy } from '@hub-image-actions/retry';
import type { BranchCommit } from './branch.js';
import { compareCommits, type CompareStatus, type Comparison } from '@hub-image-actions/image-history';

// The GitHub API calls a bump makes, each failure told in terms of the call and the permission it needs.
// Retries of server errors and rate limits happen in the client (packages/github-access).

export type { Api };

const MISSING = 'the pull request or branch may have been deleted meanwhile, or the token cannot see it';

/** A call to the deployment repository failed: say which, and what the token needs there. */
function failed(error: unknown, facts: CallFacts): unknown {
  return callError(error, {
    missing: MISSING,
    ...facts,
    permission: `${facts.permission} on the deployment repository`,
  });
}

/** Comments are retried here, after checking they did not land, never blindly by the client. */
const COMMENT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxElapsedMs: 150_000,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
};

// ---- the deployment repository ----

export interface RepoFacts {
  fullName: string;
  htmlUrl: string;
  /** Absent when the token type does not report it (installation tokens). */
  canPush: boolean | undefined;
}

export async function deploymentRepo(api: Api, repo: Repo): Promise<RepoFacts> {
  try {
    const { data } = await api.rest.repos.get({ owner: repo.owner, repo: repo.repo });
    return { fullName: data.full_name, htmlUrl: data.html_url, canPush: data.permissions?.push };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) {
      throw new ConfigurationError(
        `input "deployment-repo" is "${repo.owner}/${repo.repo}": no such repository, or the token cannot see it`,
        'Check the name, and that the token (or the GitHub App installation) covers that repository',
      );
    }
    if (status === 401) {
      throw new ConfigurationError(
        'GitHub refused the deployment token (401 Bad credentials)',
        'The token is invalid or expired: check the "token" secret',
      );
    }
    throw failed(error, { call: `reading ${repo.owner}/${repo.repo}`, permission: 'metadata: read' });
  }
}

export interface BranchComparison {
  status: CompareStatus;
  aheadBy: number;
  /** Commits on the head side, oldest first. */
  commits: BranchCommit[];
  /** Files the head side changes since the merge base. */
  files: string[];
}

export async function compareBranch(
  api: Api,
  repo: Repo,
  base: string,
  head: string,
): Promise<BranchComparison> {
  let data;
  try {
    ({ data } = await api.rest.repos.compareCommitsWithBasehead({
      owner: repo.owner,
      repo: repo.repo,
      basehead: `${base}...${head}`,
      per_page: 100,
    }));
  } catch (error) {
    throw failed(error, {
      call: `comparing the bump branch (${head.slice(0, 12)}) with the base (${base.slice(0, 12)}) in ${repo.owner}/${repo.repo}`,
      permission: 'contents: read',
    });
  }
  return {
    status: data.status,
    aheadBy: data.ahead_by,
    commits: data.commits.map((commit) => ({
      sha: commit.sha,
      message: commit.commit.message,
      authorName: commit.commit.author?.name ?? '',
      authorEmail: commit.commit.author?.email ?? '',
      committerEmail: commit.commit.committer?.email ?? '',
    })),
    files: (data.files ?? []).map((file) => file.filename),
  };
}

export interface Pull {
  number: number;
  url: string;
  title: string;
  body: string;
  labels: string[];
}

function pullFrom(data: {
  number: number;
  html_url: string;
  title: string;
  body: string | null;
  labels: Array<{ name?: string } | string>;
}): Pull {
  return {
    number: data.number,
    url: data.html_url,
    title: data.title,
    body: data.body ?? '',
    labels: data.labels.map((label) => (typeof label === 'string' ? label : (label.name ?? ''))),
  };
}

export async function findOpenPull(
  api: Api,
  repo: Repo,
  branch: string,
  base: string,
): Promise<Pull | undefined> {
  let data;
  try {
    ({ data } = await api.rest.pulls.list({
      owner: repo.owner,
      repo: repo.repo,
      head: `${repo.owner}:${branch}`,
      base,
      state: 'open',
      per_page: 10,
    }));
  } catch (error) {
    throw failed(error, {
      call: `listing the open pull requests of ${branch} in ${repo.owner}/${repo.repo}`,
      permission: 'pull-requests: read',
    });
  }
  const found = data[0];
  return found === undefined ? undefined : pullFrom(found);
}

export type PullCreation = { created: Pull } | { alreadyExists: true };

export async function createPull(
  api: Api,
  repo: Repo,
  pull: { branch: string; base: string; title: string; body: string },
): Promise<PullCreation> {
  try {
    const { data } = await api.rest.pulls.create({
      owner: repo.owner,
      repo: repo.repo,
      head: pull.branch,
      base: pull.base,
      title: pull.title,
      body: pull.body,
      maintainer_can_modify: false,
    });
    return { created: pullFrom(data) };
  } catch (error) {
    const failure = apiFailure(error);
    const details = JSON.stringify((error as { response?: { data?: unknown } }).response?.data ?? '');
    if (failure.status === 422 && /already exists/i.test(details)) return { alreadyExists: true };
    if (failure.status === 403 && rateLimitOf(failure) === undefined) {
      throw new ConfigurationError(
        `the token cannot open pull requests in ${repo.owner}/${repo.repo}: ${failure.message}`,
        'Give it pull-requests: write (the bump branch is pushed; a re-run opens the pull request)',
      );
    }
    throw failed(error, {
      call: `opening the pull request of ${pull.branch} into ${pull.base} in ${repo.owner}/${repo.repo}`,
      permission: 'pull-requests: write',
    });
  }
}

export async function updatePull(
  api: Api,
  repo: Repo,
  number: number,
  changes: { title?: string; body?: string; state?: 'closed' },
): Promise<void> {
  try {
    await api.rest.pulls.update({ owner: repo.owner, repo: repo.repo, pull_number: number, ...changes });
  } catch (error) {
    throw failed(error, {
      call: `${changes.state === 'closed' ? 'closing' : 'updating the title and description of'} pull request #${number} in ${repo.owner}/${repo.repo}`,
      permission: 'pull-requests: write',
    });
  }
}

export async function addLabels(api: Api, repo: Repo, number: number, labels: string[]): Promise<void> {
  if (labels.length === 0) return;
  try {
    await api.rest.issues.addLabels({ owner: repo.owner, repo: repo.repo, issue_number: number, labels });
  } catch (error) {
    throw failed(error, {
      call: `adding the labels ${labels.map((label) => `"${label}"`).join(', ')} to pull request #${number} in ${repo.owner}/${repo.repo}`,
      permission: 'pull-requests: write (or issues: write) — or set "labels: false" to skip the hub labels',
    });
  }
}

export async function removeLabel(api: Api, repo: Repo, number: number, label: string): Promise<void> {
  try {
    await api.rest.issues.removeLabel({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: number,
      name: label,
    });
  } catch (error) {
    if (statusOf(error) !== 404) {
      throw failed(error, {
        call: `removing the label "${label}" from pull request #${number} in ${repo.owner}/${repo.repo}`,
        permission:
          'pull-requests: write (or issues: write) — or set "labels: false" to leave the hub labels alone',
      });
    }
  }
}

export async function commentBodies(api: Api, repo: Repo, number: number): Promise<string[]> {
  try {
    const comments = await api.paginate(api.rest.issues.listComments, {
      owner: repo.owner,
      repo: repo.repo,
      issue_number: number,
      per_page: 100,
    });
    return comments.map((comment) => comment.body ?? '');
  } catch (error) {
    throw failed(error, {
      call: `listing the comments of pull request #${number} in ${repo.owner}/${repo.repo}`,
      permission: 'pull-requests: read',
    });
  }
}

/**
 * Comments on a pull request. A POST is not idempotent: when its answer is lost (a 5xx or a dropped connection
 * after GitHub stored the comment), a blind retry would comment twice. So each retry first lists the comments
 * and stops if this exact one is already there. Returns false in that case (the earlier attempt landed).
 */
export async function addComment(
  api: Api,
  repo: Repo,
  number: number,
  body: string,
  log: ApiLog,
): Promise<boolean> {
  const what = `commenting on pull request #${number} in ${repo.owner}/${repo.repo}`;
  try {
    const outcome = await retry(
      async (attempt) => {
        if (attempt > 1 && (await commentBodies(api, repo, number)).includes(body)) return false;
        await api.rest.issues.createComment({
          owner: repo.owner,
          repo: repo.repo,
          issue_number: number,
          body,
          request: { retries: 0 },
        });
        return true;
      },
      {
        policy: COMMENT_RETRY_POLICY,
        classify: (error) => {
          if (isNoAnswer(error))
            return { retry: true, reason: `no answer from the API (${apiFailure(error).message})` };
          const status = statusOf(error) ?? 0;
          return status >= 500 ? { retry: true, reason: `the API answered ${status}` } : { retry: false };
        },
        onRetry: (event) =>
          log(
            `${what}: ${event.reason}; checking whether it landed, then trying again (attempt ${event.attempt + 1})`,
          ),
      },
    );
    return outcome.value;
  } catch (error) {
    const last =
      error instanceof RetriesExhaustedError && typeof error.cause === 'object' && error.cause !== null
        ? Object.assign(error.cause, { attempts: error.attempts })
        : error;
    throw failed(last, { call: what, permission: 'pull-requests: write (or issues: write)' });
  }
}

// ---- the image repository ----

export interface SourceCommit {
  sha: string;
  date: string | undefined;
  htmlUrl: string;
}

function sourceReadError(error: unknown, source: Repo, call: string): unknown {
  const failure = apiFailure(error);
  if ((failure.status === 401 || failure.status === 403) && rateLimitOf(failure) === undefined) {
    return new ConfigurationError(
      `"source-token" cannot read ${source.owner}/${source.repo} (${failure.status}): ${failure.message}`,
      'The downgrade guard reads the image repository: give a token with contents: read on it (the default github.token works in the image repository itself)',
    );
  }
  return callError(error, {
    call: `${call} in the image repository ${source.owner}/${source.repo}`,
    permission: 'contents: read on the image repository ("source-token")',
  });
}

const READ_SOURCE = 'reading the commit "source-sha" names';

export async function sourceCommit(api: Api, source: Repo, sha: string): Promise<SourceCommit> {
  try {
    const { data } = await api.rest.repos.getCommit({ owner: source.owner, repo: source.repo, ref: sha });
    return {
      sha: data.sha,
      date: data.commit.committer?.date ?? data.commit.author?.date,
      htmlUrl: data.html_url,
    };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 422) {
      throw new ConfigurationError(
        `input "source-sha" is "${sha}": no such commit in ${source.owner}/${source.repo} (or the repository is not visible to "source-token")`,
        'Pass the image repository ("source-repo") and the commit the image was built from ("source-sha")',
      );
    }
    throw sourceReadError(error, source, READ_SOURCE);
  }
}

/** The merged pull request that brought `sha` into the image repo, if any (for the links in the PR body). */
export async function mergedPullFor(
  api: Api,
  source: Repo,
  sha: string,
): Promise<{ number: number; title: string; url: string } | undefined> {
  const { data } = await api.rest.repos.listPullRequestsAssociatedWithCommit({
    owner: source.owner,
    repo: source.repo,
    commit_sha: sha,
    per_page: 20,
  });
  const merged = data.filter((pull) => pull.merged_at !== null);
  const pull = merged.find((candidate) => candidate.merge_commit_sha === sha) ?? merged[0];
  return pull === undefined ? undefined : { number: pull.number, title: pull.title, url: pull.html_url };
}

/** Compares CURRENT...NEW in the image repo; `found: false` when CURRENT is not a commit there. */
export function compareSource(api: Api, source: Repo, current: string, next: string): Promise<Comparison> {
  return compareCommits(api, source, current, next, (error, call) => sourceReadError(error, source, call));
}
