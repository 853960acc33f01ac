import type { Context } from './context.js';
import {
  GitHubApiError,
  type CommentRecord,
  type LabelRecord,
  type RouteRequest,
  type RouteResponse,
} from './types.js';
import { labelNames, page, repoOf, requireObject, requireString, timestamp } from './wire.js';

// A pull request's labels and comments (GitHub serves them as the issue's).

export async function listLabels(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'read'], ['pull_requests', 'read']);
  return page(
    ctx.url,
    request,
    ctx.shapes.issueLabels(ctx.store.findPull(fullName, request.params['number'])),
  );
}

/** Adds labels, creating the ones the repo lacks; names match case-insensitively, like GitHub. */
export async function addLabels(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['issues', 'write'], ['pull_requests', 'write']);
  const pull = ctx.store.findPull(fullName, request.params['number']);
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
  const pull = ctx.store.findPull(fullName, request.params['number']);
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
  const pull = ctx.store.findPull(fullName, request.params['number']);
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
  const pull = ctx.store.findPull(fullName, request.params['number']);
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
