import { mkdtemp, rm } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { runChecked, type ProcessRunner } from '@hub-image-actions/process';
import type { CredentialProvider } from '@hub-image-actions/registry-client';
import { ACCESS_TOKEN_USER, type AccessTokenSource } from './token-source.js';

/** Registry credentials backed by a token source: a 401 makes the registry client ask for a freshly minted token. */
export function registryCredentials(source: AccessTokenSource): CredentialProvider {
  return async (reason) => ({ username: ACCESS_TOKEN_USER, password: (await source.token(reason)).token });
}

function isInside(child: string, parent: string): boolean {
  const path = relative(resolve(parent), resolve(child));
  return path === '' || (!path.startsWith('..') && !isAbsolute(path));
}

/**
 * A fresh, private DOCKER_CONFIG directory under RUNNER_TEMP. Never inside the workspace: repo2docker copies the
 * workspace into the image, and a docker config there would ship the registry credential with it.
 */
export async function freshDockerConfigDir(
  runnerTemp: string | undefined,
  workspace: string | undefined,
): Promise<string> {
  if (!runnerTemp) throw new Error('RUNNER_TEMP is not set; this must run as a GitHub Actions step');
  if (workspace && isInside(runnerTemp, workspace)) {
    throw new ConfigurationError(
      `RUNNER_TEMP (${runnerTemp}) is inside the workspace (${workspace}), so docker credentials written there could end up in a build context`,
      'Run on a runner whose temp directory is outside the workspace',
    );
  }
  return mkdtemp(join(runnerTemp, 'hub-image-actions-docker-'));
}

/** `docker login` into `configDir`, the password on stdin. */
export async function dockerLogin(
  runner: ProcessRunner,
  options: { configDir: string; registry: string; username: string; password: string },
): Promise<void> {
  await runChecked(
    runner,
    'docker',
    [
      '--config',
      options.configDir,
      'login',
      '--username',
      options.username,
      '--password-stdin',
      options.registry,
    ],
    { stdin: options.password },
  );
}

export async function removeDockerConfig(configDir: string): Promise<void> {
  await rm(configDir, { recursive: true, force: true });
}
