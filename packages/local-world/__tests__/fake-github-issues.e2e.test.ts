import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGitHub } from '../src/fake-github.js';
import { checkAgainstGitHubSpec } from '../src/github-spec.js';
import { GitServer } from '../src/git-server.js';

// The fake's issues, commit lists and public repositories, as GitHub answers them (fleet-report's calls).

const REPO = 'acme/hubs';
const WRITER = 'gh-issues-writer';
const READER = 'gh-issues-reader';
const STRANGER = 'gh-stranger';

let git: GitServer;
let github: FakeGitHub;

async function api(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${github.url}${path}`, {
    method,
    headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    // The tests read the fields they expect.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json: (text === '' ? undefined : JSON.parse(text)) as any,
  };
}

beforeAll(async () => {
  git = await GitServer.start();
  github = await FakeGitHub.start({ git });
  await git.createRepo(REPO, { branch: 'staging', files: { 'a.yaml': 'tag: one\n' } });
  for (let i = 2; i <= 5; i += 1)
    await git.commit(REPO, 'staging', { 'a.yaml': `tag: ${i}\n` }, `Change ${i}`);
  await git.commit(REPO, 'bump', { 'a.yaml': 'tag: bump\n' }, 'Bump');
  await git.createRepo('acme/image', { files: { 'environment.yml': 'dependencies: []\n' } });
  github.addToken(WRITER, {
    login: 'writer',
    repos: [REPO],
    permissions: { issues: 'write', pull_requests: 'write' },
  });
  github.addToken(READER, { repos: [REPO], permissions: { issues: 'read', contents: 'read' } });
  github.addToken(STRANGER, { repos: ['acme/elsewhere'], permissions: { contents: 'write' } });
});

afterAll(async () => {
  await github.stop();
  await git.stop();
});

describe('FakeGitHub issues', () => {
  it('creates an issue (201) numbered after the pull requests, with its labels created', async () => {
    expect(
      (await api('POST', `/repos/${REPO}/pulls`, WRITER, { title: 'Bump', head: 'bump', base: 'staging' }))
        .status,
    ).toBe(201);
    const created = await api('POST', `/repos/${REPO}/issues`, WRITER, {
      title: 'Fleet report',
      body: 'two problems',
      labels: ['fleet-report'],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`${github.url}/repos/${REPO}/issues/2`);
    expect(created.json).toMatchObject({
      number: 2,
      state: 'open',
      state_reason: null,
      title: 'Fleet report',
      body: 'two problems',
      labels: [{ name: 'fleet-report' }],
      user: { login: 'writer' },
    });
    expect(created.json.pull_request).toBeUndefined();
  });

  it('lists issues and pull requests newest first, pull requests with pull_request, filtered by state and labels', async () => {
    const all = await api('GET', `/repos/${REPO}/issues?state=all`, READER);
    expect(all.json.map((issue: { number: number }) => issue.number)).toEqual([2, 1]);
    expect(all.json[1].pull_request).toMatchObject({ url: `${github.url}/repos/${REPO}/pulls/1` });
    const labelled = await api('GET', `/repos/${REPO}/issues?labels=FLEET-REPORT&state=all`, READER);
    expect(labelled.json.map((issue: { number: number }) => issue.number)).toEqual([2]);
    const closed = await api('GET', `/repos/${REPO}/issues?state=closed`, READER);
    expect(closed.json).toEqual([]);
    expect((await api('GET', `/repos/${REPO}/issues?state=nope`, READER)).status).toBe(422);
  });

  it('updates title, body and state; closing sets closed_at and the reason, reopening says reopened', async () => {
    const closed = await api('PATCH', `/repos/${REPO}/issues/2`, WRITER, {
      state: 'closed',
      state_reason: 'completed',
    });
    expect(closed.json).toMatchObject({ state: 'closed', state_reason: 'completed' });
    expect(closed.json.closed_at).not.toBeNull();
    const reopened = await api('PATCH', `/repos/${REPO}/issues/2`, WRITER, {
      state: 'open',
      body: 'one problem',
    });
    expect(reopened.json).toMatchObject({
      state: 'open',
      state_reason: 'reopened',
      body: 'one problem',
      closed_at: null,
    });
    expect((await api('GET', `/repos/${REPO}/issues/2`, READER)).json.body).toBe('one problem');
  });

  it('comments on an issue like on a pull request', async () => {
    expect((await api('POST', `/repos/${REPO}/issues/2/comments`, WRITER, { body: 'closing' })).status).toBe(
      201,
    );
    expect((await api('GET', `/repos/${REPO}/issues/2`, READER)).json.comments).toBe(1);
  });

  it('refuses what GitHub refuses', async () => {
    expect((await api('POST', `/repos/${REPO}/issues`, WRITER, { body: 'no title' })).status).toBe(422);
    expect((await api('POST', `/repos/${REPO}/issues`, WRITER, { title: ' ' })).status).toBe(422);
    expect(
      (await api('POST', `/repos/${REPO}/issues`, WRITER, { title: 'x', body: 'x'.repeat(65_537) })).status,
    ).toBe(422);
    expect((await api('POST', `/repos/${REPO}/issues`, READER, { title: 'x' })).status).toBe(403);
    expect((await api('PATCH', `/repos/${REPO}/issues/2`, WRITER, { state: 'merged' })).status).toBe(422);
    expect((await api('PATCH', `/repos/${REPO}/issues/99`, WRITER, { title: 'x' })).status).toBe(404);
  });
});

describe('FakeGitHub commit lists and public repositories', () => {
  it('lists the default branch commits newest first, paginated with a Link header', async () => {
    const first = await api('GET', `/repos/${REPO}/commits?per_page=2`, READER);
    expect(first.json.map((commit: { commit: { message: string } }) => commit.commit.message)).toEqual([
      'Change 5',
      'Change 4',
    ]);
    expect(first.headers.get('link')).toMatch(/page=2>; rel="next"/);
    const third = await api('GET', `/repos/${REPO}/commits?per_page=2&page=3`, READER);
    expect(third.json.map((commit: { commit: { message: string } }) => commit.commit.message)).toEqual([
      'Initial commit',
    ]);
    expect(
      (await api('GET', `/repos/${REPO}/commits?sha=bump&per_page=1`, READER)).json[0].commit.message,
    ).toBe('Bump');
  });

  it('lets any token read a public repository, and write nothing there', async () => {
    expect((await api('GET', '/repos/acme/image/commits', STRANGER)).status).toBe(404);
    github.makePublic('acme/image');
    expect((await api('GET', '/repos/acme/image/commits', STRANGER)).status).toBe(200);
    expect((await api('GET', '/repos/acme/image', STRANGER)).status).toBe(200);
    expect((await api('POST', '/repos/acme/image/issues', STRANGER, { title: 'x' })).status).toBe(403);
  });

  it("answers as GitHub's API description says", () => {
    const { problems, called } = checkAgainstGitHubSpec(github.requests);
    expect(problems).toEqual([]);
    expect(called).toEqual(
      expect.arrayContaining([
        'GET /repos/{owner}/{repo}/issues',
        'POST /repos/{owner}/{repo}/issues',
        'GET /repos/{owner}/{repo}/issues/{issue_number}',
        'PATCH /repos/{owner}/{repo}/issues/{issue_number}',
        'GET /repos/{owner}/{repo}/commits',
      ]),
    );
  });
});
