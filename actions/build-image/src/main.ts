import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { appendSummary, ConfigurationError } from '@hub-image-actions/action-io';
import {
  ACCESS_TOKEN_USER,
  createAccessTokenSource,
  dockerLogin,
  freshDockerConfigDir,
  registryCredentials,
  type AccessTokenSource,
} from '@hub-image-actions/gar-auth';
import { formatReference } from '@hub-image-actions/image-ref';
import { systemRunner, type ProcessRunner } from '@hub-image-actions/process';
import type { ImageSummary } from '@hub-image-actions/registry-client';
import { BuildLog } from './build-log.js';
import { scanContext, type ContextScan } from './context-scan.js';
import { readInputs, type Inputs } from './context.js';
import { describeFindings } from './credentials.js';
import { readDisk, removeToolchains, type DiskPlace } from './disk.js';
import { Docker, type EngineVersions, type LocalImage } from './docker.js';
import { inputsHash } from './inputs-hash.js';
import { findRepo2docker, probePath, type Repo2Docker } from './repo2docker.js';
import { formatCommand, INPUTS_HASH_LABEL, repo2dockerArgv } from './repo2docker-argv.js';
import {
  explainReadFailure,
  fetchRegistry,
  registryReader,
  type RegistryFetch,
  type RegistryReader,
} from './registry.js';
import {
  cacheCandidates,
  decideReuse,
  judge,
  layersFromCache,
  tagWarnings,
  type CacheCandidate,
  type Lookups,
  type ReuseDecision,
} from './reuse.js';
import { savedState } from './state.js';
import { renderSummary, type CacheReport, type Report } from './summary.js';
import { commitTag, firstParent, inputsTag, tagsToPush } from './tags.js';
import {
  BROWSER_TESTS_DIR,
  defaultBrowserTestCommands,
  defaultImageTestCommand,
  IMAGE_TESTS_DIR,
  selectSuites,
} from './test-plan.js';
import { runBrowserTests, runImageTests, type SuiteResult } from './tests.js';
import { buildxMissingLine, usesBuildx } from './versions.js';

/** Starts work now and lets a later phase await it; a rejection is handled there, not as an unhandled one. */
function early<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Runs `work` with workflow commands switched off, so build and test output cannot issue any. */
async function withoutWorkflowCommands<T>(work: () => Promise<T>): Promise<T> {
  const token = randomBytes(16).toString('hex');
  process.stdout.write(`::stop-commands::${token}\n`);
  try {
    return await work();
  } finally {
    process.stdout.write(`::${token}::\n`);
  }
}

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** A build that failed in the user's repository: a step, its last lines, no stack trace. */
class BuildFailedError extends ConfigurationError {}
class TestsFailedError extends ConfigurationError {}

async function parentCommit(
  runner: ProcessRunner,
  repoDir: string,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const result = await runner.run('git', ['-C', repoDir, 'cat-file', 'commit', 'HEAD'], {
    env,
    timeoutMs: 10_000,
  });
  return result.exitCode === 0 ? firstParent(result.stdout) : undefined;
}

interface Context {
  inputs: Inputs;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  runnerTemp: string;
  report: Report;
  outputs: Record<string, string>;
}

