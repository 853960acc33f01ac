import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeGitHub } from '../src/fake-github.js';
import { GitServer } from '../src/git-server.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

const REPO = 'acme/deploy';
const FULL = 'gh-full-token';
const READER = 'gh-reader-token';
const ISSUES_ONLY = 'gh-issues-token';
const OTHER = 'gh-other-token';

let git: GitServer;
let github: FakeGitHub;
let work: string;

interface ApiResult {
  status: number;
  headers: Headers;
  // Parsed JSON; the tests read fields they expect to be there.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

async function api(
  method: string,
  path: string,
  options: { token?: string; authorization?: string; body?: unknown } = {},
): Promise<ApiResult> {
  const headers: Record<string, string> = { accept: 'application/vnd.github+json' };
  const authorization =
    options.authorization ?? (options.token === undefined ? undefined : `token ${options.token}`);
  if (authorization !== undefined) headers['authorization'] = authorization;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${github.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? undefined : JSON.parse(text),
  };
}

function appJwt(
  issuer: number | string,
  privateKeyPem: string,
  claims: { iat?: number; exp?: number } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
    iat: claims.iat ?? now - 30,
    exp: claims.exp ?? now + 540,
    iss: issuer,
  })}`;
  return `${unsigned}.${sign('RSA-SHA256', Buffer.from(unsigned), privateKeyPem).toString('base64url')}`;
}

function gitClient(args: string[], token: string, cwd = work) {
  const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: work,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    GIT_AUTHOR_NAME: 'Bot',
    GIT_AUTHOR_EMAIL: 'bot@example.invalid',
    GIT_COMMITTER_NAME: 'Bot',
    GIT_COMMITTER_EMAIL: 'bot@example.invalid',
  };
  return new Promise<{ code: number; stderr: string }>((resolve, reject) => {
    const child = spawn('git', args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}

beforeAll(async () => {
  work = await makeTempDir('fake-github-test');
  git = await GitServer.start();
  github = await FakeGitHub.start({ git });
  await git.createRepo(REPO, { files: { 'deployments/a/config/common.yaml': 'tag: one\n' } });
  await git.createRepo('acme/other', { files: { 'x.txt': 'x\n' } });
  await git.commit(
    REPO,
    'update-a-image-tag-two',
    { 'deployments/a/config/common.yaml': 'tag: two\n' },
    'Bump a',
  );
  github.addToken(FULL, { login: 'image-bot' });
  github.addToken(READER, { permissions: { contents: 'read', pull_requests: 'read' } });
  github.addToken(ISSUES_ONLY, { permissions: { issues: 'write' } });
  github.addToken(OTHER, { repos: ['acme/other'] });
});

afterAll(async () => {
  await github.stop();
  await git.stop();
  await removeDir(work);
});

describe('FakeGitHub authentication and repos', () => {
  it('serves GET /repos/:owner/:repo with GitHub headers, accepting "token" and "Bearer"', async () => {
    for (const authorization of [`token ${FULL}`, `Bearer ${FULL}`, `bearer ${FULL}`]) {
      const repo = await api('GET', `/repos/${REPO}`, { authorization });
      expect(repo.status).toBe(200);
      expect(repo.json).toMatchObject({
        full_name: REPO,
        name: 'deploy',
        default_branch: 'main',
        html_url: `${github.serverUrl}/${REPO}`,
        private: true,
        permissions: { push: true, pull: true, admin: false },
      });
      expect(repo.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(repo.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:/);
      expect(repo.headers.get('x-ratelimit-limit')).toBe('5000');
      expect(Number(repo.headers.get('x-ratelimit-remaining'))).toBeLessThan(5000);
    }
    const reader = await api('GET', `/repos/${REPO}`, { token: READER });
    expect(reader.json.permissions).toMatchObject({ push: false, pull: true });
  });

  it('points serverUrl at the git server, so html links double as clone URLs', () => {
    expect(github.serverUrl).toBe(git.url);
    expect(github.url).not.toBe(git.url);
  });

  it('answers 401 Bad credentials for an unknown token and 401 without any', async () => {
    const bad = await api('GET', `/repos/${REPO}`, { token: 'nope' });
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401',
    });
    const anonymous = await api('GET', `/repos/${REPO}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.message).toBe('Requires authentication');
    expect(github.requests.at(-2)).toMatchObject({
      method: 'GET',
      path: `/repos/${REPO}`,
      status: 401,
      token: 'nope',
    });
  });

  it('answers 404 Not Found for repos the token cannot see and for missing repos', async () => {
    const hidden = await api('GET', `/repos/${REPO}`, { token: OTHER });
    expect(hidden.status).toBe(404);
    expect(hidden.json).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
      status: '404',
    });
    expect((await api('GET', '/repos/acme/other', { token: OTHER })).status).toBe(200);
    expect((await api('GET', '/repos/acme/missing', { token: FULL })).status).toBe(404);
    expect((await api('GET', '/no/such/endpoint', { token: FULL })).status).toBe(404);
  });

  it('answers 403 Resource not accessible by integration when a permission is missing', async () => {
    const create = await api('POST', `/repos/${REPO}/pulls`, {
      token: READER,
      body: { title: 't', head: 'update-a-image-tag-two', base: 'main' },
    });
    expect(create.status).toBe(403);
    expect(create.json).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '403',
    });
    expect((await api('GET', `/repos/${REPO}/pulls`, { token: ISSUES_ONLY })).status).toBe(403);
    expect((await api('GET', `/repos/${REPO}/compare/main...main`, { token: ISSUES_ONLY })).status).toBe(403);
    expect(github.pulls).toHaveLength(0);
  });
});

