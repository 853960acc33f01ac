import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { runChecked, type ProcessRunner } from '@hub-image-actions/process';
import type { CredentialProvider } from '@hub-image-actions/registry-client';
import { ACCESS_TOKEN_USER, type AccessTokenSource } from './token-source.js';

/** Registry credentials backed by a token source: a 401 makes the registry client ask for a freshly minted token. */
export function registryCredentials(source: AccessTokenSource): CredentialProvider {
  let last: string | undefined;
  return async (reason) => {
    last = (await source.token(reason, reason === 'rejected' ? last : undefined)).token;
    return { username: ACCESS_TOKEN_USER, password: last };
  };
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

interface DockerConfigFile {
  auths?: Record<string, { auth?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

async function readDockerConfig(configDir: string): Promise<DockerConfigFile | undefined> {
  const text = await readFile(join(configDir, 'config.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as DockerConfigFile);
}

/**
 * `docker login` into `configDir`, the password on stdin. The credential must land in `configDir/config.json`,
 * where the post step deletes it: with no auth in its config, docker would hand it to a credential helper it
 * finds on PATH (`docker-credential-pass`, `-secretservice`), outside this directory and never deleted. An
 * `auths` entry written first turns that detection off.
 */
export async function dockerLogin(
  runner: ProcessRunner,
  options: { configDir: string; registry: string; username: string; password: string },
): Promise<void> {
  const existing = await readDockerConfig(options.configDir);
  if (existing === undefined) {
    await writeFile(
      join(options.configDir, 'config.json'),
      `${JSON.stringify({ auths: { [options.registry]: {} } }, null, 2)}\n`,
      { mode: 0o600 },
    );
  } else if (existing.credsStore || existing.credHelpers) {
    throw new Error(
      `${options.configDir}/config.json names a credential helper; log in to a fresh directory`,
    );
  }
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
  const written = await readDockerConfig(options.configDir);
  if (!written?.auths?.[options.registry]?.auth) {
    throw new Error(
      `docker login to ${options.registry} succeeded but left no credential in ${options.configDir}/config.json`,
    );
  }
}

/** True for a directory `freshDockerConfigDir` made under `runnerTemp`: the only kind a post step may delete. */
export function isFreshDockerConfigDir(path: string, runnerTemp: string | undefined): boolean {
  if (!runnerTemp || !isAbsolute(path)) return false;
  const rel = relative(resolve(runnerTemp), resolve(path));
  return /^hub-image-actions-docker-[A-Za-z0-9]{6}$/.test(rel);
}

export async function removeDockerConfig(configDir: string): Promise<void> {
  await rm(configDir, { recursive: true, force: true });
}
