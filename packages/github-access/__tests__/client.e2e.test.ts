import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeGitHub } from '@hub-image-actions/local-world/fake-github';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { apiFailure, callError, tokenClient } from '../src/index.js';

// The client's use of GitHub's retry and throttling plugins, against the fake GitHub's real-shaped answers. A
// server-asked second lasts 1 ms here (the plugins' own time unit), so waits are counted, never slept out.

const TOKEN = 'ghp_ClientTest0123456789abcdefABCDEF0123';
const REPO = 'acme/deploy';
let git: GitServer;
let github: FakeGitHub;

beforeAll(async () => {
  git = await GitServer.start();
  github = await FakeGitHub.start({ git });
  github.addToken(TOKEN, {});
  await git.createRepo(REPO, { files: { 'a.txt': 'a\n' } });
});
afterAll(async () => {
  await github.stop();
  await git.stop();
});

function client() {
  const log: string[] = [];
  const api = tokenClient(TOKEN, (line) => log.push(line), { secondMs: 1, baseUrl: github.url });
  return { api, log };
}

const calls = (path: string) => github.requests.filter((r) => r.path === path).length;

describe('the GitHub client', () => {
  it.each([
    ['403 with retry-after', { status: 403 as const, retryAfterSeconds: 2 }, 'trying again in 2.0 s'],
    ['429 with retry-after', { status: 429 as const, retryAfterSeconds: 3 }, 'trying again in 3.0 s'],
    [
      '403 without retry-after (GitHub: wait at least a minute)',
      { status: 403 as const, retryAfterSeconds: null },
      'trying again in 60.0 s',
    ],
    ['429 without retry-after', { status: 429 as const, retryAfterSeconds: null }, 'trying again in 60.0 s'],
  ])('waits out a secondary rate limit: %s', async (_what, rule, waited) => {
    const { api, log } = client();
    const path = `/repos/${REPO}`;
    const before = calls(path);
    github.secondaryRateLimit({ path: /^\/repos\/acme\/deploy$/, times: 1, ...rule });
    const { data } = await api.rest.repos.get({ owner: 'acme', repo: 'deploy' });
    expect(data.full_name).toBe(REPO);
    expect(calls(path) - before).toBe(2);
    expect(log).toEqual([`GET /repos/{owner}/{repo}: secondary rate limit; ${waited} (attempt 2 of 6)`]);
  });

  it('waits for the primary limit to reset when it resets within the budget', async () => {
    const { api, log } = client();
    github.rateLimit({ path: /^\/repos\/acme\/deploy\/pulls$/, times: 1, resetInSeconds: 30 });
    await api.rest.pulls.list({ owner: 'acme', repo: 'deploy' });
    expect(log).toEqual([
      expect.stringMatching(
        /^GET \/repos\/\{owner\}\/\{repo\}\/pulls: rate limit used up \(x-ratelimit-remaining: 0\); trying again in 3[01]\.0 s \(attempt 2 of 6\)$/,
      ),
    ]);
  });

  it('gives up at once on a primary limit that resets past the budget, and says until when', async () => {
    const { api, log } = client();
    github.rateLimit({ path: /^\/repos\/acme\/deploy\/commits\//, times: 1, resetInSeconds: 3600 });
    const failure = await api.rest.repos
      .getCommit({ owner: 'acme', repo: 'deploy', ref: 'main' })
      .catch((e: unknown) => e);
    expect(apiFailure(failure).status).toBe(403);
    expect(log).toEqual([
      expect.stringMatching(/not waiting again \(waiting 360[01] s more would pass the 150 s limit\)$/),
    ]);
    expect(
      String((callError(failure, { call: 'reading main', permission: 'contents: read' }) as Error).message),
    ).toMatch(
      /^reading main: the token has used up its GitHub API rate limit until \d{4}-\d\d-\d\dT[\d:.]+Z \(403 API rate limit exceeded/,
    );
  });

  it('stops after six attempts of a secondary limit that does not end, and the error counts them', async () => {
    const { api } = client();
    const path = `/repos/${REPO}/issues/1/comments`;
    const before = calls(path);
    github.secondaryRateLimit({ path: /\/issues\/1\/comments$/, retryAfterSeconds: 1, times: 10 });
    const failure = await api.rest.issues
      .listComments({ owner: 'acme', repo: 'deploy', issue_number: 1 })
      .catch((e: unknown) => e);
    expect(calls(path) - before).toBe(6);
    expect(apiFailure(failure).attempts).toBe(6);
    github.clearFaults();
  });

  it('retries a server error with plugin-retry, and never a 4xx', async () => {
    const { api, log } = client();
    github.fail({ method: 'GET', path: /^\/repos\/acme\/deploy$/, status: 502, times: 2 });
    await api.rest.repos.get({ owner: 'acme', repo: 'deploy' });
    expect(log).toEqual([
      'GET /repos/{owner}/{repo}: the API answered 502; trying again (attempt 2)',
      'GET /repos/{owner}/{repo}: the API answered 502; trying again (attempt 3)',
    ]);
    const before = calls('/repos/acme/nope');
    const missing = await api.rest.repos.get({ owner: 'acme', repo: 'nope' }).catch((e: unknown) => e);
    expect(apiFailure(missing).status).toBe(404);
    expect(calls('/repos/acme/nope') - before).toBe(1);
  });

  it('makes one attempt of a call that asks for no retries (a POST that must not land twice)', async () => {
    const { api } = client();
    github.fail({ method: 'POST', path: /\/issues\/1\/labels$/, status: 503, times: 1 });
    const before = calls(`/repos/${REPO}/issues/1/labels`);
    const failure = await api.rest.issues
      .addLabels({ owner: 'acme', repo: 'deploy', issue_number: 1, labels: ['x'], request: { retries: 0 } })
      .catch((e: unknown) => e);
    expect(apiFailure(failure).status).toBe(503);
    expect(calls(`/repos/${REPO}/issues/1/labels`) - before).toBe(1);
  });
});
