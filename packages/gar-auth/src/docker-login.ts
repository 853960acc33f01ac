import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, isAbsolute } from 'node:path';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { ProcessError, type ProcessRunner, type RunResult } from '@hub-image-actions/process';
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
  if (!runnerTemp) {
    throw new ConfigurationError(
      'RUNNER_TEMP is not set, so there is no private directory for the docker credentials',
      'Run this as a step of a GitHub Actions job (the runner sets RUNNER_TEMP); when running it by hand, set RUNNER_TEMP to an empty directory outside the workspace',
    );
  }
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

export type LoginFailureKind =
  /** 401/403, "unauthorized", "denied": the registry refused the credential; waiting does not help. */
  | 'denied'
  /** 5xx, 429, 408, a dropped or refused connection, a timeout: worth another attempt. */
  | 'retryable'
  | 'other';

export interface LoginFailure {
  kind: LoginFailureKind;
  /** The HTTP status when docker's message shows it. */
  status?: number;
  /** A short reason for the log, e.g. "server error 503". */
  reason: string;
  /** Docker's error line, without its "Error response from daemon: " prefix. */
  message: string;
}

const CONNECTION_FAILURE =
  /: EOF$|unexpected EOF|connection reset|connection refused|broken pipe|use of closed network connection|i\/o timeout|TLS handshake timeout|context deadline exceeded|Client\.Timeout exceeded|request canceled|server misbehaving|no route to host|network is unreachable/i;

/**
 * Classifies a failed `docker login` from what dockerd 20.10 prints, e.g. `Error response from daemon: login
 * attempt to https://HOST/v2/ failed with status: 503 Service Unavailable`, `… Get "https://HOST/v2/": EOF`, or
 * `unauthorized: …` / `denied: …` from a registry's token endpoint.
 */
export function classifyLoginFailure(
  result: Pick<RunResult, 'stderr' | 'stdout' | 'timedOut'>,
): LoginFailure {
  const lines = (result.stderr.trim() === '' ? result.stdout : result.stderr)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const message = (lines[lines.length - 1] ?? '(docker login printed no error)').replace(
    /^Error response from daemon:\s*/,
    '',
  );
  if (result.timedOut) return { kind: 'retryable', reason: 'timed out', message: `timed out (${message})` };
  const status = Number(
    /(?:with status:|HTTP status:|status code) ?([1-5][0-9]{2})\b/i.exec(message)?.[1] ?? NaN,
  );
  if (status === 401 || status === 403) {
    return {
      kind: 'denied',
      status,
      reason: status === 401 ? 'unauthorized (401)' : 'denied (403)',
      message,
    };
  }
  if (status >= 500) return { kind: 'retryable', status, reason: `server error ${status}`, message };
  if (status === 429) return { kind: 'retryable', status, reason: 'too many requests (429)', message };
  if (status === 408) return { kind: 'retryable', status, reason: 'request timeout (408)', message };
  if (
    /(^|: )(unauthorized|denied): |authentication required|incorrect username or password|access denied/i.test(
      message,
    )
  ) {
    return { kind: 'denied', reason: 'credential refused', message };
  }
  if (/^(unavailable|toomanyrequests)\b/i.test(message))
    return { kind: 'retryable', reason: 'registry unavailable', message };
  if (CONNECTION_FAILURE.test(message)) return { kind: 'retryable', reason: 'connection failed', message };
  return { kind: 'other', reason: 'login failed', message };
}

/** A `docker login` that failed; still a ProcessError, with what kind of failure it was. */
export class DockerLoginError extends ProcessError {
  readonly registry: string;
  readonly failure: LoginFailure;

  // No parameter properties: the test harness loads this file with Node's type stripping, which cannot erase them.
  constructor(registry: string, args: readonly string[], result: RunResult) {
    super('docker', args, result);
    this.name = 'DockerLoginError';
    this.registry = registry;
    this.failure = classifyLoginFailure(result);
  }
}

/**
 * `docker login` into `configDir`, the password on stdin. The credential must land in `configDir/config.json`,
 * where the post step deletes it: with no auth in its config, docker would hand it to a credential helper it
 * finds on PATH (`docker-credential-pass`, `-secretservice`), outside this directory and never deleted. An
 * `auths` entry written first turns that detection off.
 */
export async function dockerLogin(
  runner: ProcessRunner,
  options: {
    configDir: string;
    registry: string;
    username: string;
    password: string;
    /** Stop docker login after this long (a failure classified `retryable`). */
    timeoutMs?: number;
  },
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
  const args = [
    '--config',
    options.configDir,
    'login',
    '--username',
    options.username,
    '--password-stdin',
    options.registry,
  ];
  const result = await runner.run('docker', args, {
    stdin: options.password,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  if (result.exitCode !== 0 || result.timedOut) throw new DockerLoginError(options.registry, args, result);
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
