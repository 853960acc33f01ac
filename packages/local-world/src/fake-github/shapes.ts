import type { GitServer } from '../git-server.js';
import { installationRepos, type Store } from './store.js';
import type {
  ApiCaller,
  AppRecord,
  CommentRecord,
  IssueRecord,
  LabelRecord,
  PullRequestRecord,
} from './types.js';
import { allows, timestamp } from './wire.js';

/** The JSON bodies the fake answers with, with the fields GitHub's API description requires. */
export class Shapes {
  constructor(
    private readonly url: string,
    private readonly serverUrl: string,
    private readonly git: GitServer,
    private readonly store: Store,
  ) {}

  /** A simple-user: every URL GitHub lists, on this fake's API and git server. */
  userJson(login: string, type = login.endsWith('[bot]') ? 'Bot' : 'User'): Record<string, unknown> {
    const api = `${this.url}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id: this.store.repoId(`user:${login}`),
      node_id: Buffer.from(`User:${login}`).toString('base64'),
      avatar_url: `${this.serverUrl}/avatars/${encodeURIComponent(login)}`,
      gravatar_id: '',
      url: api,
      // A bot's page is its app's: /apps/SLUG.
      html_url: `${this.serverUrl}/${login.endsWith('[bot]') ? `apps/${encodeURIComponent(login.slice(0, -5))}` : encodeURIComponent(login)}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type,
      site_admin: false,
    };
  }

  /** A full-repository (which is also a repository): every field GitHub's description requires. */
  async repoJson(fullName: string, caller?: ApiCaller): Promise<Record<string, unknown>> {
    const [owner = '', name = ''] = fullName.split('/');
    const permissions = caller?.permissions ?? {};
    const api = `${this.url}/repos/${fullName}`;
    const created = timestamp(new Date(0));
    const urls = Object.fromEntries(
      [
        ['archive_url', '/{archive_format}{/ref}'],
        ['assignees_url', '/assignees{/user}'],
        ['blobs_url', '/git/blobs{/sha}'],
        ['branches_url', '/branches{/branch}'],
        ['collaborators_url', '/collaborators{/collaborator}'],
        ['comments_url', '/comments{/number}'],
        ['commits_url', '/commits{/sha}'],
        ['compare_url', '/compare/{base}...{head}'],
        ['contents_url', '/contents/{+path}'],
        ['contributors_url', '/contributors'],
        ['deployments_url', '/deployments'],
        ['downloads_url', '/downloads'],
        ['events_url', '/events'],
        ['forks_url', '/forks'],
        ['git_commits_url', '/git/commits{/sha}'],
        ['git_refs_url', '/git/refs{/sha}'],
        ['git_tags_url', '/git/tags{/sha}'],
        ['hooks_url', '/hooks'],
        ['issue_comment_url', '/issues/comments{/number}'],
        ['issue_events_url', '/issues/events{/number}'],
        ['issues_url', '/issues{/number}'],
        ['keys_url', '/keys{/key_id}'],
        ['labels_url', '/labels{/name}'],
        ['languages_url', '/languages'],
        ['merges_url', '/merges'],
        ['milestones_url', '/milestones{/number}'],
        ['notifications_url', '/notifications{?since,all,participating}'],
        ['pulls_url', '/pulls{/number}'],
        ['releases_url', '/releases{/id}'],
        ['stargazers_url', '/stargazers'],
        ['statuses_url', '/statuses/{sha}'],
        ['subscribers_url', '/subscribers'],
        ['subscription_url', '/subscription'],
        ['tags_url', '/tags'],
        ['teams_url', '/teams'],
        ['trees_url', '/git/trees{/sha}'],
      ].map(([key, path]) => [key, `${api}${path}`]),
    );
    return {
      id: this.store.repoId(fullName),
      node_id: Buffer.from(`Repository:${fullName}`).toString('base64'),
      name,
      full_name: fullName,
      private: true,
      visibility: 'private',
      fork: false,
      owner: this.userJson(owner, 'Organization'),
      html_url: `${this.serverUrl}/${fullName}`,
      description: null,
      url: api,
      ...urls,
      clone_url: this.git.repoUrl(fullName),
      git_url: this.git.repoUrl(fullName).replace(/^https?:/, 'git:'),
      ssh_url: `git@127.0.0.1:${fullName}.git`,
      svn_url: `${this.serverUrl}/${fullName}`,
      mirror_url: null,
      homepage: null,
      language: null,
      license: null,
      default_branch: await this.git.defaultBranch(fullName),
      forks: 0,
      forks_count: 0,
      stargazers_count: 0,
      watchers: 0,
      watchers_count: 0,
      open_issues: 0,
      open_issues_count: 0,
      network_count: 0,
      subscribers_count: 0,
      size: 0,
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: false,
      has_discussions: false,
      archived: false,
      disabled: false,
      pushed_at: timestamp(),
      created_at: created,
      updated_at: created,
      ...(caller === undefined
        ? {}
        : {
            permissions: {
              admin: false,
              maintain: false,
              push: allows(permissions.contents, 'write'),
              triage: allows(permissions.issues, 'write') || allows(permissions.pull_requests, 'write'),
              pull: true,
            },
          }),
    };
  }

  labelJson(fullName: string, label: LabelRecord): Record<string, unknown> {
    return {
      id: label.id,
      node_id: Buffer.from(`Label:${label.id}`).toString('base64'),
      url: `${this.url}/repos/${fullName}/labels/${encodeURIComponent(label.name)}`,
      name: label.name,
      color: label.color,
      default: false,
      // GitHub sends null for a label without one; the pull request listing's description says string.
      description: '',
    };
  }

  issueLabels(pull: Pick<PullRequestRecord, 'repo' | 'labels'>): Array<Record<string, unknown>> {
    const known = this.store.labels.get(pull.repo) ?? new Map<string, LabelRecord>();
    return pull.labels.flatMap((name) => {
      const label = known.get(name.toLowerCase());
      return label === undefined ? [] : [this.labelJson(pull.repo, label)];
    });
  }

  async pullJson(pull: PullRequestRecord): Promise<Record<string, unknown>> {
    if (pull.state === 'open') {
      pull.head.sha = (await this.git.resolve(pull.repo, `refs/heads/${pull.head.ref}`)) ?? pull.head.sha;
    }
    const baseSha = (await this.git.resolve(pull.repo, `refs/heads/${pull.base.ref}`)) ?? null;
    const [owner = ''] = pull.repo.split('/');
    const repo = await this.repoJson(pull.repo);
    const apiUrl = `${this.url}/repos/${pull.repo}`;
    return {
      url: `${apiUrl}/pulls/${pull.number}`,
      id: this.store.repoId(`${pull.repo}#${pull.number}`),
      node_id: Buffer.from(`PullRequest:${pull.repo}#${pull.number}`).toString('base64'),
      html_url: pull.html_url,
      diff_url: `${pull.html_url}.diff`,
      patch_url: `${pull.html_url}.patch`,
      issue_url: `${apiUrl}/issues/${pull.number}`,
      comments_url: `${apiUrl}/issues/${pull.number}/comments`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.userJson(pull.user),
      body: pull.body,
      labels: this.issueLabels(pull),
      created_at: pull.created_at,
      updated_at: pull.updated_at,
      closed_at: pull.closed_at,
      merged_at: pull.merged_at,
      merge_commit_sha: pull.merge_commit_sha,
      draft: pull.draft,
      head: {
        label: pull.head.label,
        ref: pull.head.ref,
        sha: pull.head.sha,
        user: this.userJson(owner),
        repo,
      },
      base: {
        label: `${owner}:${pull.base.ref}`,
        ref: pull.base.ref,
        sha: baseSha,
        user: this.userJson(owner),
        repo,
      },
      merged: pull.merged,
      mergeable: null,
      rebaseable: null,
      mergeable_state: 'unknown',
      merged_by: pull.merged ? this.userJson(pull.user) : null,
      maintainer_can_modify: false,
      author_association: 'MEMBER',
      auto_merge: null,
      active_lock_reason: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      milestone: null,
      commits_url: `${apiUrl}/pulls/${pull.number}/commits`,
      review_comments_url: `${apiUrl}/pulls/${pull.number}/comments`,
      review_comment_url: `${apiUrl}/pulls/comments{/number}`,
      statuses_url: `${apiUrl}/statuses/${pull.head.sha}`,
      comments: this.store.comments.filter((c) => c.repo === pull.repo && c.issueNumber === pull.number)
        .length,
      review_comments: 0,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
      _links: {
        self: { href: `${apiUrl}/pulls/${pull.number}` },
        html: { href: pull.html_url },
        issue: { href: `${apiUrl}/issues/${pull.number}` },
        comments: { href: `${apiUrl}/issues/${pull.number}/comments` },
        review_comments: { href: `${apiUrl}/pulls/${pull.number}/comments` },
        review_comment: { href: `${apiUrl}/pulls/comments{/number}` },
        commits: { href: `${apiUrl}/pulls/${pull.number}/commits` },
        statuses: { href: `${apiUrl}/statuses/${pull.head.sha}` },
      },
    };
  }

  /** An issue, or a pull request as the issues API lists it (with `pull_request`). */
  issueJson(issue: IssueRecord | PullRequestRecord): Record<string, unknown> {
    const api = `${this.url}/repos/${issue.repo}/issues/${issue.number}`;
    const pull = 'head' in issue;
    return {
      id: this.store.repoId(`${issue.repo}#${issue.number}`),
      node_id: Buffer.from(`${pull ? 'PullRequest' : 'Issue'}:${issue.repo}#${issue.number}`).toString(
        'base64',
      ),
      url: api,
      repository_url: `${this.url}/repos/${issue.repo}`,
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: issue.html_url,
      number: issue.number,
      state: issue.state,
      state_reason: pull ? null : issue.state_reason,
      title: issue.title,
      body: issue.body,
      user: this.userJson(issue.user),
      labels: this.issueLabels(issue),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: this.store.comments.filter((c) => c.repo === issue.repo && c.issueNumber === issue.number)
        .length,
      closed_at: issue.closed_at,
      created_at: issue.created_at,
      updated_at: issue.updated_at,
      author_association: 'MEMBER',
      ...(pull
        ? {
            draft: issue.draft,
            pull_request: {
              url: `${this.url}/repos/${issue.repo}/pulls/${issue.number}`,
              html_url: issue.html_url,
              diff_url: `${issue.html_url}.diff`,
              patch_url: `${issue.html_url}.patch`,
              merged_at: issue.merged_at,
            },
          }
        : {}),
    };
  }

  commentJson(comment: CommentRecord): Record<string, unknown> {
    return {
      id: comment.id,
      node_id: Buffer.from(`IssueComment:${comment.id}`).toString('base64'),
      url: `${this.url}/repos/${comment.repo}/issues/comments/${comment.id}`,
      html_url: comment.html_url,
      issue_url: `${this.url}/repos/${comment.repo}/issues/${comment.issueNumber}`,
      body: comment.body,
      user: this.userJson(comment.user),
      created_at: comment.created_at,
      updated_at: comment.updated_at,
      author_association: 'MEMBER',
    };
  }

  async commits(fullName: string, args: string[]): Promise<Array<Record<string, unknown>>> {
    const format = '%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B%x1e';
    const result = await this.git.runGit(fullName, ['log', `--format=${format}`, ...args]);
    if (result.code !== 0) throw new Error(`git log failed: ${result.stderr}`);
    return result.stdout
      .toString('utf8')
      .split('\x1e')
      .map((entry) => entry.replace(/^\n/, ''))
      .filter((entry) => entry !== '')
      .map((entry) => {
        const [
          sha = '',
          tree = '',
          parents = '',
          an = '',
          ae = '',
          ad = '',
          cn = '',
          ce = '',
          cd = '',
          message = '',
        ] = entry.split('\0');
        return {
          sha,
          node_id: Buffer.from(`Commit:${sha}`).toString('base64'),
          url: `${this.url}/repos/${fullName}/commits/${sha}`,
          html_url: `${this.serverUrl}/${fullName}/commit/${sha}`,
          comments_url: `${this.url}/repos/${fullName}/commits/${sha}/comments`,
          commit: {
            url: `${this.url}/repos/${fullName}/git/commits/${sha}`,
            author: { name: an, email: ae, date: timestamp(new Date(ad)) },
            committer: { name: cn, email: ce, date: timestamp(new Date(cd)) },
            message: message.replace(/\n+$/, ''),
            tree: { sha: tree, url: `${this.url}/repos/${fullName}/git/trees/${tree}` },
            comment_count: 0,
          },
          author: null,
          committer: null,
          parents: parents
            .split(' ')
            .filter((parent) => parent !== '')
            .map((parent) => ({
              sha: parent,
              url: `${this.url}/repos/${fullName}/commits/${parent}`,
              html_url: `${this.serverUrl}/${fullName}/commit/${parent}`,
            })),
        };
      });
  }

  /** The diff-entries of FROM..TO: one per file, with its blob and the counts git gives. */
  async diffFiles(fullName: string, from: string, to: string): Promise<Array<Record<string, unknown>>> {
    const raw = await this.git.runGit(fullName, ['diff', '--no-renames', '--raw', '--no-abbrev', from, to]);
    const numbers = await this.git.runGit(fullName, ['diff', '--no-renames', '--numstat', from, to]);
    const counts = new Map<string, [number, number]>();
    for (const line of numbers.stdout.toString().split('\n').filter(Boolean)) {
      const [added = '0', deleted = '0', file = ''] = line.split('\t');
      counts.set(file, [Number(added) || 0, Number(deleted) || 0]);
    }
    const names: Record<string, string> = { A: 'added', M: 'modified', D: 'removed', T: 'changed' };
    return raw.stdout
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        // ":100644 100644 OLD NEW M\tpath"
        const [meta = '', file = ''] = line.split('\t');
        const [, , oldBlob = '', newBlob = '', code = 'M'] = meta.split(' ');
        const blob = /^0+$/.test(newBlob) ? oldBlob : newBlob;
        const ref = code === 'D' ? from : to;
        const [additions, deletions] = counts.get(file) ?? [0, 0];
        return {
          sha: blob,
          filename: file,
          status: names[code] ?? 'modified',
          additions,
          deletions,
          changes: additions + deletions,
          blob_url: `${this.serverUrl}/${fullName}/blob/${ref}/${file}`,
          raw_url: `${this.serverUrl}/${fullName}/raw/${ref}/${file}`,
          contents_url: `${this.url}/repos/${fullName}/contents/${file}?ref=${ref}`,
        };
      });
  }

  installationJson(app: AppRecord, installationId: number): Record<string, unknown> {
    const [owner = ''] = (installationRepos(app, installationId)[0] ?? '').split('/');
    return {
      id: installationId,
      account: this.userJson(owner, 'Organization'),
      repository_selection: 'selected',
      access_tokens_url: `${this.url}/app/installations/${installationId}/access_tokens`,
      repositories_url: `${this.url}/installation/repositories`,
      html_url: `${this.serverUrl}/organizations/${owner}/settings/installations/${installationId}`,
      app_id: app.id,
      app_slug: app.slug,
      target_id: 1,
      target_type: 'Organization',
      permissions: { ...app.permissions, metadata: 'read' },
      events: [],
      created_at: timestamp(),
      updated_at: timestamp(),
      single_file_name: null,
      suspended_at: null,
      suspended_by: null,
    };
  }
}