export async function main(): Promise<void> {
  const started = Date.now();
  const inputs = readInputs();
  const runner = systemRunner;
  const env = process.env;
  const runnerTemp = process.env['RUNNER_TEMP'] || tmpdir();
  const imageRef = formatReference({ name: inputs.image, tag: inputs.tag });
  const report: Report = {
    imageRef,
    additionalTags: inputs.additionalTags,
    outcome: 'failed',
    why: 'the action stopped before building',
    durationMs: 0,
    tests: { outcome: 'skipped', suites: [] },
    versions: {},
    tagsToPush: [],
    disk: { before: [], after: [], removals: [] },
    warnings: [],
  };
  const outputs: Record<string, string> = {
    image: inputs.image.full,
    tag: inputs.tag,
    'image-ref': imageRef,
    'image-id': '',
    built: 'false',
    'reused-digest': '',
    'local-image': '',
    'inputs-hash': '',
    'size-bytes': '',
    'repo2docker-version': '',
    tests: 'skipped',
    tags: '',
    IMAGE_SHA_NAME: imageRef,
    IMAGE_SHA_TAG: inputs.tag,
  };
  const ctx: Context = { inputs, runner, env, runnerTemp, report, outputs };
  core.info(`Image ${imageRef} (tag from ${describeTagSource(inputs)}), context ${inputs.contextDir}`);

  // Everything that does not wait on something else starts now; each phase below awaits its part in the
  // order a reader expects. The registry is read as soon as the inputs hash is known.
  const docker = new Docker(runner, env);
  const versions = early(docker.versions());
  const probe = new AbortController();
  const repo2dockerOnPath = early(probePath(runner, env, probe.signal));
  const scan = early(scanContext(inputs.contextDir));
  const parent = early(parentCommit(runner, inputs.repoDir, env));
  const tokens = inputs.auth === undefined ? undefined : createAccessTokenSource(inputs.auth);
  const reader =
    inputs.image.registry === undefined
      ? undefined
      : registryReader({
          registry: inputs.image.registry,
          repository: inputs.image.path,
          platform: inputs.platform,
          credentials: tokens === undefined ? undefined : registryCredentials(tokens),
          log: (line) => core.info(line),
        });
  const hashing = early(scan.then((context) => hashInputs(inputs, context)));
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
  // A build needs these; started now, they are ready by then (and cost nothing a reuse would wait for).
  const localImage = early(docker.inspectImage(imageRef));
  let dockerConfigDir: string | undefined;
  const loggingIn: Promise<Login> =
    tokens === undefined || inputs.image.registry === undefined
      ? Promise.resolve({ env, message: undefined, warning: undefined })
      : early(
          scan.then(async (context) => {
            if (context.findings.length > 0) return { env, message: undefined, warning: undefined };
            dockerConfigDir = await freshDockerConfigDir(runnerTemp, process.env['GITHUB_WORKSPACE']);
            savedState.save({ dockerConfigDir });
            return loginForPulls(ctx, tokens, inputs.image.registry ?? '', dockerConfigDir);
          }),
        );

  let diskPlaces: DiskPlace[] = [];
  try {
    const engine = await core.group('Docker engine', () => checkTools(ctx, versions));
    diskPlaces = [
      { label: 'workspace', path: process.env['GITHUB_WORKSPACE'] || process.cwd() },
      ...(engine.rootDir ? [{ label: 'docker', path: engine.rootDir }] : []),
    ];
    report.disk.before = await readDisk(diskPlaces);

    const context = await core.group('Build context', () => inspectContext(ctx, scan));
    const hash = await hashing;
    const hashTag = inputsTag(hash);
    outputs['inputs-hash'] = hash;
    report.inputsHash = hash;
    core.info(`Inputs hash ${hash} (registry tag ${hashTag})`);

    const registry = await core.group('Registry: reuse and cache', async () =>
      judgeRegistry(ctx, reader, fetching, hash, hashTag, await candidates),
    );
    const pushTags = tagsToPush(
      inputs.tag,
      inputs.additionalTags,
      registry.pushHashTag ? hashTag : undefined,
    );
    report.tagsToPush = pushTags;
    outputs['tags'] = pushTags.join('\n');

    if (registry.decision.reuse) {
      probe.abort(); // repo2docker is not needed
      reportReuse(ctx, registry.decision, context);
      return;
    }
    report.why = registry.decision.why;

    if (inputs.freeDiskSpace) await core.group('Free disk space', () => freeDiskSpace(ctx));

    const repo2docker = await core.group('repo2docker', () => findTheRepo2docker(ctx, repo2dockerOnPath));

    const buildEnv = await core.group('Build', async () => {
      const login = await loggingIn;
      if (login.message !== undefined) core.info(login.message);
      if (login.warning !== undefined) {
        core.warning(login.warning);
        report.warnings.push(login.warning);
      }
      const existing = await localImage;
      await buildImage(
        ctx,
        new Docker(runner, login.env),
        login.env,
        repo2docker,
        engine,
        registry,
        hash,
        existing,
      );
      return login.env;
    });
    await runTests(ctx, new Docker(runner, buildEnv), context);
  } catch (error) {
    // A built image whose tests failed stays "built" in the summary, next to the failed tests.
    if (report.outcome !== 'built') {
      report.outcome = 'failed';
      if (report.failure === undefined) {
        report.why = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
      }
    }
    throw error;
  } finally {
    probe.abort();
    // A login still in flight (the build failed before it was needed) must finish before its config is removed.
    await loggingIn.catch(() => undefined);
    if (dockerConfigDir !== undefined) await rm(dockerConfigDir, { recursive: true, force: true });
    report.durationMs = Date.now() - started;
    if (diskPlaces.length > 0) report.disk.after = await readDisk(diskPlaces);
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value);
    await appendSummary(renderSummary(report));
  }
}

