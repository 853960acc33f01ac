import { readFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding the `repo2docker` test double; prepend it to PATH (see `pathWithDouble`). The double
 * follows the real CLI and builds with the local docker engine (legacy builder: this machine has no buildx).
 *
 * Environment it reads:
 * - `REPO2DOCKER_DOUBLE_LOG`: a file to append one JSON line per invocation to (`readInvocations`).
 * - `REPO2DOCKER_DOUBLE_VERSION`: what `--version` prints and the `repo2docker.version` label (default 2026.04.0).
 * - `REPO2DOCKER_DOUBLE_BASE_IMAGE`: base of the generated image (default `hia-test/python:bookworm`, i.e.
 *   `PYTHON_IMAGE`); `--Repo2Docker.base_image=` wins over it.
 * - `REPO2DOCKER_DOUBLE_REQUIRE_BUILDX=1`: check `docker buildx version` first like repo2docker >= 2025.08.0, and
 *   fail with docker's message when buildx is missing.
 * - `CONTAINER_ENGINE_REGISTRY_CREDENTIALS`: JSON `{registry, username, password}` for `--push`, as in repo2docker.
 */
export const REPO2DOCKER_DOUBLE_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'repo2docker-double',
);

/** The double's executable. */
export const REPO2DOCKER_DOUBLE = join(REPO2DOCKER_DOUBLE_DIR, 'repo2docker');

/** Default value of the `repo2docker.version` label and of `--version`. */
export const REPO2DOCKER_DOUBLE_DEFAULT_VERSION = '2026.04.0';

/** Where the generated (non-Dockerfile) images record the request. */
export const REQUEST_FILE_IN_IMAGE = '/etc/repo2docker-double.json';

/** `path` (default: this process's PATH) with the double's directory first. */
export function pathWithDouble(path: string = process.env['PATH'] ?? ''): string {
  return [REPO2DOCKER_DOUBLE_DIR, ...path.split(delimiter).filter((dir) => dir !== '')].join(delimiter);
}

/** One call of the double, as logged to `REPO2DOCKER_DOUBLE_LOG`. */
export interface Repo2DockerInvocation {
  /** Arguments after the program name. */
  argv: string[];
  cwd: string;
  env: { DOCKER_CONFIG: string | null; DOCKER_HOST: string | null };
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

/** What a generated image records in `REQUEST_FILE_IN_IMAGE`. */
export interface Repo2DockerRequest {
  double: 'repo2docker-double';
  version: string;
  argv: string[];
  repo: string;
  ref: string;
  imageName: string;
  /** The buildpack repo2docker would pick: CondaBuildPack, PythonBuildPack, RBuildPack, PipfileBuildPack. */
  buildpack: string;
  /** `binder`, `.binder` or ''. */
  binderDir: string;
  /** Config files found, relative to the repo (after `--subdir`), e.g. `environment.yml`, `binder/apt.txt`. */
  configFiles: string[];
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