describe('FakeGitHub pull requests, labels and comments', () => {
  let number: number;

  it('creates a PR (201) and lists and gets it with the head filter', async () => {
    const created = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 'Bump hub a', head: 'acme:update-a-image-tag-two', base: 'main', body: 'Image PR: #1' },
    });
    expect(created.status).toBe(201);
    number = created.json.number;
    const headSha = await git.resolve(REPO, 'update-a-image-tag-two');
    expect(created.json).toMatchObject({
      number: 1,
      state: 'open',
      title: 'Bump hub a',
      body: 'Image PR: #1',
      html_url: `${git.url}/${REPO}/pull/1`,
      head: { ref: 'update-a-image-tag-two', sha: headSha, label: 'acme:update-a-image-tag-two' },
      base: { ref: 'main', sha: await git.resolve(REPO, 'main') },
      merged: false,
      user: { login: 'image-bot' },
    });
    expect(created.headers.get('location')).toBe(`${github.url}/repos/${REPO}/pulls/1`);
    expect(github.pulls[0]).toMatchObject({
      repo: REPO,
      number: 1,
      state: 'open',
      labels: [],
      merged: false,
    });

    const listed = await api(
      'GET',
      `/repos/${REPO}/pulls?state=open&head=acme:update-a-image-tag-two&base=main`,
      {
        token: READER,
      },
    );
    expect(listed.status).toBe(200);
    expect(listed.json.map((pull: { number: number }) => pull.number)).toEqual([1]);
    const otherHead = await api('GET', `/repos/${REPO}/pulls?head=acme:something-else`, { token: READER });
    expect(otherHead.json).toEqual([]);
    // Like GitHub, a head filter without 'owner:' is silently ignored.
    const bareHead = await api('GET', `/repos/${REPO}/pulls?head=something-else`, { token: READER });
    expect(bareHead.json.map((pull: { number: number }) => pull.number)).toEqual([1]);
    const closedOnly = await api('GET', `/repos/${REPO}/pulls?state=closed`, { token: READER });
    expect(closedOnly.json).toEqual([]);
    const single = await api('GET', `/repos/${REPO}/pulls/${number}`, { token: READER });
    expect(single.json).toMatchObject({ number: 1, title: 'Bump hub a' });
    expect((await api('GET', `/repos/${REPO}/pulls/99`, { token: READER })).status).toBe(404);
  });

  it('answers 422 with the exact message for a duplicate PR', async () => {
    const duplicate = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 'Again', head: 'update-a-image-tag-two', base: 'main' },
    });
    expect(duplicate.status).toBe(422);
    expect(duplicate.json).toEqual({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'PullRequest',
          code: 'custom',
          message: 'A pull request already exists for acme:update-a-image-tag-two.',
        },
      ],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });
  });

  it('answers 422 for a missing head branch, a missing base, no new commits and missing fields', async () => {
    const noHead = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 't', head: 'no-such-branch', base: 'main' },
    });
    expect(noHead.status).toBe(422);
    expect(noHead.json.errors).toEqual([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    const noBase = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 't', head: 'update-a-image-tag-two', base: 'staging' },
    });
    expect(noBase.json.errors).toEqual([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    await git.commit(REPO, 'empty-change', {}, 'Nothing new');
    await git.runGit(REPO, ['update-ref', 'refs/heads/same-as-main', 'refs/heads/main']);
    const noCommits = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 't', head: 'same-as-main', base: 'main' },
    });
    expect(noCommits.status).toBe(422);
    expect(noCommits.json.errors).toEqual([
      { resource: 'PullRequest', code: 'custom', message: 'No commits between main and same-as-main' },
    ]);
    const noTitle = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { head: 'x', base: 'main' },
    });
    expect(noTitle.status).toBe(422);
    expect(noTitle.json.message).toBe('Invalid request.\n\n"title" wasn\'t supplied.');
    expect(github.pulls).toHaveLength(1);
  });

  it('adds labels (creating missing ones) and lists them', async () => {
    const added = await api('POST', `/repos/${REPO}/issues/${number}/labels`, {
      token: FULL,
      body: { labels: ['hub: a', 'image-bump'] },
    });
    expect(added.status).toBe(200);
    expect(added.json.map((label: { name: string }) => label.name)).toEqual(['hub: a', 'image-bump']);
    expect(added.json[0]).toMatchObject({ name: 'hub: a', color: 'ededed', default: false });
    const again = await api('POST', `/repos/${REPO}/issues/${number}/labels`, {
      token: ISSUES_ONLY,
      body: { labels: ['IMAGE-BUMP', 'extra'] },
    });
    expect(again.json.map((label: { name: string }) => label.name)).toEqual([
      'hub: a',
      'image-bump',
      'extra',
    ]);
    const listed = await api('GET', `/repos/${REPO}/issues/${number}/labels`, { token: READER });
    expect(listed.json).toHaveLength(3);
    expect(github.pulls[0]?.labels).toEqual(['hub: a', 'image-bump', 'extra']);
    expect(
      (
        await api('POST', `/repos/${REPO}/issues/${number}/labels`, {
          token: READER,
          body: { labels: ['x'] },
        })
      ).status,
    ).toBe(403);
    expect(
      (await api('POST', `/repos/${REPO}/issues/77/labels`, { token: FULL, body: { labels: ['x'] } })).status,
    ).toBe(404);
  });

  it('removes a label from an issue (200 with the rest), 404 when the issue lacks it, 403 without write', async () => {
    const removed = await api(
      'DELETE',
      `/repos/${REPO}/issues/${number}/labels/${encodeURIComponent('HUB: A')}`,
      {
        token: FULL,
      },
    );
    expect(removed.status).toBe(200);
    expect(removed.json.map((label: { name: string }) => label.name)).toEqual(['image-bump', 'extra']);
    expect(github.pulls[0]?.labels).toEqual(['image-bump', 'extra']);
    const missing = await api(
      'DELETE',
      `/repos/${REPO}/issues/${number}/labels/${encodeURIComponent('hub: a')}`,
      {
        token: FULL,
      },
    );
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ message: 'Label does not exist' });
    const readOnly = await api('DELETE', `/repos/${REPO}/issues/${number}/labels/extra`, { token: READER });
    expect(readOnly.status).toBe(403);
    expect(github.pulls[0]?.labels).toEqual(['image-bump', 'extra']);
  });

  it('creates (201) and lists comments, paginated with a Link header', async () => {
    for (const body of ['first', 'second']) {
      const created = await api('POST', `/repos/${REPO}/issues/${number}/comments`, {
        token: FULL,
        body: { body },
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ body, user: { login: 'image-bot' } });
      expect(created.json.html_url).toBe(`${git.url}/${REPO}/pull/1#issuecomment-${created.json.id}`);
    }
    const all = await api('GET', `/repos/${REPO}/issues/${number}/comments`, { token: READER });
    expect(all.json.map((comment: { body: string }) => comment.body)).toEqual(['first', 'second']);
    const firstPage = await api('GET', `/repos/${REPO}/issues/${number}/comments?per_page=1`, {
      token: READER,
    });
    expect(firstPage.json.map((comment: { body: string }) => comment.body)).toEqual(['first']);
    expect(firstPage.headers.get('link')).toContain('page=2>; rel="next"');
    expect(github.comments.map((comment) => comment.body)).toEqual(['first', 'second']);
    const missingBody = await api('POST', `/repos/${REPO}/issues/${number}/comments`, {
      token: FULL,
      body: {},
    });
    expect(missingBody.status).toBe(422);
  });

  it('updates a PR with PATCH; closing it lets a new PR for the same head be opened', async () => {
    const updated = await api('PATCH', `/repos/${REPO}/pulls/${number}`, {
      token: FULL,
      body: { title: 'Superseded', body: 'closed by a newer bump', state: 'closed' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ title: 'Superseded', state: 'closed', merged: false });
    expect(updated.json.closed_at).toEqual(expect.any(String));
    expect(github.pulls[0]).toMatchObject({ state: 'closed', title: 'Superseded' });
    expect((await api('GET', `/repos/${REPO}/pulls?state=closed`, { token: READER })).json).toHaveLength(1);
    const reopened = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 'Bump hub a again', head: 'update-a-image-tag-two', base: 'main' },
    });
    expect(reopened.status).toBe(201);
    expect(reopened.json.number).toBe(2);
    const reopenOld = await api('PATCH', `/repos/${REPO}/pulls/${number}`, {
      token: FULL,
      body: { state: 'open' },
    });
    expect(reopenOld.status).toBe(422);
    const badBase = await api('PATCH', `/repos/${REPO}/pulls/2`, { token: FULL, body: { base: 'nope' } });
    expect(badBase.json.errors).toEqual([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    expect(
      (await api('PATCH', `/repos/${REPO}/pulls/2`, { token: READER, body: { title: 'x' } })).status,
    ).toBe(403);
  });
});

