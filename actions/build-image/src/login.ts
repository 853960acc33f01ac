// Registry access for the build's pulls (cache and base images) through a private docker config under RUNNER_TEMP,
// which still shows the job's buildx plugin and builders.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '@hub-image-actions/action-io';
import {
  ACCESS_TOKEN_USER,
  dockerLogin,
  freshDockerConfigDir,
  type AccessTokenSource,
} from '@hub-image-actions/gar-auth';
import type { ProcessRunner } from '@hub-image-actions/process';
import { jobDockerConfig, privateConfigJson } from './buildx.js';

export interface Login {
  env: NodeJS.ProcessEnv;
  message: string | undefined;
  warning: string | undefined;
}

/**
 * A fresh docker config under RUNNER_TEMP for logging in to `registry`, keeping the job's CLI plugins and buildx
 * builders visible; its directory and the env to use it.
 */
export async function privateDockerConfig(
  runnerTemp: string,
  workspace: string | undefined,
  env: NodeJS.ProcessEnv,
  registry: string,
): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const job = jobDockerConfig(env);
  const dir = await freshDockerConfigDir(runnerTemp, workspace);
  const jobConfig = await readFile(join(job.dir, 'config.json'), 'utf8').catch(() => undefined);
  await writeFile(join(dir, 'config.json'), privateConfigJson(job, jobConfig, registry), { mode: 0o600 });
  return { dir, env: { ...env, DOCKER_CONFIG: dir, BUILDX_CONFIG: job.buildxDir } };
}

/** Logs docker in for pulls. Runs in the background, so it returns what to log instead of logging. */
export async function loginForPulls(
  runner: ProcessRunner,
  tokens: AccessTokenSource,
  registry: string,
  config: { dir: string; env: NodeJS.ProcessEnv },
  fallbackEnv: NodeJS.ProcessEnv,
): Promise<Login> {
  try {
    const token = await tokens.token('initial');
    await dockerLogin(runner, {
      configDir: config.dir,
      registry,
      username: ACCESS_TOKEN_USER,
      password: token.token,
    });
    return {
      env: config.env,
      message: `Logged in to ${registry} for pulls, in a private docker config under RUNNER_TEMP`,
      warning: undefined,
    };
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    return {
      env: fallbackEnv,
      message: undefined,
      warning: `docker login to ${registry} failed, so private cache and base images cannot be pulled: ${why}`,
    };
  }
}
