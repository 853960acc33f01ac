// Everything a run can start before it knows whether it builds: the engine and builder checks, the context scan
// and hash, the registry reads, the local image, the login for pulls. Each phase awaits its part when it gets there.
import * as core from '@actions/core';
import { createAccessTokenSource, registryCredentials } from '@hub-image-actions/gar-auth';
import type { ProcessRunner } from '@hub-image-actions/process';
import { scanContext, type ContextScan } from './context-scan.js';
import type { Inputs } from './context.js';
import { Docker } from './docker.js';
import { loginForPulls, privateDockerConfig, type Login } from './login.js';
import { probePath } from './repo2docker.js';
import { fetchRegistry, registryReader } from './registry.js';
import { cacheCandidates } from './reuse.js';
import { savedState } from './state.js';
import { startComparison } from './packages.js';
import { commitTag, comparisonFor, firstParent, inputsTag } from './tags.js';
import { chooseBuilder } from './tools.js';

/** Starts work now and lets a later phase await it; a rejection is handled there, not as an unhandled one. */
function early<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

async function parentCommit(runner: ProcessRunner, repoDir: string, env: NodeJS.ProcessEnv) {
  const result = await runner.run('git', ['-C', repoDir, 'cat-file', 'commit', 'HEAD'], {
    env,
    timeoutMs: 10_000,
  });
  return result.exitCode === 0 ? firstParent(result.stdout) : undefined;
}

export function startEarly(run: {
  inputs: Inputs;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  imageRef: string;
  runnerTemp: string;
  workspace: string | undefined;
  hashInputs: (inputs: Inputs, context: ContextScan) => string;
}) {
  const { inputs, runner, env } = run;
  const docker = new Docker(runner, env);
  const versions = early(docker.versions());
  const builder = early(versions.then((engine) => chooseBuilder(runner, env, engine)));
  const probe = new AbortController();
  const repo2dockerOnPath = early(probePath(runner, env, probe.signal));
  const scan = early(scanContext(inputs.contextDir, inputs.repoDir));
  const parent = early(parentCommit(runner, inputs.repoDir, env));
  const tokens = inputs.auth === undefined ? undefined : createAccessTokenSource(inputs.auth);
  const registryHost = inputs.image.registry;
  const reader =
    registryHost === undefined
      ? undefined
      : registryReader({
          registry: registryHost,
          repository: inputs.image.path,
          platform: inputs.platform,
          credentials: tokens === undefined ? undefined : registryCredentials(tokens),
          log: (line) => core.info(line),
        });
  const hashing = early(scan.then((context) => run.hashInputs(inputs, context)));
  const candidates = early(
    parent.then((sha) =>
      inputs.cacheFrom === undefined
        ? cacheCandidates(inputs.tag, sha === undefined ? undefined : commitTag(sha))
        : [],
    ),
  );
  // The current tag needs no hash: its read starts now, and the inputs tag's as soon as the hash is known.
  const fetching =
    reader === undefined
      ? Promise.resolve(undefined)
      : early(
          fetchRegistry(reader, {
            tag: inputs.tag,
            inputsTag: inputs.forceRebuild ? Promise.resolve(undefined) : hashing.then(inputsTag),
            otherTags: candidates.then((cache) =>
              cache.map((c) => c.tag).filter((tag) => tag !== inputs.tag),
            ),
          }),
        );
  // The image this one is compared with: its tag is known from the event or the parent commit.
  const comparison = early(parent.then((sha) => comparisonFor(inputs.compareWith, inputs.baseSha, sha)));
  const compared = early(
    comparison.then((c) =>
      inputs.packages ? startComparison(reader, c) : { found: false as const, why: 'packages is false' },
    ),
  );
  // A build needs these; started now, they are ready by then (and cost nothing a reuse would wait for).
  const localImage = early(docker.inspectImage(run.imageRef));
  let dockerConfigDir: string | undefined;
  const loggingIn: Promise<Login> =
    tokens === undefined || registryHost === undefined
      ? Promise.resolve({ env, message: undefined, warning: undefined })
      : early(
          scan.then(async (context) => {
            if (context.findings.length > 0) return { env, message: undefined, warning: undefined };
            const config = await privateDockerConfig(run.runnerTemp, run.workspace, env, registryHost);
            dockerConfigDir = config.dir;
            savedState.save({ dockerConfigDir });
            return loginForPulls(runner, tokens, registryHost, config, env);
          }),
        );

  return {
    versions,
    builder,
    probe,
    repo2dockerOnPath,
    scan,
    hashing,
    candidates,
    reader,
    fetching,
    localImage,
    loggingIn,
    comparison,
    compared,
    /** The private docker config, once the login made one. */
    dockerConfig: () => dockerConfigDir,
  };
}
