// The tools a build needs, and what the log says about them: the docker engine, the buildx builder repo2docker will
// use (and whether its image reaches the engine), and repo2docker itself.
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ProcessRunner } from '@hub-image-actions/process';
import { builderProblem, parseBuilderInspect, planForBuilder } from './buildx.js';
import type { Log } from './decide.js';
import type { EngineVersions } from './docker.js';
import { findRepo2docker, type FindOptions, type Repo2Docker } from './repo2docker.js';
import { normalVersion, usesBuildx } from './versions.js';

export function describeEngine(engine: EngineVersions, wanted: string, log: Log): void {
  log.info(`docker: engine ${engine.server}, CLI ${engine.client}`);
  log.info(
    `buildx: ${engine.buildx ?? `not installed (${engine.buildxProblem})`}` +
      (engine.buildx === undefined && usesBuildx(wanted)
        ? `; repo2docker ${normalVersion(wanted)} builds with \`docker buildx\``
        : ''),
  );
}

export interface BuilderChoice {
  /** Pass `--load`: the builder is not the engine's own. */
  load: boolean;
  /** For the log. */
  note: string;
}

/**
 * The builder `docker buildx build` will use (BUILDX_BUILDER, else the current one) and what that means for the
 * image. Throws a ConfigurationError naming the builder, its driver and the fix when it cannot build. Without buildx
 * there is no builder: repo2docker fails, and its failure is explained then.
 */
export async function chooseBuilder(
  runner: ProcessRunner,
  env: NodeJS.ProcessEnv,
  engine: EngineVersions,
): Promise<BuilderChoice> {
  if (engine.buildx === undefined) return { load: false, note: 'no buildx, so no builder to check' };
  const wanted = env['BUILDX_BUILDER'] || undefined;
  const result = await runner.run('docker', ['buildx', 'inspect'], { env, timeoutMs: 30_000 });
  const builder = result.exitCode === 0 ? parseBuilderInspect(result.stdout) : undefined;
  if (builder === undefined) {
    const { problem, fix } = builderProblem(result.stderr || result.stdout, wanted);
    throw new ConfigurationError(problem, fix);
  }
  const plan = planForBuilder(builder);
  if (!plan.usable) throw new ConfigurationError(plan.problem, plan.fix);
  return { load: plan.load, note: `buildx ${plan.note}` };
}

function describeOrigin(found: Repo2Docker): string {
  return found.origin === 'path'
    ? 'on PATH'
    : found.origin === 'tool-cache'
      ? 'installed earlier in the tool cache'
      : 'installed with pip';
}

export async function findTheRepo2docker(
  options: FindOptions,
  onPath: { path: string; version: string | undefined } | undefined,
  log: Log,
): Promise<Repo2Docker> {
  const wanted = normalVersion(options.wanted);
  log.info(
    onPath === undefined
      ? 'repo2docker: not on PATH'
      : `repo2docker on PATH: ${onPath.version === undefined ? 'does not run' : normalVersion(onPath.version)} (${onPath.path}); wanted ${wanted}`,
  );
  const found = await findRepo2docker(options, onPath);
  log.info(`repo2docker ${normalVersion(found.version)}: ${found.path} (${describeOrigin(found)})`);
  return found;
}
