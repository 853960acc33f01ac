// Phase two, build: repo2docker builds the image into the local engine, or is told why it cannot.
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ProcessRunner } from '@hub-image-actions/process';
import type { Clock } from '@hub-image-actions/retry';
import { BuildLog, type CacheStats } from './build-log.js';
import type { Log } from './decide.js';
import type { Inputs } from './context.js';
import type { Docker, EngineVersions, LocalImage } from './docker.js';
import type { Repo2Docker } from './repo2docker.js';
import {
  formatCommand,
  INPUTS_HASH_LABEL,
  repo2dockerArgv,
  type Repo2DockerPlan,
} from './repo2docker-argv.js';
import { layersFromCache } from './reuse.js';
import { buildxMissingLine, normalVersion, usesBuildx } from './versions.js';

/** A build that failed in the user's repository or on the runner: what to show in the summary, no stack trace. */
export class BuildFailedError extends ConfigurationError {
  constructor(
    message: string,
    readonly failure: { title: string; lines: string[] },
    fix?: string,
  ) {
    super(message, fix);
  }
}

export interface BuildDeps {
  runner: ProcessRunner;
  docker: Docker;
  clock: Clock;
  log: Log;
  /** Writes one line of the build's own output to the log. */
  print(line: string): void;
  /** Runs `work` where the build's output cannot issue workflow commands. */
  shielded<T>(work: () => Promise<T>): Promise<T>;
}

export interface BuildRequest {
  repo2docker: Repo2Docker;
  engine: EngineVersions;
  /** Everything for the command line but what this phase decides (`load`). */
  argv: Omit<Repo2DockerPlan, 'load'>;
  /** The builder is not buildx's `docker` driver: its image only reaches the engine with `--load`. */
  load: boolean;
  /** The inputs hash the image must carry. */
  hash: string;
  forceRebuild: boolean;
  /** What the engine holds under the image name before the build. */
  existing: LocalImage | undefined;
  /** The diff ids of each cache image, to count the layers they gave. */
  cacheLayers: ReadonlyArray<readonly string[]>;
  /** repo2docker runs here, so its `repo2docker_config.py` is the one that was hashed. */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface BuildOutcome {
  image: LocalImage;
  /** The engine already had the image with these inputs, and repo2docker reused it. */
  reusedLocally: boolean;
  stats: CacheStats;
  layersFromCache: number;
  durationMs: number;
  warnings: string[];
}

/** The command line's plan from the inputs: our labels first (the commit, the inputs hash), then the user's. */
export function argvPlan(
  inputs: Inputs,
  imageRef: string,
  hash: string,
  cacheFrom: string[],
  repo2dockerVersion: string,
): BuildRequest['argv'] {
  const labels: Array<[string, string]> = [];
  if (inputs.repositoryUrl) labels.push(['repo2docker.repo', inputs.repositoryUrl]);
  if (inputs.commit) labels.push(['repo2docker.ref', inputs.commit.sha]);
  labels.push([INPUTS_HASH_LABEL, hash], ...inputs.labels);
  return {
    imageRef,
    userId: inputs.userId,
    userName: inputs.userName,
    targetRepoDir: inputs.targetRepoDir,
    cacheFrom,
    labels,
    buildArgs: inputs.buildArgs,
    appendix: inputs.appendix,
    subdir: inputs.subdir,
    platform: inputs.platform,
    inlineCache: usesBuildx(repo2dockerVersion),
    extraArgs: inputs.extraArgs,
    repoDir: inputs.repoDir,
  };
}

const INSTALL_BUILDX =
  "Install the buildx plugin (package docker-buildx-plugin from Docker's apt repository, or the docker/setup-buildx-action step), " +
  'or pin repo2docker-version below 2025.08.0, which builds without buildx';

export async function buildImage(deps: BuildDeps, request: BuildRequest): Promise<BuildOutcome> {
  const { docker, log } = deps;
  const imageRef = request.argv.imageRef;
  // repo2docker skips the build when the tag exists locally: only let it when that image has our inputs.
  let reusedLocally = false;
  if (request.existing !== undefined) {
    if (request.existing.labels[INPUTS_HASH_LABEL] === request.hash && !request.forceRebuild) {
      reusedLocally = true;
      log.info(`${imageRef} is already in the local engine with these inputs; repo2docker will use it`);
    } else {
      log.info(
        `Untagging the local ${imageRef} (other inputs or force-rebuild) so that repo2docker builds it`,
      );
      await docker.run(['image', 'rm', imageRef]);
    }
  }

  const argv = repo2dockerArgv({ ...request.argv, load: request.load });
  log.info(`$ ${formatCommand(request.repo2docker.path, argv)}`);
  const buildLog = new BuildLog();
  const started = deps.clock.now();
  const result = await deps.shielded(() =>
    deps.runner.run(request.repo2docker.path, argv, {
      env: request.env,
      cwd: request.cwd,
      onLine: (line) => {
        deps.print(line);
        buildLog.line(line);
      },
    }),
  );
  if (result.exitCode !== 0) {
    const buildxMissing = buildxMissingLine(`${result.stdout}\n${result.stderr}`);
    if (buildxMissing !== undefined) {
      const message =
        `repo2docker ${normalVersion(request.repo2docker.version)} builds with \`docker buildx build\`, and this runner's docker ` +
        `(${request.engine.client}) has no usable buildx plugin (${request.engine.buildxProblem ?? 'buildx is missing'}; ` +
        `the build said: ${buildxMissing})`;
      throw new BuildFailedError(
        message,
        { title: 'buildx is missing', lines: buildLog.lastLines(10) },
        INSTALL_BUILDX,
      );
    }
    const failure = buildLog.failure();
    const title = failure.step
      ? `Build failed at ${failure.step}`
      : `repo2docker exited with code ${result.exitCode}`;
    throw new BuildFailedError(`${title}\n${failure.lines.join('\n')}`, { title, lines: failure.lines });
  }
  const image = await docker.inspectImage(imageRef);
  if (image === undefined) {
    throw new Error(`repo2docker succeeded, but ${imageRef} is not in the local engine`);
  }
  const warnings: string[] = [];
  if (image.labels[INPUTS_HASH_LABEL] !== request.hash) {
    warnings.push(`${imageRef} does not carry the ${INPUTS_HASH_LABEL} label, so later runs cannot reuse it`);
  }
  for (const warning of warnings) log.warning(warning, 'Label missing');
  return {
    image,
    reusedLocally,
    stats: buildLog.cacheStats(),
    layersFromCache: layersFromCache(image.layers, request.cacheLayers),
    durationMs: deps.clock.now() - started,
    warnings,
  };
}
