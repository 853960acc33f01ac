import { ConfigurationError } from '@hub-image-actions/action-io';
import { appClient, type Api, type ApiLog } from './client.js';
import { apiFailure, statusOf } from './failures.js';

export interface Repo {
  owner: string;
  repo: string;
}

export type Permissions = Record<string, 'read' | 'write'>;

export interface InstallationToken {
  token: string;
  expiresAt: string;
}

export interface MintRequest {
  app: { appId: string; privateKey: string };
  /** The one repository the token is for. */
  repo: Repo;
  /** The input that names it, for messages (e.g. `deployment-repo`). */
  repoInput: string;
  /** Exactly what the action needs, e.g. `{contents: 'write', pull_requests: 'write'}`. */
  permissions: Permissions;
  log: ApiLog;
}

const listPermissions = (permissions: Permissions) =>
  Object.entries(permissions)
    .map(([scope, access]) => `${scope}: ${access}`)
    .join(', ');

/** Mints an installation token of the GitHub App, scoped to one repository with just the given permissions. */
export async function mintInstallationToken(request: MintRequest): Promise<InstallationToken> {
  const { app, repo, repoInput } = request;
  const octokit = appClient(app, request.log);
  let installationId: number;
  try {
    installationId = (await octokit.rest.apps.getRepoInstallation({ owner: repo.owner, repo: repo.repo }))
      .data.id;
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) {
      throw new ConfigurationError(
        `the GitHub App ${app.appId} is not installed on ${repo.owner}/${repo.repo} (or that repository does not exist)`,
        `Install the App on that repository, or check "${repoInput}"`,
      );
    }
    if (status === 401) {
      throw new ConfigurationError(
        `GitHub refused the App's credentials: ${apiFailure(error).message}`,
        'Check that "private-key" belongs to the App "app-id" names, and that the runner clock is right',
      );
    }
    throw error;
  }
  try {
    const auth = (await octokit.auth({
      type: 'installation',
      installationId,
      repositoryNames: [repo.repo],
      permissions: request.permissions,
    })) as { token: string; expiresAt: string };
    return { token: auth.token, expiresAt: auth.expiresAt };
  } catch (error) {
    if (statusOf(error) === 422) {
      throw new ConfigurationError(
        `the GitHub App ${app.appId} cannot have ${listPermissions(request.permissions)} on ${repo.owner}/${repo.repo}: ${apiFailure(error).message}`,
        `Grant the App ${listPermissions(request.permissions)} in its settings, and accept the new permissions on the installation`,
      );
    }
    throw error;
  }
}

/**
 * Revokes the installation token the client authenticates with; it cannot be used again. `withinMs` bounds the
 * call, without retries, for a cancelled run that has seconds left.
 */
export async function revokeInstallationToken(api: Api, withinMs?: number): Promise<void> {
  await api.rest.apps.revokeInstallationAccessToken(
    withinMs === undefined ? {} : { request: { retries: 0, signal: AbortSignal.timeout(withinMs) } },
  );
}