/** Post step: whatever main could not clean up because the job was cancelled or failed half-way. */
export async function post(): Promise<void> {
  const state = savedState.load();
  if (state.dockerConfigDir) {
    await rm(state.dockerConfigDir, { recursive: true, force: true });
    core.info(`Removed the private docker config ${state.dockerConfigDir}`);
  }
  const docker = new Docker(systemRunner, process.env);
  for (const name of (state.containers ?? '').split('\n').filter(Boolean)) {
    await docker.removeContainer(name);
  }
}

function describeTagSource(inputs: Inputs): string {
  if (inputs.tagSource === 'input') return 'the tag input';
  const sha = inputs.commit?.sha ?? '';
  return inputs.tagSource === 'pull-request-head' ? `the pull request head ${sha}` : `commit ${sha}`;
}

function describeOrigin(found: Repo2Docker): string {
  return found.origin === 'path'
    ? 'on PATH'
    : found.origin === 'tool-cache'
      ? 'installed earlier in the tool cache'
      : 'installed with pip';
}

async function checkTools(ctx: Context, versions: Promise<EngineVersions>): Promise<EngineVersions> {
  const engine = await versions;
  ctx.report.versions.docker = `${engine.server} (engine), ${engine.client} (CLI)`;
  ctx.report.versions.buildx = engine.buildx ?? 'not installed';
  core.info(`docker: engine ${engine.server}, CLI ${engine.client}`);
  const needsBuildx = usesBuildx(ctx.inputs.repo2dockerVersion);
  core.info(
    `buildx: ${engine.buildx ?? `not installed (${engine.buildxProblem})`}` +
      (engine.buildx === undefined && needsBuildx
        ? `; repo2docker ${ctx.inputs.repo2dockerVersion} builds with \`docker buildx\``
        : ''),
  );
  return engine;
}

function hashInputs(inputs: Inputs, context: ContextScan): string {
  return inputsHash(
    {
      repo2dockerVersion: inputs.repo2dockerVersion,
      userName: inputs.userName,
      userId: inputs.userId,
      targetRepoDir: inputs.targetRepoDir,
      appendix: inputs.appendix,
      buildArgs: inputs.buildArgs,
      labels: inputs.labels,
      platform: inputs.platform,
      extraArgs: inputs.extraArgs,
      subdir: inputs.subdir,
    },
    context.hashed,
  );
}

async function findTheRepo2docker(
  ctx: Context,
  onPathProbe: ReturnType<typeof probePath>,
): Promise<Repo2Docker> {
  const { inputs, report, outputs } = ctx;
  const onPath = await onPathProbe;
  core.info(
    onPath === undefined
      ? 'repo2docker: not on PATH'
      : `repo2docker on PATH: ${onPath.version ?? 'does not run'} (${onPath.path}); wanted ${inputs.repo2dockerVersion}`,
  );
  const found = await findRepo2docker(
    {
      runner: ctx.runner,
      env: ctx.env,
      wanted: inputs.repo2dockerVersion,
      toolCache: process.env['RUNNER_TOOL_CACHE'] || undefined,
      runnerTemp: ctx.runnerTemp,
      log: (line) => core.info(line),
    },
    onPath,
  );
  core.info(`repo2docker ${found.version}: ${found.path} (${describeOrigin(found)})`);
  report.versions.repo2docker = found.version;
  outputs['repo2docker-version'] = found.version;
  return found;
}

