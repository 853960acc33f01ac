import { randomBytes } from 'node:crypto';
import type { Context } from './context.js';
import {
  GitHubApiError,
  type AppRecord,
  type PermissionScope,
  type RouteRequest,
  type RouteResponse,
  type TokenPermissions,
} from './types.js';
import { installationRepos } from './store.js';
import { allows, repoOf, requireObject, timestamp } from './wire.js';

// GitHub Apps: the repository's installation, installation tokens (minted here and on the git server), revocation.

export function getInstallation(
  ctx: Context,
  request: RouteRequest,
  app: AppRecord | undefined,
): RouteResponse {
  const id = app?.installations[repoOf(request)];
  if (app === undefined || id === undefined) throw new GitHubApiError(404, 'Not Found');
  return { status: 200, body: ctx.shapes.installationJson(app, id) };
}

export async function createInstallationToken(
  ctx: Context,
  request: RouteRequest,
  app: AppRecord | undefined,
): Promise<RouteResponse> {
  const installationId = Number(request.params['id']);
  if (app === undefined || !Object.values(app.installations).includes(installationId)) {
    throw new GitHubApiError(404, 'Not Found');
  }
  return { status: 201, body: await mintInstallationToken(ctx, app, installationId, request.body) };
}

export function revokeInstallationToken(ctx: Context, request: RouteRequest): RouteResponse {
  const token = request.caller?.token ?? '';
  ctx.tokens.delete(token);
  ctx.git.removeToken(token);
  const minted = ctx.minted.find((entry) => entry.token === token);
  if (minted !== undefined) minted.revoked = true;
  return { status: 204 };
}

/** Mints an installation token, registered here and on the GitServer for exactly its repos. */
export async function mintInstallationToken(
  ctx: Context,
  app: AppRecord,
  installationId: number,
  body: unknown,
): Promise<Record<string, unknown>> {
  const input = body === undefined ? {} : requireObject(body);
  const installed = installationRepos(app, installationId);
  const [owner = ''] = (installed[0] ?? '').split('/');
  let repos = installed;
  const names = input['repositories'];
  const ids = input['repository_ids'];
  if (Array.isArray(names) || Array.isArray(ids)) {
    const wanted = [
      ...(Array.isArray(names) ? names.map((name) => `${owner}/${String(name)}`) : []),
      ...(Array.isArray(ids)
        ? ids.map((id) => [...ctx.store.repoIds].find(([, known]) => known === id)?.[0] ?? `#${String(id)}`)
        : []),
    ];
    if (wanted.some((fullName) => !installed.includes(fullName))) {
      throw new GitHubApiError(
        422,
        'There is at least one repository that does not exist or is not accessible to the parent installation.',
      );
    }
    repos = [...new Set(wanted)];
  }
  let permissions: TokenPermissions = app.permissions;
  if (input['permissions'] !== undefined) {
    const requested = requireObject(input['permissions']) as Record<string, unknown>;
    const narrowed: TokenPermissions = {};
    for (const [scope, access] of Object.entries(requested)) {
      if (scope === 'metadata' && access === 'read') continue;
      const granted = app.permissions[scope as PermissionScope];
      if ((access !== 'read' && access !== 'write') || !allows(granted, access)) {
        throw new GitHubApiError(422, 'The permissions requested are not granted to this installation.');
      }
      narrowed[scope as PermissionScope] = access;
    }
    permissions = narrowed;
  }
  const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
  const expiresAt = timestamp(new Date(Date.now() + 3600_000));
  const login = `${app.slug}[bot]`;
  ctx.addToken(token, { repos, permissions, login });
  ctx.git.addToken(token, { push: permissions.contents === 'write', repos, user: login });
  ctx.minted.push({ token, appId: app.id, installationId, repos, permissions, expiresAt, revoked: false });
  return {
    token,
    expires_at: expiresAt,
    permissions: { ...permissions, metadata: 'read' },
    repository_selection: 'selected',
    repositories: await Promise.all(repos.map((fullName) => ctx.shapes.repoJson(fullName))),
  };
}
