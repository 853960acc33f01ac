import { getOctokit } from '@actions/github';
import { GitHub } from '@actions/github/lib/utils';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { retry, RetriesExhaustedError, type RetryEvent, type RetryPolicy } from '@hub-image-actions/retry';
import { createAppAuth } from '@octokit/auth-app';
import type { BranchCommit } from './branch.js';
import type { Repo } from './context.js';
import { apiFailure, classifyApiFailure } from './failures.js';
import type { CompareStatus } from './order.js';

export type Api = InstanceType<typeof GitHub>;
export type RetryLog = (what: string, event: RetryEvent) => void;

// Server errors and rate limits are retried within about two and a half minutes; past that the run fails and
// a re-run picks up where it stopped.
export const API_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 6,
  maxElapsedMs: 150_000,
  baseDelayMs: 1_000,
  maxDelayMs: 20_000,
};

/**
 * Set under `request` on a call that must not be repeated blindly (a POST that creates something): the wrapper
 * then makes one attempt, and the caller retries after checking whether the first one landed.
 */
const SINGLE_ATTEMPT = 'hubImageSingleAttempt';

function withRetries<T extends Api>(octokit: T, onRetry: RetryLog): T {
  octokit.hook.wrap('request', async (request, options) => {
    if ((options.request as Record<string, unknown> | undefined)?.[SINGLE_ATTEMPT] === true)
      return request(options);
    const outcome = await retry(async () => request(options), {
      policy: API_RETRY_POLICY,
      classify: (error) => classifyApiFailure(error, Date.now()),
      onRetry: (event) => onRetry(`${options.method} ${String(options.url)}`, event),
    });
    return outcome.value;
  });
  return octokit;
}

/** A REST client for GITHUB_API_URL (github.com or GHES) that retries server errors and rate limits. */
export function apiClient(token: string, onRetry: RetryLog): Api {
  return withRetries(getOctokit(token), onRetry);
}

export function statusOf(error: unknown): number | undefined {
  return apiFailure(error).status;
}

/**
 * Turns a failed API call that has no more specific explanation into an error that names the call, what it was
 * for, GitHub's status and message, and what to do. `permission` is what the token needs for this call.
 */
export function callError(call: string, error: unknown, permission: string): unknown {
  if (error instanceof ConfigurationError) return error;
  if (error instanceof RetriesExhaustedError) {
    return new ConfigurationError(
      `${call}: GitHub kept failing (${error.message})`,
      'GitHub had trouble answering; re-run the job later: it picks up where this run stopped',
    );
  }
  const failure = apiFailure(error);
  if (failure.status === undefined) return error;
  const answer = `${failure.status} ${failure.message}`;
  switch (failure.status) {
    case 401:
      return new ConfigurationError(
        `${call}: GitHub refused the token (${answer})`,
        'The token is invalid or expired: check the "token" secret, or the GitHub App credentials',
      );
    case 403:
      return new ConfigurationError(
        `${call}: GitHub denied it (${answer})`,
        `Give the token (or the GitHub App) ${permission} on the deployment repository, then re-run: it picks up where this run stopped`,
      );
    case 404:
      return new ConfigurationError(
        `${call}: GitHub answered ${answer}; the pull request or branch may have been deleted meanwhile, or the token cannot see it`,
        'Re-run the job: it starts again from the current branches',
      );
    case 422:
      return new ConfigurationError(
        `${call}: GitHub rejected it (${answer}${validationDetails(error)})`,
        'Re-run the job; if it fails the same way, fix what GitHub names above',
      );
    default:
      return new ConfigurationError(
        `${call}: GitHub answered ${answer}`,
        'Re-run the job: it picks up where this run stopped',
      );
  }
}

function validationDetails(error: unknown): string {
  const errors = (error as { response?: { data?: { errors?: unknown } } }).response?.data?.errors;
  if (!Array.isArray(errors)) return '';
  const parts = errors
    .map((entry: unknown) =>
      typeof entry === 'string'
        ? entry
        : typeof entry === 'object' && entry !== null
          ? String(
              (entry as { message?: unknown; code?: unknown }).message ??
                (entry as { code?: unknown }).code ??
                '',
            )
          : '',
    )
    .filter((part) => part !== '');
  return parts.length === 0 ? '' : `: ${parts.join('; ')}`;
}

/**
 * Mints an installation token of the GitHub App, scoped to the deployment repo alone with just the permissions a
 * bump needs. Returns the token and a function that revokes it.
 */
