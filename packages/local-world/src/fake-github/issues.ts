import type { Context } from './context.js';
import {
  GitHubApiError,
  type CommentRecord,
  type IssueRecord,
  type LabelRecord,
  type RouteRequest,
  type RouteResponse,
} from './types.js';
import {
  allows,
  labelNames,
  page,
  repoOf,
  requireObject,
  requireString,
  timestamp,
  validationFailed,
} from './wire.js';

// Issues, and the labels and comments of issues and pull requests (GitHub serves a pull request's as its issue's).

export async function listLabels(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'read'], ['pull_requests', 'read']);
  return page(
    ctx.url,
    request,
    ctx.shapes.issueLabels(ctx.store.findThread(fullName, request.params['number'])),
  );
}

/** Adds labels, creating the ones the repo lacks; names match case-insensitively, like GitHub. */
export async function addLabels(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
  const pull = ctx.store.findThread(fullName, request.params['number']);
  const known = ctx.store.labels.get(fullName) ?? new Map<string, LabelRecord>();
  ctx.store.labels.set(fullName, known);
  for (const name of labelNames(request.body)) {
    const label = known.get(name.toLowerCase()) ?? { id: ctx.store.newId(), name, color: 'ededed' };
    known.set(name.toLowerCase(), label);
    const present = pull.labels.some((existing) => existing.toLowerCase() === name.toLowerCase());
    if (!present) pull.labels.push(label.name);
  }
  pull.updated_at = timestamp();
  return { status: 200, body: ctx.shapes.issueLabels(pull) };
}

/** Removes one label (matched case-insensitively); 404 "Label does not exist" when the issue lacks it. */
export async function removeLabel(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
  const pull = ctx.store.findThread(fullName, request.params['number']);
  const name = (request.params['name'] ?? '').toLowerCase();
  const index = pull.labels.findIndex((label) => label.toLowerCase() === name);
  if (index < 0) throw new GitHubApiError(404, 'Label does not exist');
  pull.labels.splice(index, 1);
  pull.updated_at = timestamp();
  return { status: 200, body: ctx.shapes.issueLabels(pull) };
}

export async function listComments(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'read'], ['pull_requests', 'read']);
  const pull = ctx.store.findThread(fullName, request.params['number']);
  const comments = ctx.store.comments.filter((c) => c.repo === fullName && c.issueNumber === pull.number);
  return page(
    ctx.url,
    request,
    comments.map((comment) => ctx.shapes.commentJson(comment)),
  );
}

export async function createComment(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  const caller = await ctx.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
  const pull = ctx.store.findThread(fullName, request.params['number']);
  const body = requireString(requireObject(request.body), 'body');
  const id = ctx.store.newId();
  const now = timestamp();
  const comment: CommentRecord = {
    repo: fullName,
    issueNumber: pull.number,
    id,
    body,
    user: caller.login,
    created_at: now,
    updated_at: now,
    html_url: `${pull.html_url}#issuecomment-${id}`,
  };
  ctx.store.comments.push(comment);
  const location = `${ctx.url}/repos/${fullName}/issues/comments/${id}`;
  return { status: 201, body: ctx.shapes.commentJson(comment), headers: { location } };
}

// ---- issues ----

/** The labels named, created in the repo when missing (GitHub does this on create and on add). */
function applyLabels(ctx: Context, fullName: string, names: readonly string[]): string[] {
  const known = ctx.store.labels.get(fullName) ?? new Map<string, LabelRecord>();
  ctx.store.labels.set(fullName, known);
  const applied: string[] = [];
  for (const name of names) {
    const label = known.get(name.toLowerCase()) ?? { id: ctx.store.newId(), name, color: 'ededed' };
    known.set(name.toLowerCase(), label);
    if (!applied.some((existing) => existing.toLowerCase() === name.toLowerCase())) applied.push(label.name);
  }
  return applied;
}

/**
 * Issues and pull requests, newest first, like GitHub's issues listing: `state` (open, closed, all), `labels`
 * (comma-separated, all of them, any case), `creator`, and page/per_page with a Link header.
 */
