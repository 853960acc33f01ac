// The "Inputs" and "Access token" phases as the log tells them: what will be pushed where, and by whom.
import * as core from '@actions/core';
import { formatDuration } from '@hub-image-actions/action-io';
import type { AccessTokenSource, GarAuth } from '@hub-image-actions/gar-auth';
import type { Inputs } from './context.js';

export function identityOf(auth: GarAuth): string | undefined {
  if (auth.mode === 'workload-identity') return auth.serviceAccount;
  if (auth.mode === 'credentials-json') return auth.key.client_email;
  return undefined;
}

export function describeAuth(auth: GarAuth): string {
  if (auth.mode === 'workload-identity') return `keyless as ${auth.serviceAccount}`;
  if (auth.mode === 'credentials-json') return `key of ${auth.key.client_email}`;
  return 'access token from "access-token"';
}

export function describeInputs(inputs: Inputs): void {
  core.info(
    `Target:   ${inputs.target.full}${inputs.gar ? ` (Artifact Registry: project ${inputs.gar.project}, location ${inputs.gar.location}, repository ${inputs.gar.repository})` : ''}`,
  );
  if (inputs.hostAsGiven !== undefined) {
    core.info(
      `Host:     ${inputs.hostAsGiven} is used as ${inputs.target.registry}: host names are case-insensitive, and docker and the registry API get this one spelling`,
    );
  }
  core.info(`Tags:     ${inputs.tags.join(', ')}`);
  core.info(
    `Source:   ${inputs.source.kind === 'image' ? `local image ${inputs.source.ref}` : `digest ${inputs.source.digest}, already in the repository`}`,
  );
  core.info(`Auth:     ${describeAuth(inputs.auth)}`);
  if (inputs.packageManifest !== undefined)
    core.info(`Packages: ${inputs.packageManifest.path}, stored with the image after the push`);
  if (inputs.packagesDiff !== undefined)
    core.info(`Diff:     ${inputs.packagesDiff.path}, shown in the job summary`);
  core.info(
    `Existing tags: ${inputs.overwrite ? 'moved when they hold another image (overwrite: true)' : 'never moved (overwrite: false)'}`,
  );
  core.info(
    `Retries:  at most ${inputs.maxAttempts} attempts per write, ${formatDuration(inputs.retryTimeoutSeconds * 1000)} for the whole push`,
  );
}

export async function mintToken(tokens: AccessTokenSource, auth: GarAuth): Promise<void> {
  const started = Date.now();
  const { expiresAt } = await tokens.token('initial');
  if (auth.mode === 'access-token') {
    core.info(
      'Using the access token given in "access-token"; it cannot be renewed, so a 401 ends the push.',
    );
    return;
  }
  const left = expiresAt === undefined ? 0 : expiresAt - Date.now();
  const expiry =
    expiresAt === undefined
      ? ''
      : `, valid until ${new Date(expiresAt).toISOString()} (${left >= 60_000 ? `${Math.round(left / 60_000)} min` : formatDuration(left)})`;
  core.info(
    `Minted an access token (${describeAuth(auth)}) in ${formatDuration(Date.now() - started)}${expiry}.`,
  );
}