describe('FakeGitHub commits and compare, backed by real git', () => {
  it('compares branches: ahead, behind, identical, then diverged after a commit on main', async () => {
    const ahead = await api('GET', `/repos/${REPO}/compare/main...update-a-image-tag-two`, { token: READER });
    expect(ahead.status).toBe(200);
    expect(ahead.json).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(ahead.json.commits.map((c: { commit: { message: string } }) => c.commit.message)).toEqual([
      'Bump a',
    ]);
    const blob = (
      await git.runGit(REPO, ['rev-parse', 'update-a-image-tag-two:deployments/a/config/common.yaml'])
    ).stdout
      .toString()
      .trim();
    expect(ahead.json.files).toEqual([
      expect.objectContaining({
        sha: blob,
        filename: 'deployments/a/config/common.yaml',
        status: 'modified',
        additions: 1,
        deletions: 1,
        changes: 2,
      }),
    ]);
    expect(ahead.json.merge_base_commit.sha).toBe(await git.resolve(REPO, 'main'));
    const behind = await api('GET', `/repos/${REPO}/compare/update-a-image-tag-two...main`, {
      token: READER,
    });
    expect(behind.json).toMatchObject({ status: 'behind', ahead_by: 0, behind_by: 1 });
    const identical = await api('GET', `/repos/${REPO}/compare/main...acme:main`, { token: READER });
    expect(identical.json).toMatchObject({ status: 'identical', ahead_by: 0, behind_by: 0 });

    await git.commit(REPO, 'main', { 'deployments/b/config/common.yaml': 'tag: b\n' }, 'Add hub b');
    const diverged = await api('GET', `/repos/${REPO}/compare/main...update-a-image-tag-two`, {
      token: READER,
    });
    expect(diverged.json).toMatchObject({ status: 'diverged', ahead_by: 1, behind_by: 1 });
  });

  it('answers 404 for compare with unknown commits', async () => {
    const unknown = await api('GET', `/repos/${REPO}/compare/main...no-such-ref`, { token: READER });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toBe('Not Found');
    const nonsense = await api('GET', `/repos/${REPO}/compare/main`, { token: READER });
    expect(nonsense.status).toBe(404);
  });

  it('gets a commit by sha or branch and answers 422 for an unknown one', async () => {
    const sha = await git.resolve(REPO, 'update-a-image-tag-two');
    const bySha = await api('GET', `/repos/${REPO}/commits/${sha}`, { token: READER });
    expect(bySha.status).toBe(200);
    expect(bySha.json).toMatchObject({ sha, commit: { message: 'Bump a' } });
    expect(bySha.json.commit.committer.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const byBranch = await api('GET', `/repos/${REPO}/commits/update-a-image-tag-two`, { token: READER });
    expect(byBranch.json.sha).toBe(sha);
    const unknown = await api('GET', `/repos/${REPO}/commits/deadbeef`, { token: READER });
    expect(unknown.status).toBe(422);
    expect(unknown.json.message).toBe('No commit found for SHA: deadbeef');
  });

  it('lists PRs associated with a commit: registered merged PRs and open PR heads', async () => {
    const mergeSha = await git.resolve(REPO, 'main');
    if (mergeSha === undefined) throw new Error('main must exist');
    github.addMergedPull(REPO, { number: 40, title: 'Add numpy', mergeCommitSha: mergeSha });
    const merged = await api('GET', `/repos/${REPO}/commits/${mergeSha}/pulls`, { token: READER });
    expect(merged.status).toBe(200);
    expect(merged.json).toHaveLength(1);
    expect(merged.json[0]).toMatchObject({
      number: 40,
      title: 'Add numpy',
      merged: true,
      merge_commit_sha: mergeSha,
    });
    const headSha = await git.resolve(REPO, 'update-a-image-tag-two');
    const open = await api('GET', `/repos/${REPO}/commits/${headSha}/pulls`, { token: READER });
    expect(open.json.map((pull: { number: number }) => pull.number)).toEqual([2, 1]);
    const next = await api('POST', `/repos/${REPO}/pulls`, {
      token: FULL,
      body: { title: 'after merged', head: 'empty-change', base: 'main' },
    });
    expect(next.json.number).toBe(41);
  });
});

describe('FakeGitHub compare pagination, like GitHub', () => {
  it('pages the commits of a long comparison by per_page (at most 100) with a Link header, files on page 1 only', async () => {
    const repo = 'acme/long';
    await git.createRepo(repo, { files: { 'a.txt': 'a\n' } });
    for (let i = 1; i <= 120; i += 1) await git.commit(repo, 'long', { 'a.txt': `a${i}\n` }, `Change ${i}`);
    const first = await api('GET', `/repos/${repo}/compare/main...long?per_page=100`, { token: FULL });
    expect(first.json).toMatchObject({ ahead_by: 120, total_commits: 120 });
    expect(first.json.commits).toHaveLength(100);
    expect(first.json.commits[0].commit.message).toBe('Change 1');
    expect(first.json.files).toHaveLength(1);
    expect(first.headers.get('link')).toContain('per_page=100&page=2>; rel="next"');
    const second = await api('GET', `/repos/${repo}/compare/main...long?per_page=100&page=2`, {
      token: FULL,
    });
    expect(second.json.commits.map((c: { commit: { message: string } }) => c.commit.message)).toEqual(
      Array.from({ length: 20 }, (_, i) => `Change ${i + 101}`),
    );
    expect(second.json.files).toEqual([]);
    expect(second.headers.get('link')).toContain('rel="prev"');
    const unpaged = await api('GET', `/repos/${repo}/compare/main...long`, { token: FULL });
    expect(unpaged.json.commits).toHaveLength(120);
    expect(unpaged.headers.get('link')).toBeNull();
  });
});

describe('FakeGitHub rate limits, as GitHub answers them', () => {
  it.each([
    [{ status: 429 as const, retryAfterSeconds: 5 }, 429, '5'],
    [{ status: 403 as const, retryAfterSeconds: null }, 403, null],
  ])('answers a secondary limit %j', async (rule, status, retryAfter) => {
    github.secondaryRateLimit({ path: /^\/repos\/acme\/other$/, times: 1, ...rule });
    const limited = await api('GET', '/repos/acme/other', { token: FULL });
    expect(limited.status).toBe(status);
    expect(limited.headers.get('retry-after')).toBe(retryAfter);
    expect(limited.json.message).toMatch(/^You have exceeded a secondary rate limit/);
    expect((await api('GET', '/repos/acme/other', { token: FULL })).status).toBe(200);
  });

  it('answers the primary limit with x-ratelimit-remaining 0 and the reset time', async () => {
    github.rateLimit({ path: /^\/repos\/acme\/other$/, times: 1, resetInSeconds: 120 });
    const asked = Math.floor(Date.now() / 1000);
    const limited = await api('GET', '/repos/acme/other', { token: FULL });
    expect(limited.status).toBe(403);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThanOrEqual(asked + 120);
    expect(limited.json.message).toMatch(/^API rate limit exceeded/);
  });
});

describe('FakeGitHub GitHub App flow', () => {
  let privateKeyPem: string;

  beforeAll(() => {
    ({ privateKeyPem } = github.addApp({ id: 4242, slug: 'hub-bumper', installations: { [REPO]: 77 } }));
  });

  it('finds the installation and mints a token that works on the API and on the git server', async () => {
    const jwt = appJwt(4242, privateKeyPem);
    const installation = await api('GET', `/repos/${REPO}/installation`, { authorization: `Bearer ${jwt}` });
    expect(installation.status).toBe(200);
    expect(installation.json).toMatchObject({ id: 77, app_id: 4242, account: { login: 'acme' } });
    expect(github.requests.at(-1)).toMatchObject({ app: 4242, status: 200 });

    const asked = Date.now();
    const minted = await api('POST', '/app/installations/77/access_tokens', {
      authorization: `Bearer ${appJwt('4242', privateKeyPem)}`,
    });
    expect(minted.status).toBe(201);
    expect(minted.json.token).toMatch(/^ghs_\w{36}$/);
    // An hour from when it was minted (GitHub gives whole seconds), which is after `asked`.
    expect(Date.parse(minted.json.expires_at)).toBeGreaterThanOrEqual(asked + 3_600_000 - 1_000);
    expect(minted.json.permissions).toMatchObject({
      contents: 'write',
      pull_requests: 'write',
      metadata: 'read',
    });
    expect(minted.json.repositories.map((repo: { full_name: string }) => repo.full_name)).toEqual([REPO]);
    const token: string = minted.json.token;

    expect((await api('GET', `/repos/${REPO}`, { token })).status).toBe(200);
    expect((await api('GET', '/repos/acme/other', { token })).status).toBe(404);
    const dir = join(work, 'app-clone');
    expect((await gitClient(['clone', '--quiet', git.repoUrl(REPO), dir], token)).code).toBe(0);
    await writeFile(join(dir, 'app.txt'), 'from the app\n');
    expect((await gitClient(['add', 'app.txt'], token, dir)).code).toBe(0);
    expect((await gitClient(['commit', '--quiet', '-m', 'App commit'], token, dir)).code).toBe(0);
    expect(
      (await gitClient(['push', '--quiet', 'origin', 'HEAD:refs/heads/app-branch'], token, dir)).code,
    ).toBe(0);
    expect((await git.readFile(REPO, 'app-branch', 'app.txt'))?.toString()).toBe('from the app\n');
    expect(git.requests.at(-1)).toMatchObject({
      service: 'git-receive-pack',
      user: 'hub-bumper[bot]',
      status: 200,
    });
    expect(await readFile(join(dir, '.git', 'config'), 'utf8')).not.toContain(token);
    const otherClone = await gitClient(['clone', git.repoUrl('acme/other'), join(work, 'app-other')], token);
    expect(otherClone.code).not.toBe(0);

    const revoked = await api('DELETE', '/installation/token', { token });
    expect(revoked.status).toBe(204);
    expect((await api('GET', `/repos/${REPO}`, { token })).status).toBe(401);
    expect(github.installationTokens.at(-1)).toMatchObject({ token, revoked: true, installationId: 77 });
  });

  it('narrows minted tokens to requested permissions and refuses repos outside the installation', async () => {
    const jwt = appJwt(4242, privateKeyPem);
    const readOnly = await api('POST', '/app/installations/77/access_tokens', {
      authorization: `Bearer ${jwt}`,
      body: { repositories: ['deploy'], permissions: { contents: 'read', pull_requests: 'write' } },
    });
    expect(readOnly.status).toBe(201);
    expect(readOnly.json.permissions).toEqual({ contents: 'read', pull_requests: 'write', metadata: 'read' });
    const token: string = readOnly.json.token;
    const dir = join(work, 'app-readonly');
    expect((await gitClient(['clone', '--quiet', git.repoUrl(REPO), dir], token)).code).toBe(0);
    const push = await gitClient(['push', 'origin', 'HEAD:refs/heads/nope'], token, dir);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toContain('Permission to acme/deploy.git denied to hub-bumper[bot].');

    const outside = await api('POST', '/app/installations/77/access_tokens', {
      authorization: `Bearer ${jwt}`,
      body: { repositories: ['other'] },
    });
    expect(outside.status).toBe(422);
    expect(outside.json.message).toBe(
      'There is at least one repository that does not exist or is not accessible to the parent installation.',
    );
    const notInstalled = await api('GET', '/repos/acme/other/installation', {
      authorization: `Bearer ${jwt}`,
    });
    expect(notInstalled.status).toBe(404);
    const wrongInstallation = await api('POST', '/app/installations/78/access_tokens', {
      authorization: `Bearer ${jwt}`,
    });
    expect(wrongInstallation.status).toBe(404);
  });

  it('rejects bad App JWTs with 401 like GitHub', async () => {
    const now = Math.floor(Date.now() / 1000);
    const path = `/repos/${REPO}/installation`;
    const { privateKeyPem: strangerKey } = github.addApp({ id: 5, installations: {} });
    const cases: Array<[string, string]> = [
      [appJwt(4242, strangerKey), 'A JSON web token could not be decoded'],
      [appJwt(999, privateKeyPem), 'A JSON web token could not be decoded'],
      ['not-a-jwt', 'A JSON web token could not be decoded'],
      [FULL, 'A JSON web token could not be decoded'],
      [
        appJwt(4242, privateKeyPem, { iat: now - 30, exp: now + 900 }),
        "'Expiration time' claim ('exp') is too far in the future",
      ],
      [
        appJwt(4242, privateKeyPem, { iat: now - 60, exp: now + 660 }),
        "'Expiration time' claim ('exp') is too far in the future",
      ],
      [
        appJwt(4242, privateKeyPem, { iat: now - 600, exp: now - 10 }),
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      ],
      [
        appJwt(4242, privateKeyPem, { iat: now + 120, exp: now + 300 }),
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
      ],
    ];
    for (const [jwt, message] of cases) {
      const response = await api('GET', path, { authorization: `Bearer ${jwt}` });
      expect({ status: response.status, message: response.json.message }).toEqual({ status: 401, message });
    }
    // GitHub's documented example: iat 60 s back, exp 10 minutes ahead (a lifetime of 11 minutes), iss the client
    // ID or the app ID; and a JWT issued long ago that is still unexpired. No rule limits the lifetime itself.
    const documented = github.addApp({ id: 4343, installations: { [REPO]: 78 } });
    expect(documented.clientId).toMatch(/^Iv23li[0-9a-f]{14}$/);
    const accepted = [
      appJwt(documented.clientId, documented.privateKeyPem, { iat: now - 60, exp: now + 600 }),
      appJwt(4343, documented.privateKeyPem, { iat: now - 60, exp: now + 600 }),
      appJwt('4242', privateKeyPem, { iat: now - 700, exp: now + 60 }),
    ];
    for (const jwt of accepted) {
      expect((await api('GET', path, { authorization: `Bearer ${jwt}` })).status).toBe(200);
    }
    expect(
      (await api('GET', path, { authorization: `Bearer ${appJwt('Iv23linope', documented.privateKeyPem)}` }))
        .json.message,
    ).toBe('A JSON web token could not be decoded');
    // An App JWT is not a token for repo endpoints.
    expect(
      (await api('GET', `/repos/${REPO}`, { authorization: `Bearer ${appJwt(4242, privateKeyPem)}` })).status,
    ).toBe(401);
  });
});

describe('FakeGitHub faults and extension routes', () => {
  it('answers injected failures exactly `times` times, then serves normally', async () => {
    github.fail({
      method: 'GET',
      path: /^\/repos\/acme\/deploy$/,
      status: 502,
      body: { message: 'Server Error' },
      times: 2,
    });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push((await api('GET', `/repos/${REPO}`, { token: FULL })).status);
    }
    expect(statuses).toEqual([502, 502, 200]);
    expect(github.requests.slice(-3).map((request) => request.status)).toEqual([502, 502, 200]);

    github.fail({
      method: 'POST',
      path: /\/pulls$/,
      status: 422,
      body: { message: 'Validation Failed' },
      headers: { 'x-fault': 'yes' },
      times: 1,
    });
    const faulted = await api('POST', `/repos/${REPO}/pulls`, { token: FULL, body: {} });
    expect(faulted.status).toBe(422);
    expect(faulted.json).toEqual({ message: 'Validation Failed' });
    expect(faulted.headers.get('x-fault')).toBe('yes');
    expect((await api('GET', `/repos/${REPO}/pulls`, { token: FULL })).status).toBe(200);
  });

  it('answers a secondary rate limit with 403, the message and retry-after, exactly `times` times', async () => {
    github.secondaryRateLimit({
      path: /\/issues\/\d+\/comments$/,
      method: 'POST',
      times: 1,
      retryAfterSeconds: 7,
    });
    const limited = await api('POST', `/repos/${REPO}/issues/1/comments`, {
      token: FULL,
      body: { body: 'x' },
    });
    expect(limited.status).toBe(403);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json.message).toMatch(
      /^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\./,
    );
    expect(Number(limited.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    const after = await api('POST', `/repos/${REPO}/issues/1/comments`, { token: FULL, body: { body: 'x' } });
    expect(after.status).toBe(201);
  });

  it('holds matching requests until a beforeRequest hook settles, serving others meanwhile, `times` times', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let hookRuns = 0;
    github.beforeRequest({ method: 'GET', path: /^\/repos\/acme\/deploy\/pulls$/, times: 1 }, async () => {
      hookRuns += 1;
      await released;
    });
    const held = api('GET', `/repos/${REPO}/pulls`, { token: FULL });
    let answered = false;
    void held.then(() => (answered = true));
    expect((await api('GET', `/repos/${REPO}`, { token: FULL })).status).toBe(200);
    expect((await api('GET', `/repos/${REPO}/pulls`, { token: FULL })).status).toBe(200);
    expect(answered).toBe(false);
    release();
    expect((await held).status).toBe(200);
    expect(hookRuns).toBe(1);
  });

  it('serves routes added with route(), with token auth and authorize()', async () => {
    github.route('GET', '/repos/:owner/:repo/branches/:branch+', async (request) => {
      const fullName = `${request.params['owner']}/${request.params['repo']}`;
      await github.authorize(request, fullName, ['contents', 'read']);
      const sha = await git.resolve(fullName, `refs/heads/${request.params['branch']}`);
      return sha === undefined
        ? { status: 404, body: { message: 'Branch not found' } }
        : { status: 200, body: { name: request.params['branch'], commit: { sha } } };
    });
    const found = await api('GET', `/repos/${REPO}/branches/update-a-image-tag-two`, { token: READER });
    expect(found.json).toEqual({
      name: 'update-a-image-tag-two',
      commit: { sha: await git.resolve(REPO, 'update-a-image-tag-two') },
    });
    expect((await api('GET', `/repos/${REPO}/branches/x`, { token: 'bad' })).status).toBe(401);
    expect((await api('GET', `/repos/${REPO}/branches/x`, { token: ISSUES_ONLY })).status).toBe(403);
    expect((await api('GET', `/repos/${REPO}/branches/x`, { token: READER })).status).toBe(404);
  });

  it('stops without leaving the port open', async () => {
    const temporary = await FakeGitHub.start({ git });
    temporary.addToken('t', {});
    const url = `${temporary.url}/repos/${REPO}`;
    expect((await fetch(url, { headers: { authorization: 'token t' } })).status).toBe(200);
    await temporary.stop();
    await expect(fetch(url)).rejects.toThrow();
  });
});