export async function installationToken(
  app: { appId: string; privateKey: string },
  repo: Repo,
  onRetry: RetryLog,
): Promise<{ token: string; expiresAt: string }> {
  const octokit = withRetries(
    new GitHub({ authStrategy: createAppAuth, auth: { appId: app.appId, privateKey: app.privateKey } }),
    onRetry,
  );
  let installationId: number;
  try {
    installationId = (await octokit.rest.apps.getRepoInstallation({ owner: repo.owner, repo: repo.repo }))
      .data.id;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) {
      throw new ConfigurationError(
        `the GitHub App ${app.appId} is not installed on ${repo.owner}/${repo.repo} (or that repository does not exist)`,
        'Install the App on the deployment repository, or check "deployment-repo"',
      );
    }
    if (status === 401) {
      throw new ConfigurationError(
        `GitHub refused the App's credentials: ${apiFailure(error).message}`,
        'Check that "private-key" belongs to the App "app-id" names, and that the runner clock is right',
      );
    }
    throw error;
  }
  try {
    const auth = (await octokit.auth({
      type: 'installation',
      installationId,
      repositoryNames: [repo.repo],
      permissions: { contents: 'write', pull_requests: 'write' },
    })) as { token: string; expiresAt: string };
    return { token: auth.token, expiresAt: auth.expiresAt };
  } catch (error) {
    if (statusOf(error) === 422) {
      throw new ConfigurationError(
        `the GitHub App ${app.appId} cannot have contents: write and pull_requests: write on ${repo.owner}/${repo.repo}: ${apiFailure(error).message}`,
        'Grant the App "Contents: Read and write" and "Pull requests: Read and write", and accept the new permissions on the installation',
      );
    }
    throw error;
  }
}

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
    throw error;
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
    throw callError(
      `comparing the bump branch (${head.slice(0, 12)}) with the base (${base.slice(0, 12)}) in ${repo.owner}/${repo.repo}`,
      error,
      'contents: read',
    );
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
    throw callError(
      `listing the open pull requests of ${branch} in ${repo.owner}/${repo.repo}`,
      error,
      'pull-requests: read',
    );
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
    if (failure.status === 403) {
      throw new ConfigurationError(
        `the token cannot open pull requests in ${repo.owner}/${repo.repo}: ${failure.message}`,
        'Give it pull-requests: write (the bump branch is pushed; a re-run opens the pull request)',
      );
    }
    throw error;
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
    throw callError(
      `${changes.state === 'closed' ? 'closing' : 'updating the title and description of'} pull request #${number} in ${repo.owner}/${repo.repo}`,
      error,
      'pull-requests: write',
    );
  }
}

export async function addLabels(api: Api, repo: Repo, number: number, labels: string[]): Promise<void> {
  if (labels.length === 0) return;
  try {
    await api.rest.issues.addLabels({ owner: repo.owner, repo: repo.repo, issue_number: number, labels });
  } catch (error) {
    throw callError(
      `adding the labels ${labels.map((label) => `"${label}"`).join(', ')} to pull request #${number} in ${repo.owner}/${repo.repo}`,
      error,
      'pull-requests: write (or issues: write) — or set "labels: false" to skip the hub labels',
    );
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
      throw callError(
        `removing the label "${label}" from pull request #${number} in ${repo.owner}/${repo.repo}`,
        error,
        'pull-requests: write (or issues: write) — or set "labels: false" to leave the hub labels alone',
      );
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
    throw callError(
      `listing the comments of pull request #${number} in ${repo.owner}/${repo.repo}`,
      error,
      'pull-requests: read',
    );
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
  onRetry?: RetryLog,
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
          request: { [SINGLE_ATTEMPT]: true },
        });
        return true;
      },
      {
        policy: API_RETRY_POLICY,
        classify: (error) =>
          error instanceof ConfigurationError ? { retry: false } : classifyApiFailure(error, Date.now()),
        onRetry: (event) => onRetry?.(what, event),
      },
    );
    return outcome.value;
  } catch (error) {
    throw callError(what, error, 'pull-requests: write (or issues: write)');
  }
}

export async function revokeToken(api: Api): Promise<void> {
  await api.rest.apps.revokeInstallationAccessToken();
}

// ---- the image repository ----

export interface SourceCommit {
  sha: string;
  date: string | undefined;
  htmlUrl: string;
}

function sourceReadError(error: unknown, source: Repo): ConfigurationError | undefined {
  const status = statusOf(error);
  if (status === 401 || status === 403) {
    return new ConfigurationError(
      `"source-token" cannot read ${source.owner}/${source.repo} (${status}): ${apiFailure(error).message}`,
      'The downgrade guard reads the image repository: give a token with contents: read on it (the default github.token works in the image repository itself)',
    );
  }
  return undefined;
}

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
    throw sourceReadError(error, source) ?? error;
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

export type SourceComparison =
  { found: true; status: CompareStatus; behindBy: number; baseDate: string | undefined } | { found: false };

/** Compares CURRENT...NEW in the image repo; `found: false` when CURRENT is not a commit there. */
export async function compareSource(
  api: Api,
  source: Repo,
  current: string,
  next: string,
): Promise<SourceComparison> {
  try {
    const { data } = await api.rest.repos.compareCommitsWithBasehead({
      owner: source.owner,
      repo: source.repo,
      basehead: `${current}...${next}`,
      per_page: 1,
    });
    const base = data.base_commit.commit;
    return {
      found: true,
      status: data.status,
      behindBy: data.behind_by,
      baseDate: base.committer?.date ?? base.author?.date,
    };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404 || status === 422) return { found: false };
    throw sourceReadError(error, source) ?? error;
  }
}
