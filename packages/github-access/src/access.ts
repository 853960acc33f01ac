import type { GitHubAuth } from './auth-inputs.js';
import { tokenClient, type Api, type ApiLog } from './client.js';
import {
  mintInstallationToken,
  revokeInstallationToken,
  type Permissions,
  type Repo,
} from './installation.js';

/** A client for one repository, and the token behind it (e.g. for git over HTTPS). */
export interface GitHubAccess {
  api: Api;
  token: string;
  /** Set when the token is an installation token this run minted (and must revoke). */
  minted?: { expiresAt: string };
}

export interface AccessRequest {
  repo: Repo;
  /** The input that names the repository, for messages. */
  repoInput: string;
  /** What an App installation token is limited to. A given token is used as it is. */
  permissions: Permissions;
  log: ApiLog;
}

/** Uses the given token, or mints an installation token of the App for `repo` alone. */
export async function openAccess(auth: GitHubAuth, request: AccessRequest): Promise<GitHubAccess> {
  if (auth.mode === 'token') return { api: tokenClient(auth.token, request.log), token: auth.token };
  const minted = await mintInstallationToken({ app: auth, ...request });
  return {
    api: tokenClient(minted.token, request.log),
    token: minted.token,
    minted: { expiresAt: minted.expiresAt },
  };
}

/** Revokes a minted token (a given one is the caller's and is left alone). */
export async function closeAccess(access: GitHubAccess, withinMs?: number): Promise<void> {
  if (access.minted !== undefined) await revokeInstallationToken(access.api, withinMs);
}

export type { Repo, Permissions };
