import type { Context } from './context.js';
import type { PullRequestRecord, RouteRequest, RouteResponse } from './types.js';
import {
  page,
  repoOf,
  requireObject,
  requireString,
  splitOnce,
  timestamp,
  validationFailed,
} from './wire.js';

// Pull requests: list (with the head and base filters), get, create and update, like GitHub's pulls API.

export async function listPulls(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['pull_requests', 'read']);
  const state = request.query.get('state') ?? 'open';
  const head = request.query.get('head');
  const base = request.query.get('base');
  const selected = ctx.store.pulls
    .filter((pull) => pull.repo === fullName)
    .filter((pull) => state === 'all' || pull.state === state)
    // Like GitHub, a head filter without 'owner:' is silently ignored.
    .filter((pull) => head === null || !head.includes(':') || pull.head.label === head)
    .filter((pull) => base === null || pull.base.ref === base)
    .sort((a, b) => b.number - a.number);
  return page(ctx.url, request, await Promise.all(selected.map((pull) => ctx.shapes.pullJson(pull))));
}

export async function getPull(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  await ctx.authorize(request, repoOf(request), ['pull_requests', 'read']);
  const pull = ctx.store.findPull(repoOf(request), request.params['number']);
  return { status: 200, body: await ctx.shapes.pullJson(pull) };
}

export async function createPull(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  const caller = await ctx.authorize(request, fullName, ['pull_requests', 'write']);
  const input = requireObject(request.body);
  const title = requireString(input, 'title');
  const head = requireString(input, 'head');
  const base = requireString(input, 'base');
  const owner = request.params['owner'] ?? '';
  const [headOwner, headRef] = head.includes(':') ? splitOnce(head, ':') : [owner, head];
  // Forks are not modelled: a head in another owner's repo is as invalid as a missing branch.
  const headSha = headOwner === owner ? await ctx.git.resolve(fullName, `refs/heads/${headRef}`) : undefined;
  if (headSha === undefined)
    throw validationFailed({ resource: 'PullRequest', field: 'head', code: 'invalid' });
  if ((await ctx.git.resolve(fullName, `refs/heads/${base}`)) === undefined) {
    throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
  }
  const label = `${headOwner}:${headRef}`;
  ctx.store.assertNoOpenDuplicate(fullName, label, base);
  const ahead = await ctx.git.runGit(fullName, ['rev-list', '--count', `refs/heads/${base}..${headSha}`]);
  if (ahead.stdout.toString().trim() === '0') {
    const message = `No commits between ${base} and ${head}`;
    throw validationFailed({ resource: 'PullRequest', code: 'custom', message });
  }
  const number = (ctx.store.issueCounters.get(fullName) ?? 0) + 1;
  ctx.store.issueCounters.set(fullName, number);
  const now = timestamp();
  const pull: PullRequestRecord = {
    repo: fullName,
    number,
    state: 'open',
    title,
    body: typeof input['body'] === 'string' ? input['body'] : null,
    head: { ref: headRef, sha: headSha, label },
    base: { ref: base },
    labels: [],
    draft: input['draft'] === true,
    merged: false,
    merged_at: null,
    merge_commit_sha: null,
    created_at: now,
    updated_at: now,
    closed_at: null,
    html_url: `${ctx.serverUrl}/${fullName}/pull/${number}`,
    user: caller.login,
  };
  ctx.store.pulls.push(pull);
  const location = `${ctx.url}/repos/${fullName}/pulls/${number}`;
  return { status: 201, body: await ctx.shapes.pullJson(pull), headers: { location } };
}

export async function updatePull(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['pull_requests', 'write']);
  const pull = ctx.store.findPull(fullName, request.params['number']);
  const input = requireObject(request.body);
  const { state, base, title, body } = input;
  if (state !== undefined) {
    if ((state !== 'open' && state !== 'closed') || (state === 'open' && pull.merged)) {
      throw validationFailed({ resource: 'PullRequest', field: 'state', code: 'invalid' });
    }
    if (state === 'open' && pull.state === 'closed') {
      ctx.store.assertNoOpenDuplicate(fullName, pull.head.label, pull.base.ref);
    }
  }
  if (base !== undefined) {
    if (typeof base !== 'string' || (await ctx.git.resolve(fullName, `refs/heads/${base}`)) === undefined) {
      throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
    }
    pull.base.ref = base;
  }
  if (typeof title === 'string') pull.title = title;
  if (typeof body === 'string' || body === null) pull.body = body;
  if (state !== undefined && state !== pull.state) {
    pull.state = state;
    pull.closed_at = state === 'closed' ? timestamp() : null;
  }
  pull.updated_at = timestamp();
  return { status: 200, body: await ctx.shapes.pullJson(pull) };
}