async function inspectContext(ctx: Context, scanning: Promise<ContextScan>): Promise<ContextScan> {
  const context = await scanning;
  const { inputs } = ctx;
  core.info(
    `${context.buildKind === 'dockerfile' ? `${context.binderDir ? `${context.binderDir}/` : ''}Dockerfile build` : 'repo2docker buildpack build'}` +
      `${context.binderDir ? ` (configuration in ${context.binderDir}/)` : ''}: ` +
      `${context.files} files in ${context.directories} folders (${context.bytes} bytes) in the build context` +
      (context.ignoreFiles.length > 0
        ? `; ${context.ignoreFiles.join(' and ')} left out ${context.ignoredCount} paths`
        : '; no .dockerignore'),
  );
  if (context.findings.length > 0) {
    for (const finding of context.findings) {
      core.error(`${finding.what}. ${finding.fix}.`, {
        title: 'Credential in the build context',
        file: join(inputs.contextDir, finding.path),
      });
    }
    throw new ConfigurationError(describeFindings(inputs.contextDir, context.findings));
  }
  core.info('No credential files in what repo2docker will copy.');
  const selection = selectSuites(inputs.test, context.present);
  if (selection.imageTests && context.excludedTestDirs.includes(IMAGE_TESTS_DIR)) {
    throw new ConfigurationError(
      `${IMAGE_TESTS_DIR}/ is left out of the image by ${context.ignoreFiles.join(' or ')}, so the image tests cannot run in it`,
      `Remove it from the ignore file, or set test: false`,
    );
  }
  return context;
}

interface RegistryView {
  decision: ReuseDecision;
  /** Cache images that exist, with their layers. */
  cache: ImageSummary[];
  cacheRefs: string[];
  cacheNoneBecause: string | undefined;
  /** False when the inputs tag holds another image: it must not be pushed over. */
  pushHashTag: boolean;
}

async function judgeRegistry(
  ctx: Context,
  reader: RegistryReader | undefined,
  fetching: Promise<RegistryFetch | undefined>,
  hash: string,
  hashTag: string,
  candidates: CacheCandidate[],
): Promise<RegistryView> {
  const { inputs, report } = ctx;
  const given = inputs.cacheFrom;
  if (reader === undefined) {
    const why = `${inputs.image.full} has no registry host, so nothing is looked up`;
    core.info(why);
    return {
      decision: { reuse: false, why: inputs.forceRebuild ? 'force-rebuild is set' : why },
      cache: [],
      cacheRefs: given ?? [],
      cacheNoneBecause: given === undefined ? why : undefined,
      pushHashTag: true,
    };
  }
  const name = inputs.image.full;
  let fetched: RegistryFetch | undefined;
  try {
    fetched = await fetching;
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const why = explainReadFailure(error, reader);
    core.warning(`Could not read the registry, so the image is built without reuse or cache: ${why}`, {
      title: 'Registry not readable',
    });
    report.warnings.push(`Registry not readable: ${why}`);
    return {
      decision: { reuse: false, why: `the registry could not be read (${why.split(';')[0]})` },
      cache: [],
      cacheRefs: given ?? [],
      cacheNoneBecause: given === undefined ? 'the registry could not be read' : undefined,
      pushHashTag: true,
    };
  }
  if (fetched === undefined) throw new Error('the registry was not read although the context is clean');
  const lookups: Lookups = {
    inputsTag: hashTag,
    byInputsTag: inputs.forceRebuild ? undefined : judge(fetched.byInputsTag, hash),
    tag: inputs.tag,
    byTag: judge(fetched.byTag, hash),
  };
  if (inputs.forceRebuild) core.info(`force-rebuild: not looking for ${name}:${hashTag}`);
  else core.info(`${name}:${hashTag}: ${describeVerdict(lookups.byInputsTag)}`);
  core.info(`${name}:${inputs.tag}: ${describeVerdict(lookups.byTag)}`);
  for (const warning of tagWarnings(lookups)) {
    core.warning(warning, { title: 'Tag with other inputs' });
    report.warnings.push(warning);
  }
  const decision = decideReuse(lookups, inputs.forceRebuild);
  core.info(
    decision.reuse ? `Reusing ${name}@${decision.digest}: ${decision.why}` : `Building: ${decision.why}`,
  );

  const found: ImageSummary[] = [];
  const refs: string[] = [];
  for (const candidate of candidates) {
    const image = candidate.tag === inputs.tag ? fetched.byTag : fetched.others.get(candidate.tag);
    core.info(
      `Cache candidate ${name}:${candidate.tag} (${candidate.role}): ${image ? 'exists' : 'not in the registry'}`,
    );
    if (image !== undefined) {
      found.push(image);
      refs.push(`${name}:${candidate.tag}`);
    }
  }
  if (given !== undefined) core.info(`Cache images given: ${given.join(', ')}`);
  return {
    decision,
    cache: found,
    cacheRefs: given ?? refs,
    cacheNoneBecause:
      given === undefined && refs.length === 0
        ? `${candidates.map((c) => `the ${c.role}'s image (${c.tag})`).join(' and ')} ${candidates.length > 1 ? 'are' : 'is'} not in the registry`
        : undefined,
    pushHashTag: lookups.byInputsTag?.kind !== 'other-inputs',
  };
}

