import type { Context } from './context.js';
import type { RouteRequest, RouteResponse } from './types.js';
import { repoOf } from './wire.js';

export async function getRepo(ctx: Context, request: RouteRequest): Promise<RouteResponse> {
  const caller = await ctx.authorize(request, repoOf(request));
  return { status: 200, body: await ctx.shapes.repoJson(repoOf(request), caller) };
}
