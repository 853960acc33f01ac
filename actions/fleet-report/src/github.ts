import { ConfigurationError } from '@hub-image-actions/action-io';
import { isBumpBranch, readBumpMarker } from '@hub-image-actions/deployment-repo';
import { callError, statusOf, type Api, type CallFacts, type Repo } from '@hub-image-actions/github-access';
import type { ExistingIssue } from './issue-plan.js';
import { ISSUE_MARKER } from './markdown.js';

// The GitHub API calls of a fleet report on the deployment repository, each failure told in terms of the call and
// the permission it needs. Retries of server errors and rate limits happen in the client (packages/github-access).

export type { Api };

/** The label the report's issue carries, so that it is found again in one request. */
export const ISSUE_LABEL = 'fleet-report';

function failed(error: unknown, facts: CallFacts): unknown {
  return callError(error, {
    ...facts,
    permission: `${facts.permission} on the deployment repository`,
    rerun: 'the report is made again from scratch',
  });
}

export async function checkDeploymentRepo(api: Api, repo: Repo): Promise<{ htmlUrl: string }> {
  try {
    const { data } = await api.rest.repos.get({ owner: repo.owner, repo: repo.repo });
    return { htmlUrl: data.html_url };
  } catch (error) {
    if (statusOf(error) === 404) {
      throw new ConfigurationError(
        `input "deployment-repo" is "${repo.owner}/${repo.repo}": no such repository, or the token cannot see it`,
        'Check the name, and that the token (or the GitHub App installation) covers that repository',
      );
    }
    throw failed(error, { call: `reading ${repo.owner}/${repo.repo}`, permission: 'metadata: read' });
  }
}

export interface OpenBumpPull {
  number: number;
  url: string;
  branch: string;
  marker: { image: string; tag: string } | undefined;
}

/** The open pull requests of bump branches (bump-hubploy's), with the image and tag their marker names. */
export async function openBumpPulls(api: Api, repo: Repo): Promise<OpenBumpPull[]> {
  try {
    const pulls = await api.paginate(api.rest.pulls.list, {
      owner: repo.owner,
      repo: repo.repo,
      state: 'open',
      per_page: 100,
    });
    return pulls
      .filter(
        (pull) => isBumpBranch(pull.head.ref) && pull.head.repo?.full_name === `${repo.owner}/${repo.repo}`,
      )
      .map((pull) => ({
        number: pull.number,
        url: pull.html_url,
        branch: pull.head.ref,
        marker: readBumpMarker(pull.body ?? ''),
      }));
  } catch (error) {
    throw failed(error, {
      call: `listing the open pull requests of ${repo.owner}/${repo.repo}`,
      permission: 'pull-requests: read',
    });
  }
}

function issueFrom(data: {
  number: number;
  html_url: string;
  state: string;
  title: string;
  body?: string | null;
}): ExistingIssue {
  return {
    number: data.number,
    url: data.html_url,
    state: data.state === 'closed' ? 'closed' : 'open',
    title: data.title,
    body: data.body ?? '',
  };
}

/** How many pages of open issues are searched for the marker when no issue carries the label. */
const UNLABELLED_PAGES = 3;

/**
 * The issues this action wrote: those with its label (open or closed), else open ones whose body holds its marker
 * (the label may have been removed by hand). Pull requests, which GitHub lists among issues, are left out.
 */
export async function reportIssues(api: Api, repo: Repo): Promise<ExistingIssue[]> {
  const call = `listing the issues of ${repo.owner}/${repo.repo}`;
  try {
    const labelled = await api.paginate(api.rest.issues.listForRepo, {
      owner: repo.owner,
      repo: repo.repo,
      labels: ISSUE_LABEL,
      state: 'all',
      per_page: 100,
    });
    const ours = labelled.filter(
      (issue) => issue.pull_request === undefined && (issue.body ?? '').includes(ISSUE_MARKER),
    );
    if (ours.length > 0) return ours.map(issueFrom);
    const found: ExistingIssue[] = [];
    for (let page = 1; page <= UNLABELLED_PAGES; page += 1) {
      const { data } = await api.rest.issues.listForRepo({
        owner: repo.owner,
        repo: repo.repo,
        state: 'open',
        per_page: 100,
        page,
      });
      for (const issue of data) {
        if (issue.pull_request === undefined && (issue.body ?? '').includes(ISSUE_MARKER))
          found.push(issueFrom(issue));
      }
      if (data.length < 100) break;
    }
    return found;
  } catch (error) {
    throw failed(error, { call, permission: 'issues: read' });
  }
}

const WRITE_FIX = 'issues: write (or set "issue: false")';

/** Opens the issue; a failure is thrown as it came (see createFailure): the caller first looks whether it landed. */
export async function createIssue(
  api: Api,
  repo: Repo,
  title: string,
  body: string,
): Promise<ExistingIssue & { labelled: boolean }> {
  const { data } = await api.rest.issues.create({
    owner: repo.owner,
    repo: repo.repo,
    title,
    body,
    labels: [ISSUE_LABEL],
    // Not retried blindly: a lost answer may hide an issue GitHub made (the caller looks before trying again).
    request: { retries: 0 },
  });
  const labelled = data.labels.some(
    (label) => (typeof label === 'string' ? label : label.name) === ISSUE_LABEL,
  );
  return { ...issueFrom(data), labelled };
}

export function createFailure(error: unknown, repo: Repo): unknown {
  return failed(error, {
    call: `opening the report issue in ${repo.owner}/${repo.repo}`,
    permission: WRITE_FIX,
  });
}

export async function updateIssue(
  api: Api,
  repo: Repo,
  number: number,
  changes: { title?: string; body?: string; state?: 'open' | 'closed' },
): Promise<ExistingIssue> {
  const what = changes.state === 'closed' ? 'closing' : changes.state === 'open' ? 'reopening' : 'updating';
  try {
    const { data } = await api.rest.issues.update({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: number,
      ...changes,
      ...(changes.state === 'closed' ? { state_reason: 'completed' as const } : {}),
    });
    return issueFrom(data);
  } catch (error) {
    throw failed(error, {
      call: `${what} the report issue #${number} in ${repo.owner}/${repo.repo}`,
      permission: WRITE_FIX,
    });
  }
}

export async function commentOnIssue(api: Api, repo: Repo, number: number, body: string): Promise<void> {
  try {
    await api.rest.issues.createComment({
      owner: repo.owner,
      repo: repo.repo,
      issue_number: number,
      body,
      request: { retries: 0 },
    });
  } catch (error) {
    throw failed(error, {
      call: `commenting on the report issue #${number} in ${repo.owner}/${repo.repo}`,
      permission: WRITE_FIX,
    });
  }
}
