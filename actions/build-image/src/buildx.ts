// buildx as repo2docker uses it: which builder runs the build and whether its image reaches the local engine, and
// a private docker config that still shows the job's buildx plugin and builders.
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface BuilderInfo {
  name: string;
  driver: string;
  /** The first node's status, e.g. `running`, `inactive`, `stopped`, or an error. */
  status: string | undefined;
}

/** Name, driver and the first node's status from `docker buildx inspect` (the plain text form every version prints). */
export function parseBuilderInspect(text: string): BuilderInfo | undefined {
  let name: string | undefined;
  let driver: string | undefined;
  let status: string | undefined;
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z][A-Za-z ]*?):\s*(.*)$/.exec(line.trim());
    if (!match) continue;
    const key = (match[1] ?? '').toLowerCase();
    const value = (match[2] ?? '').trim();
    if (key === 'name') name ??= value;
    else if (key === 'driver') driver ??= value;
    else if (key === 'status') status ??= value;
  }
  return name !== undefined && driver !== undefined ? { name, driver, status } : undefined;
}

export type BuilderPlan =
  { usable: true; load: boolean; note: string } | { usable: false; problem: string; fix: string };

/**
 * repo2docker passes `--load` only when it runs the container; with `--no-run` only the `docker` driver puts the
 * image in the engine. Any other driver (docker-container, kubernetes, remote) gets `--load` from us.
 */
export function planForBuilder(builder: BuilderInfo): BuilderPlan {
  const described = `builder "${builder.name}" (driver ${builder.driver}${builder.status ? `, ${builder.status}` : ''})`;
  if (builder.status !== undefined && /^error\b|^failed\b/i.test(builder.status)) {
    return {
      usable: false,
      problem: `the buildx ${described} cannot build`,
      fix: `Inspect it with \`docker buildx inspect --bootstrap ${builder.name}\`, recreate it, or switch to the engine's own builder with \`docker buildx use default\``,
    };
  }
  if (builder.driver === 'docker') {
    return { usable: true, load: false, note: `${described}: the image goes straight into the local engine` };
  }
  return {
    usable: true,
    load: true,
    note: `${described}: passing --load so that the image lands in the local engine for the tests and the push`,
  };
}

/** What `docker buildx inspect` said when it could not name the builder. */
export function builderProblem(stderr: string, wanted: string | undefined): { problem: string; fix: string } {
  const said =
    stderr
      .trim()
      .split('\n')
      .at(-1)
      ?.replace(/^ERROR:\s*/, '') ?? '';
  return wanted
    ? {
        problem: `the buildx builder "${wanted}" that BUILDX_BUILDER names is not usable: ${said}`,
        fix: `Create it (\`docker buildx create --name ${wanted}\`, or docker/setup-buildx-action before this step), or unset BUILDX_BUILDER to use the current builder`,
      }
    : {
        problem: `docker buildx cannot tell which builder to use: ${said}`,
        fix: "Select a builder with `docker buildx use NAME` (or docker/setup-buildx-action), or `docker buildx use default` for the engine's own",
      };
}

export interface JobDockerConfig {
  /** The job's docker config directory: DOCKER_CONFIG, else ~/.docker. */
  dir: string;
  /** Where buildx keeps its builders: BUILDX_CONFIG, else `<dir>/buildx`. */
  buildxDir: string;
}

export function jobDockerConfig(env: NodeJS.ProcessEnv): JobDockerConfig {
  const dir = env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
  return { dir, buildxDir: env['BUILDX_CONFIG'] || join(dir, 'buildx') };
}

/**
 * The `config.json` of a private docker config that keeps every CLI plugin the job could see (its per-user
 * `cli-plugins` folder and any `cliPluginsExtraDirs`), so a buildx installed per user stays visible. The empty
 * `auths` entry for `registry` keeps docker from handing the login to a credential helper it finds on PATH.
 */
export function privateConfigJson(
  job: JobDockerConfig,
  jobConfigText: string | undefined,
  registry: string,
): string {
  let extra: unknown;
  try {
    extra =
      jobConfigText === undefined
        ? undefined
        : (JSON.parse(jobConfigText) as Record<string, unknown>)['cliPluginsExtraDirs'];
  } catch {
    extra = undefined;
  }
  const dirs = [
    join(job.dir, 'cli-plugins'),
    ...(Array.isArray(extra) ? extra.filter((d) => typeof d === 'string') : []),
  ];
  return `${JSON.stringify({ auths: { [registry]: {} }, cliPluginsExtraDirs: [...new Set(dirs)] }, null, 2)}\n`;
}