export async function listIssues(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'read']);
  const state = request.query.get('state') ?? 'open';
  if (!['open', 'closed', 'all'].includes(state)) {
    throw validationFailed({ resource: 'Issue', field: 'state', code: 'invalid' });
  }
  const wanted = (request.query.get('labels') ?? '')
    .split(',')
    .map((label) => label.trim().toLowerCase())
    .filter((label) => label !== '');
  const creator = request.query.get('creator');
  const threads = [...ctx.store.issues, ...ctx.store.pulls]
    .filter((thread) => thread.repo === fullName)
    .filter((thread) => state === 'all' || thread.state === state)
    .filter((thread) => wanted.every((label) => thread.labels.some((own) => own.toLowerCase() === label)))
    .filter((thread) => creator === null || thread.user === creator)
    .sort((a, b) => b.number - a.number);
  return page(
    ctx.url,
    request,
    threads.map((thread) => ctx.shapes.issueJson(thread)),
  );
}

export async function getIssue(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'read']);
  return {
    status: 200,
    body: ctx.shapes.issueJson(ctx.store.findThread(fullName, request.params['number'])),
  };
}

function titleOf(input: Record<string, unknown>): string {
  const title = input['title'];
  if (typeof title === 'number') return String(title);
  if (typeof title !== 'string')
    throw new GitHubApiError(422, `Invalid request.\n\n"title" wasn't supplied.`);
  if (title.trim() === '')
    throw validationFailed({ resource: 'Issue', field: 'title', code: 'missing_field' });
  return title;
}

/** GitHub refuses an issue body longer than this. */
const MAX_BODY = 65_536;

function bodyOf(input: Record<string, unknown>): string | null | undefined {
  const body = input['body'];
  if (body === undefined || body === null) return body;
  if (typeof body !== 'string')
    throw new GitHubApiError(422, "Invalid request.\n\nFor 'properties/body', is not a string or null.");
  if (body.length > MAX_BODY) {
    throw validationFailed({
      resource: 'Issue',
      field: 'body',
      code: 'custom',
      message: `body is too long (maximum is ${MAX_BODY} characters)`,
    });
  }
  return body;
}

export async function createIssue(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  const caller = await ctx.authorize(request, fullName, ['issues', 'write']);
  const input = requireObject(request.body);
  const title = titleOf(input);
  const body = bodyOf(input);
  // Like GitHub: labels of a caller who may not label are dropped silently.
  const labels =
    input['labels'] === undefined || !allows(caller.permissions.issues, 'write')
      ? []
      : applyLabels(ctx, fullName, labelNames({ labels: input['labels'] }));
  const number = ctx.store.nextNumber(fullName);
  const now = timestamp();
  const issue: IssueRecord = {
    repo: fullName,
    number,
    state: 'open',
    state_reason: null,
    title,
    body: body ?? null,
    labels,
    created_at: now,
    updated_at: now,
    closed_at: null,
    html_url: `${ctx.serverUrl}/${fullName}/issues/${number}`,
    user: caller.login,
  };
  ctx.store.issues.push(issue);
  const location = `${ctx.url}/repos/${fullName}/issues/${number}`;
  return { status: 201, body: ctx.shapes.issueJson(issue), headers: { location } };
}

/** Title, body, state and state_reason of an issue (a pull request's go through the pulls API). */
export async function updateIssue(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'write']);
  const issue = ctx.store.findIssue(fullName, request.params['number']);
  if (issue === undefined) throw new GitHubApiError(404, 'Not Found');
  const input = requireObject(request.body);
  const { state, state_reason: reason } = input;
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    throw validationFailed({ resource: 'Issue', field: 'state', code: 'invalid' });
  }
  if (
    reason !== undefined &&
    reason !== null &&
    !['completed', 'not_planned', 'reopened'].includes(String(reason))
  ) {
    throw validationFailed({ resource: 'Issue', field: 'state_reason', code: 'invalid' });
  }
  if (input['title'] !== undefined) issue.title = titleOf(input);
  const body = bodyOf(input);
  if (body !== undefined) issue.body = body;
  if (state !== undefined && state !== issue.state) {
    issue.state = state;
    issue.closed_at = state === 'closed' ? timestamp() : null;
    issue.state_reason =
      state === 'closed' ? ((reason as IssueRecord['state_reason']) ?? 'completed') : 'reopened';
  }
  issue.updated_at = timestamp();
  return { status: 200, body: ctx.shapes.issueJson(issue) };
}
