// The docker CLI calls the double makes, as argv arrays. Build and push output streams to our stderr, where
// repo2docker logs it.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export class EngineError extends Error {}

/** Runs a short docker command and captures its output. */
export function dockerCapture(args, env) {
  const result = spawnSync('docker', args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error !== undefined) {
    throw new EngineError(`The docker commandline client must be installed (${result.error.message})`);
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** Runs docker with its stdout and stderr going to our stderr; resolves with the exit code. */
export function dockerStream(args, env, stdin) {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 2, 2] });
    child.on('error', (error) =>
      reject(new EngineError(`The docker commandline client must be installed (${error.message})`)),
    );
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
    if (stdin !== undefined) child.stdin.end(stdin);
  });
}

/** What repo2docker checks before building: the CLI works and reaches the engine. */
export function checkEngine(env) {
  const version = dockerCapture(['version', '--format', '{{.Server.Version}}'], env);
  if (version.status !== 0) {
    const detail =
      version.stderr.trim() || version.stdout.trim() || `docker version exited ${version.status}`;
    throw new EngineError(`${detail}\nCheck if docker is running on the host.`);
  }
}

/** repo2docker >= 2025.08.0 requires the buildx plugin; docker's own complaint is shown as is. */
export function checkBuildx(env) {
  const result = dockerCapture(['buildx', 'version'], env);
  if (result.status !== 0) {
    process.stderr.write(result.stderr);
    throw new EngineError('The docker buildx plugin must be installed');
  }
}

export function imageExists(image, env) {
  return dockerCapture(['image', 'inspect', '--format', '{{.Id}}', image], env).status === 0;
}

/** A reference with a registry host (first part has a dot or port, or is localhost). */
export function isRegistryReference(ref) {
  const slash = ref.indexOf('/');
  if (slash === -1) return false;
  const host = ref.slice(0, slash);
  return host.includes('.') || host.includes(':') || host === 'localhost';
}

/**
 * Logs in with CONTAINER_ENGINE_REGISTRY_CREDENTIALS (JSON {registry, username, password}) into a temporary
 * DOCKER_CONFIG seeded from the current one, runs `work` with that environment, then deletes it.
 */
export async function withRegistryCredentials(env, work) {
  const raw = env.CONTAINER_ENGINE_REGISTRY_CREDENTIALS;
  if (raw === undefined || raw === '') return work(env);
  let credentials;
  try {
    credentials = JSON.parse(raw);
  } catch {
    throw new EngineError('CONTAINER_ENGINE_REGISTRY_CREDENTIALS is not valid JSON');
  }
  const { registry, username, password } = credentials ?? {};
  if (typeof registry !== 'string' || typeof username !== 'string' || typeof password !== 'string') {
    throw new EngineError(
      'CONTAINER_ENGINE_REGISTRY_CREDENTIALS must be a JSON object with "registry", "username" and "password"',
    );
  }
  const configDir = mkdtempSync(join(tmpdir(), '.repo2docker-double-docker-config-'));
  try {
    const current = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
    if (existsSync(current)) copyFileSync(current, join(configDir, 'config.json'));
    const loginEnv = { ...env, DOCKER_CONFIG: configDir };
    const code = await dockerStream(
      ['login', '--username', username, '--password-stdin', registry],
      loginEnv,
      password,
    );
    if (code !== 0) throw new EngineError(`docker login to ${registry} failed (exit ${code})`);
    return await work(loginEnv);
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}