describe('FakeGitHub snapshot and restore', () => {
  it('carries pull requests, labels, comments and numbering to a new fake, with links on its git server', async () => {
    const root = await makeTempDir('fake-github-kept');
    const call = async (fake: FakeGitHub, method: string, path: string, body?: unknown) => {
      const response = await fetch(`${fake.url}${path}`, {
        method,
        headers: { authorization: 'token kept', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
    };
    const firstGit = await GitServer.start({ root });
    const first = await FakeGitHub.start({ git: firstGit });
    first.addToken('kept', {});
    await firstGit.createRepo('acme/kept', { branch: 'staging', files: { 'a.yaml': 'tag: one\n' } });
    await firstGit.commit('acme/kept', 'bump-one', { 'a.yaml': 'tag: two\n' }, 'Bump');
    await firstGit.commit('acme/kept', 'bump-two', { 'a.yaml': 'tag: three\n' }, 'Bump again');
    first.addMergedPull('acme/image', { number: 7, title: 'Add numpy', mergeCommitSha: 'a'.repeat(40) });
    const opened = await call(first, 'POST', '/repos/acme/kept/pulls', {
      title: 'Bump to two',
      head: 'acme:bump-one',
      base: 'staging',
      body: 'Moves hub a',
    });
    expect(opened.status).toBe(201);
    expect(
      (await call(first, 'POST', '/repos/acme/kept/issues/1/labels', { labels: ['hub: a'] })).status,
    ).toBe(200);
    expect(
      (await call(first, 'POST', '/repos/acme/kept/issues/1/comments', { body: 'Updated' })).status,
    ).toBe(201);
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as ReturnType<FakeGitHub['snapshot']>;
    await first.stop();
    await firstGit.stop();

    const secondGit = await GitServer.start({ root });
    const second = await FakeGitHub.start({ git: secondGit });
    try {
      second.restore(snapshot);
      second.addToken('kept', {});
      expect(secondGit.url).not.toBe(firstGit.url);
      const listed = await call(second, 'GET', '/repos/acme/kept/pulls?state=all');
      expect(listed.json).toHaveLength(1);
      expect(listed.json[0]).toMatchObject({
        number: 1,
        title: 'Bump to two',
        body: 'Moves hub a',
        state: 'open',
        html_url: `${secondGit.url}/acme/kept/pull/1`,
        head: { ref: 'bump-one', sha: await secondGit.resolve('acme/kept', 'bump-one') },
        labels: [{ name: 'hub: a' }],
      });
      const comments = await call(second, 'GET', '/repos/acme/kept/issues/1/comments');
      expect(comments.json).toEqual([
        expect.objectContaining({
          body: 'Updated',
          html_url: expect.stringMatching(`^${secondGit.url}/acme/kept/pull/1#issuecomment-`),
        }),
      ]);
      expect(second.pulls.find((pull) => pull.repo === 'acme/image')).toMatchObject({
        number: 7,
        merged: true,
      });
      // The open pull request still blocks a duplicate, and numbering continues.
      const duplicate = await call(second, 'POST', '/repos/acme/kept/pulls', {
        title: 'Again',
        head: 'acme:bump-one',
        base: 'staging',
      });
      expect(duplicate.status).toBe(422);
      const next = await call(second, 'POST', '/repos/acme/kept/pulls', {
        title: 'Bump to three',
        head: 'acme:bump-two',
        base: 'staging',
      });
      expect(next.json.number).toBe(2);
      expect(() => second.restore(snapshot)).toThrow(/already has pull requests/);
    } finally {
      await second.stop();
      await secondGit.stop();
      await removeDir(root);
    }
  });
});