function describeVerdict(verdict: ReturnType<typeof judge> | undefined): string {
  if (verdict === undefined) return 'not looked up';
  if (verdict.kind === 'absent') return 'not in the registry';
  if (verdict.kind === 'same-inputs') return `${verdict.image.digest}, built from the same inputs`;
  return `${verdict.image.digest}, built from other inputs (${verdict.hash ?? 'no inputs hash label'})`;
}

function reportReuse(
  ctx: Context,
  decision: Extract<ReuseDecision, { reuse: true }>,
  context: ContextScan,
): void {
  const { report, outputs, inputs } = ctx;
  report.outcome = 'reused';
  report.why = `${decision.why}, so nothing was built`;
  report.digest = decision.digest;
  report.size = { bytes: decision.image.compressedSize, layers: decision.image.layers, compressed: true };
  const version = decision.image.labels['repo2docker.version'] ?? inputs.repo2dockerVersion;
  report.versions.repo2docker = `${version} (when the image was built)`;
  const selection = selectSuites(inputs.test, context.present);
  report.tests.skippedBecause =
    selection.skippedBecause ??
    'the image was reused: the same inputs, test folders included, were tested when it was built';
  outputs['reused-digest'] = decision.digest;
  outputs['size-bytes'] = String(decision.image.compressedSize);
  outputs['repo2docker-version'] = version;
  core.notice(`Reused ${inputs.image.full}@${decision.digest}: ${decision.why}`, {
    title: 'No build needed',
  });
}

async function freeDiskSpace(ctx: Context): Promise<void> {
  const root = process.env['HUB_IMAGE_ACTIONS_FREE_DISK_ROOT'] || '/';
  const removals = await removeToolchains(ctx.runner, root);
  ctx.report.disk.removals = removals;
  if (removals.length === 0) core.info('None of the known toolchain folders exist here.');
  for (const removal of removals) {
    if (removal.removed) core.info(`Removed ${removal.path}`);
    else core.warning(`Could not remove ${removal.path}: ${removal.problem ?? ''}`);
  }
}

interface Login {
  env: NodeJS.ProcessEnv;
  message: string | undefined;
  warning: string | undefined;
}

/** Logs docker in for pulls (cache and base images). Runs in the background, so it returns what to log. */
async function loginForPulls(
  ctx: Context,
  tokens: AccessTokenSource,
  registry: string,
  configDir: string,
): Promise<Login> {
  try {
    const token = await tokens.token('initial');
    await dockerLogin(ctx.runner, {
      configDir,
      registry,
      username: ACCESS_TOKEN_USER,
      password: token.token,
    });
    return {
      env: { ...ctx.env, DOCKER_CONFIG: configDir },
      message: `Logged in to ${registry} for pulls, in a private docker config under RUNNER_TEMP`,
      warning: undefined,
    };
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    return {
      env: ctx.env,
      message: undefined,
      warning: `docker login to ${registry} failed, so private cache and base images cannot be pulled: ${why}`,
    };
  }
}

