import type { Context } from './context.js';
import { GitHubApiError, type RouteRequest, type RouteResponse } from './types.js';
import { compareStatus, linkHeader, page, pageOf, repoOf, splitOnce } from './wire.js';

// Commits, read from the git server's bare repos: compare, get a commit, and the pull requests of a commit.

/** BASE...HEAD, counted by git in the bare repo. */
export async function compare(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['contents', 'read']);
  const basehead = request.params['basehead'] ?? '';
  if (!basehead.includes('...')) throw new GitHubApiError(404, 'Not Found');
  const [baseSpec, headSpec] = splitOnce(basehead, '...');
  const owner = request.params['owner'] ?? '';
  const base = await resolveSpec(ctx, fullName, owner, baseSpec);
  const head = await resolveSpec(ctx, fullName, owner, headSpec);
  if (base === undefined || head === undefined) throw new GitHubApiError(404, 'Not Found');
  const mergeBase = await ctx.git.runGit(fullName, ['merge-base', base, head]);
  if (mergeBase.code !== 0) throw new GitHubApiError(404, 'Not Found');
  const mergeBaseSha = mergeBase.stdout.toString().trim();
  const counts = await ctx.git.runGit(fullName, ['rev-list', '--left-right', '--count', `${base}...${head}`]);
  const [behindBy = 0, aheadBy = 0] = counts.stdout.toString().trim().split(/\s+/).map(Number);
  const [baseCommit] = await ctx.shapes.commits(fullName, ['-1', base]);
  const [mergeBaseCommit] = await ctx.shapes.commits(fullName, ['-1', mergeBaseSha]);
  const web = `${ctx.serverUrl}/${fullName}/compare`;
  // Like GitHub: 250 commits at most without pagination; with per_page or page, pages of at most 100 and a Link
  // header; the files on the first page only.
  const paged = request.query.has('per_page') || request.query.has('page');
  const { perPage, page: number } = pageOf(request, paged ? 30 : 250);
  const all = await ctx.shapes.commits(fullName, ['--reverse', `${base}..${head}`]);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  return {
    status: 200,
    headers: paged ? linkHeader(ctx.url, request, number, last, perPage) : {},
    body: {
      url: `${ctx.url}/repos/${fullName}/compare/${basehead}`,
      html_url: `${web}/${basehead}`,
      permalink_url: `${web}/${base}...${head}`,
      diff_url: `${web}/${basehead}.diff`,
      patch_url: `${web}/${basehead}.patch`,
      base_commit: baseCommit,
      merge_base_commit: mergeBaseCommit,
      status: compareStatus(aheadBy, behindBy),
      ahead_by: aheadBy,
      behind_by: behindBy,
      total_commits: aheadBy,
      commits: all.slice((number - 1) * perPage, number * perPage),
      files: number === 1 ? await ctx.shapes.diffFiles(fullName, mergeBaseSha, head) : [],
    },
  };
}

/** PRs whose merge commit or head is the commit (merged ones come from addMergedPull). */
export async function pullsForCommit(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['pull_requests', 'read']);
  const spec = request.params['sha'] ?? '';
  const sha = await ctx.git.resolve(fullName, spec);
  if (sha === undefined) throw new GitHubApiError(422, `No commit found for SHA: ${spec}`);
  const candidates = ctx.store.pulls.filter((pull) => pull.repo === fullName);
  const served = await Promise.all(
    candidates.map(async (pull) => ({ pull, json: await ctx.shapes.pullJson(pull) })),
  );
  const related = served
    .filter(({ pull }) => pull.merge_commit_sha === sha || pull.head.sha === sha)
    .sort((a, b) => b.pull.number - a.pull.number);
  return page(
    ctx.url,
    request,
    related.map(({ json }) => json),
  );
}

export async function getCommit(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['contents', 'read']);
  const ref = request.params['ref'] ?? '';
  if ((await ctx.git.branches(fullName)).length === 0)
    throw new GitHubApiError(409, 'Git Repository is empty.');
  const sha = await ctx.git.resolve(fullName, ref);
  if (sha === undefined) throw new GitHubApiError(422, `No commit found for SHA: ${ref}`);
  const [commit] = await ctx.shapes.commits(fullName, ['-1', sha]);
  return { status: 200, body: commit };
}

/** A compare side: a sha, branch or tag, optionally 'owner:ref' for the repo's own owner. */
export async function resolveSpec(
  ctx: Context,
  fullName: string,
  owner: string,
  spec: string,
): Promise<string | undefined> {
  if (spec.includes(':')) {
    const [specOwner, ref] = splitOnce(spec, ':');
    return specOwner === owner ? ctx.git.resolve(fullName, ref) : undefined;
  }
  return ctx.git.resolve(fullName, spec);
}

/** The commits of a branch (default: the repo's default branch), newest first, with page/per_page and a Link. */
export async function listCommits(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const fullName = repoOf(request);
  await ctx.authorize(request, fullName, ['contents', 'read']);
  if ((await ctx.git.branches(fullName)).length === 0)
    throw new GitHubApiError(409, 'Git Repository is empty.');
  const spec = request.query.get('sha') ?? `refs/heads/${await ctx.git.defaultBranch(fullName)}`;
  const sha =
    (await ctx.git.resolve(fullName, spec.startsWith('refs/') ? spec : `refs/heads/${spec}`)) ??
    (await ctx.git.resolve(fullName, spec));
  if (sha === undefined) throw new GitHubApiError(404, 'Not Found');
  const path = request.query.get('path');
  return page(
    ctx.url,
    request,
    await ctx.shapes.commits(fullName, [sha, ...(path === null ? [] : ['--', path])]),
  );
}
