import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding the `repo2docker` test double. It imitates repo2docker 2026.04.0 as the real one behaves
 * (see the README): its flags, messages, exit codes and labels, the lazy docker and buildx checks, and a build
 * through `docker buildx build --progress plain`. Where this machine has no buildx, it can stand in for buildx's
 * `docker` driver with the engine's own BuildKit (`REPO2DOCKER_DOUBLE_NO_BUILDX=engine-buildkit`).
 *
 * Environment it reads:
 * - `REPO2DOCKER_DOUBLE_NO_BUILDX`: `fail` (default: the real tool's RuntimeError) or `engine-buildkit`.
 * - `REPO2DOCKER_DOUBLE_VERSION`: the version it reports (default 2026.04.0, printed as pip spells it, 2026.4.0).
 * - `REPO2DOCKER_DOUBLE_BASE_IMAGE`: base of the image built for a repository without a Dockerfile (default
 *   `hia-test/python:bookworm`); `--Repo2Docker.base_image=` wins over it.
 * - `REPO2DOCKER_DOUBLE_LOG`: a file to append one JSON line per invocation to (`readInvocations`).
 * - `CONTAINER_ENGINE_REGISTRY_CREDENTIALS`: JSON `{registry, username, password}`, as in repo2docker.
 */
export const REPO2DOCKER_DOUBLE_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'repo2docker-double',
);

/** The double's executable. */
export const REPO2DOCKER_DOUBLE = join(REPO2DOCKER_DOUBLE_DIR, 'repo2docker');

/** The `jupyter` the double's images have: serves /api/status like jupyter_server; tests can put it in any image. */
export const JUPYTER_STUB = join(REPO2DOCKER_DOUBLE_DIR, 'lib', 'jupyter-stub.py');

/** The version the real tool is pinned at, as the action's input spells it. */
export const PINNED_REPO2DOCKER = '2026.04.0';

/** Where images built for a repository without a Dockerfile record the request. */
export const REQUEST_FILE_IN_IMAGE = '/etc/repo2docker-double.json';

/** `path` (default: this process's PATH) with the double's directory first. */
export function pathWithDouble(path: string = process.env['PATH'] ?? ''): string {
  return [REPO2DOCKER_DOUBLE_DIR, ...path.split(delimiter).filter((dir) => dir !== '')].join(delimiter);
}

/** What a test gives the action to find the double, standing in for buildx where the machine has none. */
export function doubleEnv(): Record<string, string> {
  return { PATH: pathWithDouble(), REPO2DOCKER_DOUBLE_NO_BUILDX: 'engine-buildkit' };
}

/** The repo2docker the tests run: the real one when it is on PATH at the pinned version with buildx, else the double. */
export interface Repo2DockerUnderTest {
  kind: 'real' | 'double';
  /** What `repo2docker --version` prints. */
  version: string;
  /** Variables to give the action: PATH, and DOCKER_CONFIG when buildx is found through it. */
  env: Record<string, string>;
  /** For the double: why not the real one. */
  why?: string;
}

/** "2026.04.0" and "2026.4.0" name one release. */
function sameRelease(a: string, b: string): boolean {
  const normal = (v: string) => v.trim().replace(/(^|\.)0+(\d)/g, '$1$2');
  return normal(a) === normal(b);
}

function capture(command: string, args: string[]): { ok: boolean; out: string } {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return { ok: result.status === 0, out: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

let chosen: Repo2DockerUnderTest | undefined;

/**
 * Picks the repo2docker for this test run, once. `HIA_REAL_TOOLS=1` demands the real tools: without them it throws
 * (so the tests fail, never skip).
 */
export function repo2dockerUnderTest(): Repo2DockerUnderTest {
  if (chosen !== undefined) return chosen;
  const dockerConfig = process.env['DOCKER_CONFIG'];
  const passDockerConfig: Record<string, string> = dockerConfig ? { DOCKER_CONFIG: dockerConfig } : {};
  const real = capture('repo2docker', ['--version']);
  const version = real.out.split('\n').at(-1) ?? '';
  const buildx = capture('docker', ['buildx', 'version']);
  const missing = [
    real.ok && sameRelease(version, PINNED_REPO2DOCKER)
      ? undefined
      : real.ok
        ? `the repo2docker on PATH is ${version}, not ${PINNED_REPO2DOCKER}`
        : 'repo2docker is not installed',
    buildx.ok ? undefined : `docker buildx does not answer (${buildx.out.split('\n')[0] ?? ''})`,
  ].filter((problem): problem is string => problem !== undefined);
  if (missing.length === 0) {
    chosen = { kind: 'real', version, env: { PATH: process.env['PATH'] ?? '', ...passDockerConfig } };
  } else if (process.env['HIA_REAL_TOOLS'] === '1') {
    throw new Error(`HIA_REAL_TOOLS=1, but ${missing.join(', and ')}`);
  } else {
    const env = { ...doubleEnv(), ...passDockerConfig };
    chosen = { kind: 'double', version: '2026.4.0', env, why: missing.join(', and ') };
  }
  return chosen as Repo2DockerUnderTest;
}

/** One call of the double, as logged to `REPO2DOCKER_DOUBLE_LOG`. */
export interface Repo2DockerInvocation {
  /** Arguments after the program name. */
  argv: string[];
  cwd: string;
}

/** Every invocation logged to `logFile`, in order; none if the file does not exist. */
export async function readInvocations(logFile: string): Promise<Repo2DockerInvocation[]> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Repo2DockerInvocation);
}

/** What an image built by the double for a repository without a Dockerfile records in `REQUEST_FILE_IN_IMAGE`. */
export interface Repo2DockerRequest {
  double: 'repo2docker-double';
  version: string;
  argv: string[];
  imageName: string;
  /** The buildpack repo2docker would pick: CondaBuildPack, PythonBuildPack, RBuildPack, PipfileBuildPack, … */
  buildpack: string;
  /** `binder`, `.binder` or ''. */
  binderDir: string;
  subdir: string;
  userName: string;
  userId: number;
  targetRepoDir: string;
  /** NB_USER, NB_UID, REPO_DIR (when `--target-repo-dir` is given), then the `--build-arg`s. */
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  appendix: string | null;
  cacheFrom: string[];
  baseImage: string;
  platform: string;
  extraBuildxBuildArgs: string[];
}
