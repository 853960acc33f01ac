// The GitHub side of the report: the given token, or an installation token for the deployment repo alone.
import * as core from '@actions/core';
import { maskSecret } from '@hub-image-actions/action-io';
import { openAccess, type GitHubAccess, repoName } from '@hub-image-actions/github-access';
import type { Inputs } from './context.js';

/** The given token, or an installation token for the deployment repo alone: read, plus issues when asked. */
export async function authenticate(inputs: Inputs): Promise<GitHubAccess> {
  const permissions: Record<string, 'read' | 'write'> = { contents: 'read', pull_requests: 'read' };
  if (inputs.issue) permissions['issues'] = 'write';
  const access = await openAccess(inputs.auth, {
    repo: inputs.deploymentRepo,
    repoInput: 'deployment-repo',
    permissions,
    log: core.info,
  });
  if (access.minted !== undefined) {
    maskSecret(access.token);
    core.info(
      `Minted a GitHub App installation token for ${repoName(inputs.deploymentRepo)} only (${Object.entries(
        permissions,
      )
        .map(([scope, level]) => `${scope}: ${level}`)
        .join(', ')}; expires ${access.minted.expiresAt}).`,
    );
  } else {
    core.info('Using the token given in "token" for the deployment repository.');
  }
  return access;
}
