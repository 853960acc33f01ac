// Images in the local engine, from `docker image inspect`.
import { ProcessError, type ProcessRunner } from '@hub-image-actions/process';
import { engineProblem, isEngineUnreachable } from './engine.js';

export interface LocalImage {
  /** The config digest (classic image store) or the manifest digest (containerd image store). */
  id: string;
  /** Uncompressed size in the engine, in bytes. */
  size: number;
  /** Uncompressed layer digests (`RootFS.Layers`). */
  layers: string[];
  labels: Record<string, string>;
  repoTags: string[];
  /** `name@digest` for each repository the image was pushed to or pulled from. */
  repoDigests: string[];
}

interface ImageInspectJson {
  Id?: string;
  Size?: number;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  RootFS?: { Layers?: string[] | null };
  Config?: { Labels?: Record<string, string> | null } | null;
}

/** One line of `docker image inspect --format '{{json .}}'`. */
export function parseImageInspect(line: string): LocalImage {
  const image = JSON.parse(line) as ImageInspectJson;
  if (!image.Id) throw new Error(`docker image inspect printed no Id: ${line.slice(0, 200)}`);
  return {
    id: image.Id,
    size: image.Size ?? 0,
    layers: image.RootFS?.Layers ?? [],
    labels: image.Config?.Labels ?? {},
    repoTags: image.RepoTags ?? [],
    repoDigests: image.RepoDigests ?? [],
  };
}

export interface DockerCallOptions {
  /** The environment docker runs with (DOCKER_HOST, DOCKER_CONFIG); the runner's default when left out. */
  env?: NodeJS.ProcessEnv;
}

function withEnv(options: DockerCallOptions): { env?: NodeJS.ProcessEnv } {
  return options.env ? { env: options.env } : {};
}

/**
 * The image `ref` names in the local engine; undefined when there is none. A missing CLI or engine is a
 * ConfigurationError; any other failure a ProcessError.
 */
export async function inspectImage(
  runner: ProcessRunner,
  ref: string,
  options: DockerCallOptions = {},
): Promise<LocalImage | undefined> {
  const args = ['image', 'inspect', '--format', '{{json .}}', ref];
  const result = await runner.run('docker', args, withEnv(options));
  if (result.exitCode !== 0) {
    if (isEngineUnreachable(result)) throw engineProblem(result, options.env ?? process.env);
    if (/no such image/i.test(result.stderr)) return undefined;
    throw new ProcessError('docker', args, result);
  }
  return parseImageInspect(result.stdout.trim());
}

/**
 * The images that several names point at, in one `docker image inspect`; names that do not exist are left out.
 * docker prints the images it found and fails for the others, so the output is read either way.
 */
export async function inspectImages(
  runner: ProcessRunner,
  refs: readonly string[],
  options: DockerCallOptions = {},
): Promise<LocalImage[]> {
  if (refs.length === 0) return [];
  const result = await runner.run(
    'docker',
    ['image', 'inspect', '--format', '{{json .}}', ...refs],
    withEnv(options),
  );
  if (result.exitCode !== 0 && isEngineUnreachable(result))
    throw engineProblem(result, options.env ?? process.env);
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(parseImageInspect);
}
