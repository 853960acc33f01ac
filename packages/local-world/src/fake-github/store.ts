import {
  GitHubApiError,
  type AppRecord,
  type CommentRecord,
  type FakeGitHubSnapshot,
  type IssueRecord,
  type LabelRecord,
  type MergedPull,
  type PullRequestRecord,
} from './types.js';
import { timestamp, validationFailed } from './wire.js';

/** What the fake keeps of repositories beyond git: pull requests, comments, labels and the numbers handed out. */
export class Store {
  readonly pulls: PullRequestRecord[] = [];
  readonly issues: IssueRecord[] = [];
  readonly comments: CommentRecord[] = [];
  readonly issueCounters = new Map<string, number>();
  readonly labels = new Map<string, Map<string, LabelRecord>>();
  readonly repoIds = new Map<string, number>();
  private nextId = 1000;

  repoId(fullName: string): number {
    let id = this.repoIds.get(fullName);
    if (id === undefined) {
      id = this.newId();
      this.repoIds.set(fullName, id);
    }
    return id;
  }

  newId(): number {
    this.nextId += 1;
    return this.nextId;
  }

  findPull(fullName: string, number: string | undefined): PullRequestRecord {
    const pull = this.pulls.find(
      (candidate) => candidate.repo === fullName && String(candidate.number) === number,
    );
    if (pull === undefined) throw new GitHubApiError(404, 'Not Found');
    return pull;
  }

  findIssue(fullName: string, number: string | undefined): IssueRecord | undefined {
    return this.issues.find(
      (candidate) => candidate.repo === fullName && String(candidate.number) === number,
    );
  }

  /** An issue or a pull request by its number: GitHub serves comments and labels of both as the issue's. */
  findThread(fullName: string, number: string | undefined): PullRequestRecord | IssueRecord {
    const issue = this.findIssue(fullName, number);
    return issue ?? this.findPull(fullName, number);
  }

  /** The next issue or pull request number of a repository. */
  nextNumber(fullName: string): number {
    const number = (this.issueCounters.get(fullName) ?? 0) + 1;
    this.issueCounters.set(fullName, number);
    return number;
  }

  assertNoOpenDuplicate(fullName: string, headLabel: string, base: string): void {
    const duplicate = this.pulls.some(
      (pull) =>
        pull.repo === fullName &&
        pull.state === 'open' &&
        pull.head.label === headLabel &&
        pull.base.ref === base,
    );
    if (duplicate) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${headLabel}.`,
      });
    }
  }

  /** Registers a merged PR whose merge commit (or head commit) is the given sha. */
  addMergedPull(serverUrl: string, fullName: string, pull: MergedPull): PullRequestRecord {
    const [owner = ''] = fullName.split('/');
    const headRef = pull.headRef ?? `merged-${pull.number}`;
    const now = timestamp();
    const record: PullRequestRecord = {
      repo: fullName,
      number: pull.number,
      state: 'closed',
      title: pull.title,
      body: null,
      head: { ref: headRef, sha: pull.headSha ?? pull.mergeCommitSha, label: `${owner}:${headRef}` },
      base: { ref: pull.baseRef ?? 'main' },
      labels: [],
      draft: false,
      merged: true,
      merged_at: now,
      merge_commit_sha: pull.mergeCommitSha,
      created_at: now,
      updated_at: now,
      closed_at: now,
      html_url: `${serverUrl}/${fullName}/pull/${pull.number}`,
      user: 'octocat',
    };
    this.pulls.push(record);
    this.issueCounters.set(fullName, Math.max(this.issueCounters.get(fullName) ?? 0, pull.number));
    return record;
  }

  /** Pull requests, comments, labels and counters as plain JSON, e.g. to carry them to a later fake. */
  snapshot(serverUrl: string): FakeGitHubSnapshot {
    const copy = <T>(value: T): T => structuredClone(value);
    return {
      version: 1,
      serverUrl,
      pulls: copy(this.pulls),
      comments: copy(this.comments),
      issueCounters: Object.fromEntries(this.issueCounters),
      labels: Object.fromEntries(
        [...this.labels].map(([repo, labels]) => [repo, copy([...labels.values()])]),
      ),
      repoIds: Object.fromEntries(this.repoIds),
      nextId: this.nextId,
      issues: copy(this.issues),
    };
  }

  /**
   * Loads a snapshot into a fake that has none of its own yet: numbering continues where the snapshot's fake left
   * off, and html links move to this fake's git server. The repos themselves must be on that git server.
   */
  restore(snapshot: FakeGitHubSnapshot, serverUrl: string): void {
    if (snapshot.version !== 1) throw new Error(`FakeGitHub snapshot version ${String(snapshot.version)}`);
    if (this.pulls.length > 0 || this.issues.length > 0 || this.comments.length > 0 || this.labels.size > 0) {
      throw new Error('FakeGitHub.restore: this fake already has pull requests, comments or labels');
    }
    const rebase = (url: string) =>
      url.startsWith(`${snapshot.serverUrl}/`) ? `${serverUrl}${url.slice(snapshot.serverUrl.length)}` : url;
    for (const pull of structuredClone(snapshot.pulls))
      this.pulls.push({ ...pull, html_url: rebase(pull.html_url) });
    for (const issue of structuredClone(snapshot.issues ?? []))
      this.issues.push({ ...issue, html_url: rebase(issue.html_url) });
    for (const comment of structuredClone(snapshot.comments)) {
      this.comments.push({ ...comment, html_url: rebase(comment.html_url) });
    }
    for (const [repo, count] of Object.entries(snapshot.issueCounters)) this.issueCounters.set(repo, count);
    for (const [repo, labels] of Object.entries(snapshot.labels)) {
      this.labels.set(repo, new Map(labels.map((label) => [label.name.toLowerCase(), { ...label }])));
    }
    for (const [repo, id] of Object.entries(snapshot.repoIds)) this.repoIds.set(repo, id);
    this.nextId = Math.max(this.nextId, snapshot.nextId);
  }
}

/** The repositories an installation of `app` covers. */
export function installationRepos(app: AppRecord, installationId: number): string[] {
  return Object.entries(app.installations)
    .filter(([, id]) => id === installationId)
    .map(([fullName]) => fullName);
}
