import * as core from '@actions/core';
import { rm } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InputReader } from '@hub-image-actions/action-io';
import {
  normalizePrivateKey,
  openSealedToken,
  revokeInstallationToken,
  tokenClient,
} from '@hub-image-actions/github-access';
import { runnerEnvironment } from './context.js';
import { savedState } from './state.js';

export const WORK_DIR_PREFIX = 'hub-image-bump-';

/** The post step (`post-if: always()`): after a main step that was killed, revoke the token, then remove the clone. */
export async function post(): Promise<void> {
  const state = savedState.load();
  if (state.closed === 'true') return;
  const sealed = state['token-seal'];
  if (sealed !== undefined) {
    const key = new InputReader().secret('private-key');
    const token = key === undefined ? undefined : openSealedToken(sealed, normalizePrivateKey(key));
    if (token === undefined) {
      core.warning(
        'Could not open the saved installation token, so it was not revoked; it expires on its own within an hour.',
      );
    } else {
      core.setSecret(token);
      try {
        await revokeInstallationToken(tokenClient(token, core.info), 10_000);
        core.info('Revoked the installation token the main step minted.');
      } catch (error) {
        core.warning(
          `Could not revoke the installation token (it expires on its own within an hour): ${String(error)}`,
        );
      }
    }
  }
  const workDir = state['work-dir'];
  const runnerTemp = resolve(runnerEnvironment().runnerTemp);
  // Only ever a folder this action made directly under RUNNER_TEMP, whatever the state file says.
  if (
    workDir !== undefined &&
    dirname(resolve(workDir)) === runnerTemp &&
    basename(workDir).startsWith(WORK_DIR_PREFIX)
  ) {
    await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
    core.info(`Removed the clone ${workDir}.`);
  }
}
