import type { GitServer } from '../git-server.js';
import { installationRepos } from './apps.js';
import type { Store } from './store.js';
import type { ApiCaller, AppRecord, CommentRecord, LabelRecord, PullRequestRecord } from './types.js';
import { allows, timestamp } from './wire.js';

/** The JSON bodies the fake answers with, with the fields GitHub's API description requires. */
export class Shapes {
  constructor(
    private readonly url: string,
    private readonly serverUrl: string,
    private readonly git: GitServer,
    private readonly store: Store,
  ) {}

  userJson(login: string): Record<string, unknown> {
    return {
      login,
      id: 1,
      type: login.endsWith('[bot]') ? 'Bot' : 'User',
      html_url: `${this.serverUrl}/${login}`,
      url: `${this.url}/users/${encodeURIComponent(login)}`,
    };
  }

  async repoJson(fullName: string, caller?: ApiCaller): Promise<Record<string, unknown>> {
    const [owner = '', name = ''] = fullName.split('/');
    const permissions = caller?.permissions ?? {};
    return {
      id: this.store.repoId(fullName),
      node_id: Buffer.from(`Repository:${fullName}`).toString('base64'),
      name,
      full_name: fullName,
      private: true,
      visibility: 'private',
      fork: false,
      owner: { login: owner, id: 1, type: 'Organization', html_url: `${this.serverUrl}/${owner}` },
      html_url: `${this.serverUrl}/${fullName}`,
      url: `${this.url}/repos/${fullName}`,
      clone_url: this.git.repoUrl(fullName),
      default_branch: await this.git.defaultBranch(fullName),
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
      description: null,
    };
  }

  issueLabels(pull: PullRequestRecord): Array<Record<string, unknown>> {
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
      author_association: 'MEMBER',
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
          commit: {
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
            .map((parent) => ({ sha: parent, url: `${this.url}/repos/${fullName}/commits/${parent}` })),
        };
      });
  }

  async diffFiles(fullName: string, from: string, to: string): Promise<Array<Record<string, unknown>>> {
    const statuses = await this.git.runGit(fullName, ['diff', '--no-renames', '--name-status', from, to]);
    const numbers = await this.git.runGit(fullName, ['diff', '--no-renames', '--numstat', from, to]);
    const counts = new Map<string, [number, number]>();
    for (const line of numbers.stdout.toString().split('\n').filter(Boolean)) {
      const [added = '0', deleted = '0', file = ''] = line.split('\t');
      counts.set(file, [Number(added) || 0, Number(deleted) || 0]);
    }
    const names: Record<string, string> = { A: 'added', M: 'modified', D: 'removed', T: 'changed' };
    return statuses.stdout
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [code = 'M', file = ''] = line.split('\t');
        const [additions, deletions] = counts.get(file) ?? [0, 0];
        return {
          filename: file,
          status: names[code] ?? 'modified',
          additions,
          deletions,
          changes: additions + deletions,
        };
      });
  }

  installationJson(app: AppRecord, installationId: number): Record<string, unknown> {
    const [owner = ''] = (installationRepos(app, installationId)[0] ?? '').split('/');
    return {
      id: installationId,
      account: { login: owner, id: 1, type: 'Organization' },
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
    };
  }
}