async function buildImage(
  ctx: Context,
  docker: Docker,
  buildEnv: NodeJS.ProcessEnv,
  repo2docker: Repo2Docker,
  engine: EngineVersions,
  registry: RegistryView,
  hash: string,
  existing: LocalImage | undefined,
): Promise<void> {
  const { inputs, report, outputs } = ctx;
  const imageRef = report.imageRef;
  const cache: CacheReport = {
    images: registry.cacheRefs,
    ...(registry.cacheNoneBecause ? { noneBecause: registry.cacheNoneBecause } : {}),
  };
  report.cache = cache;

  // repo2docker skips the build when the tag exists locally: only let it when that image has our inputs.
  let skippedLocally = false;
  if (existing !== undefined) {
    if (existing.labels[INPUTS_HASH_LABEL] === hash && !inputs.forceRebuild) {
      skippedLocally = true;
      core.info(`${imageRef} is already in the local engine with these inputs; repo2docker will use it`);
    } else {
      core.info(
        `Untagging the local ${imageRef} (other inputs or force-rebuild) so that repo2docker builds it`,
      );
      await docker.run(['image', 'rm', imageRef]);
    }
  }

  const labels: Array<[string, string]> = [
    ...(inputs.repositoryUrl ? [['repo2docker.repo', inputs.repositoryUrl] as [string, string]] : []),
    ...(inputs.commit ? [['repo2docker.ref', inputs.commit.sha] as [string, string]] : []),
    [INPUTS_HASH_LABEL, hash],
    ...inputs.labels,
  ];
  const argv = repo2dockerArgv({
    imageRef,
    userId: inputs.userId,
    userName: inputs.userName,
    targetRepoDir: inputs.targetRepoDir,
    cacheFrom: registry.cacheRefs,
    labels,
    buildArgs: inputs.buildArgs,
    appendix: inputs.appendix,
    subdir: inputs.subdir,
    platform: inputs.platform,
    inlineCache: usesBuildx(repo2docker.version),
    extraArgs: inputs.extraArgs,
    repoDir: inputs.repoDir,
  });
  core.info(`$ ${formatCommand(repo2docker.path, argv)}`);
  const log = new BuildLog();
  const started = Date.now();
  const result = await withoutWorkflowCommands(() =>
    ctx.runner.run(repo2docker.path, argv, {
      env: buildEnv,
      onLine: (line) => {
        print(line);
        log.line(line);
      },
    }),
  );
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.exitCode !== 0) {
    const buildxMissing = buildxMissingLine(output);
    if (buildxMissing !== undefined) {
      const message =
        `repo2docker ${repo2docker.version} builds with \`docker buildx build\`, and this runner's docker ` +
        `(${engine.client}) has no usable buildx plugin (${engine.buildxProblem ?? 'buildx is missing'}; ` +
        `the build said: ${buildxMissing})`;
      report.failure = { title: 'buildx is missing', lines: log.lastLines(10) };
      report.why = message;
      throw new ConfigurationError(
        message,
        "Install the buildx plugin (package docker-buildx-plugin from Docker's apt repository, or the docker/setup-buildx-action step), " +
          `or pin repo2docker-version below 2025.08.0, which builds without buildx`,
      );
    }
    const failure = log.failure();
    const title = failure.step
      ? `Build failed at ${failure.step}`
      : `repo2docker exited with code ${result.exitCode}`;
    report.failure = { title, lines: failure.lines };
    report.why = title;
    throw new BuildFailedError(`${title}\n${failure.lines.join('\n')}`);
  }
  const built = await docker.inspectImage(imageRef);
  if (built === undefined) {
    throw new Error(`repo2docker succeeded, but ${imageRef} is not in the local engine`);
  }
  if (built.labels[INPUTS_HASH_LABEL] !== hash) {
    const warning = `${imageRef} does not carry the ${INPUTS_HASH_LABEL} label, so later runs cannot reuse it`;
    core.warning(warning);
    report.warnings.push(warning);
  }
  const stats = log.cacheStats();
  cache.steps = stats.steps;
  cache.cachedSteps = stats.cachedSteps;
  cache.layers = built.layers.length;
  cache.layersFromCache = layersFromCache(
    built.layers,
    registry.cache.map((image) => image.diffIds),
  );
  report.outcome = 'built';
  if (skippedLocally) report.why = `the local engine already had ${imageRef} built from these inputs`;
  report.imageId = built.id;
  report.size = { bytes: built.size, layers: built.layers.length, compressed: false };
  outputs['built'] = 'true';
  outputs['image-id'] = built.id;
  outputs['local-image'] = imageRef;
  outputs['size-bytes'] = String(built.size);
  core.info(
    `Built ${imageRef} (${built.id}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
      `${stats.cachedSteps} of ${stats.steps} steps cached, ${cache.layersFromCache} of ${cache.layers} layers already in the cache images`,
  );
}

async function runTests(ctx: Context, docker: Docker, context: ContextScan): Promise<void> {
  const { inputs, report, outputs } = ctx;
  const selection = selectSuites(inputs.test, context.present);
  if (selection.skippedBecause !== undefined) {
    core.info(`Tests skipped: ${selection.skippedBecause}`);
    report.tests = { outcome: 'skipped', suites: [], skippedBecause: selection.skippedBecause };
    outputs['tests'] = 'skipped';
    return;
  }
  const suffix = randomBytes(4).toString('hex');
  const results: SuiteResult[] = [];
  report.tests = { outcome: 'skipped', suites: results };
  const containers: string[] = [];
  const track = (name: string): string => {
    containers.push(name);
    savedState.save({ containers: containers.join('\n') });
    return name;
  };
  if (selection.imageTests) {
    const command =
      inputs.imageTestCommand.length > 0
        ? inputs.imageTestCommand
        : defaultImageTestCommand(context.present.imageTestRequirements);
    const result = await core.group(`Image tests: ${IMAGE_TESTS_DIR}/ in the image`, () =>
      withoutWorkflowCommands(() =>
        runImageTests({
          docker,
          image: report.imageRef,
          containerName: track(`build-image-tests-${suffix}`),
          userId: inputs.userId,
          targetRepoDir: inputs.targetRepoDir,
          command,
          print,
        }),
      ),
    );
    results.push(result);
    core.info(`Image tests ${result.passed ? 'passed' : 'FAILED'}`);
  }
  if (selection.browserTests) {
    const commands =
      inputs.browserTestCommand.length > 0
        ? [inputs.browserTestCommand]
        : defaultBrowserTestCommands(
            context.present.browserTestRequirements,
            join(ctx.runnerTemp, `build-image-browser-tests-${suffix}`),
          ).steps;
    const result = await core.group(`Browser tests: ${BROWSER_TESTS_DIR}/ against the running image`, () =>
      withoutWorkflowCommands(() =>
        runBrowserTests({
          docker,
          runner: ctx.runner,
          image: report.imageRef,
          containerName: track(`build-image-jupyter-${suffix}`),
          hostPort: inputs.browserTestPort,
          timeoutSeconds: inputs.browserTestTimeoutSeconds,
          commands,
          cwd: inputs.contextDir,
          env: ctx.env,
          print,
        }),
      ),
    );
    results.push(result);
    if (!result.passed && result.serverLog !== undefined) {
      await core.group('Jupyter server log', async () =>
        withoutWorkflowCommands(async () => print(result.serverLog ?? '')),
      );
    }
  }
  const failed = results.filter((r) => !r.passed);
  report.tests.outcome = failed.length > 0 ? 'failed' : 'passed';
  outputs['tests'] = report.tests.outcome;
  if (failed.length > 0) {
    const lines = failed.flatMap((r) => [`--- ${r.suite}, last lines:`, ...r.tail.slice(-15)]);
    throw new TestsFailedError(
      `${failed.map((r) => `${r.suite} ${r.detail}`).join('; ')}. Nothing may be pushed.\n${lines.join('\n')}`,
    );
  }
}
