// build-image, phase by phase as the log shows them: the tools, the build context, the registry's verdict (reuse or
// build), repo2docker, the build, the tests; the summary and outputs at the end, whatever happened.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as core from '@actions/core';
import { appendSummary } from '@hub-image-actions/action-io';
import { formatReference } from '@hub-image-actions/image-ref';
import { onCancel, systemRunner, type ProcessRunner } from '@hub-image-actions/process';
import { systemClock } from '@hub-image-actions/retry';
import { argvPlan, buildImage } from './build.js';
import { packagesPhase, withLayers, type ThisImage } from './packages.js';
import { checkContext } from './context-check.js';
import type { ContextScan } from './context-scan.js';
import { readInputs, type Inputs } from './context.js';
import { judgeRegistry, type Log } from './decide.js';
import { readDisk, removeToolchains, type DiskPlace } from './disk.js';
import { Docker } from './docker.js';
import { inputsHash } from './inputs-hash.js';
import { startEarly } from './prefetch.js';
import { RunRecord } from './run-record.js';
import { savedState } from './state.js';
import { renderSummary, type Report } from './summary.js';
import { inputsTag, tagsToPush } from './tags.js';
import { runTests } from './test-phase.js';
import { selectSuites } from './test-plan.js';
import { describeEngine, findTheRepo2docker } from './tools.js';
import { normalVersion } from './versions.js';
import { shielded } from './workflow-commands.js';

const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const log: Log = { info: (line) => core.info(line), warning: (line, title) => core.warning(line, { title }) };

function describeTagSource(inputs: Inputs): string {
  if (inputs.tagSource === 'input') return 'the tag input';
  const sha = inputs.commit?.sha ?? '';
  return inputs.tagSource === 'pull-request-head' ? `the pull request head ${sha}` : `commit ${sha}`;
}

export async function main(): Promise<void> {
  const clock = systemClock;
  const started = clock.now();
  // What the outputs document for a run that stops at its inputs; every later phase sets them again.
  core.setOutput('built', 'false');
  core.setOutput('tests', 'skipped');
  const inputs = readInputs();
  const runner = systemRunner;
  const env = process.env;
  const runnerTemp = process.env['RUNNER_TEMP'] || tmpdir();
  const workspace = process.env['GITHUB_WORKSPACE'];
  const imageRef = formatReference({ name: inputs.image, tag: inputs.tag });
  const record = new RunRecord(inputs.image.full, inputs.tag, imageRef, inputs.additionalTags);
  const { report } = record;
  core.info(`Image ${imageRef} (tag from ${describeTagSource(inputs)}), context ${inputs.contextDir}`);

  // Everything that does not wait on something else starts now; each phase awaits its part.
  const pending = startEarly({ inputs, runner, env, imageRef, runnerTemp, workspace, hashInputs });

  // A cancelled step may not unwind in time (the runner kills it 2.5 s after SIGTERM): the login goes first.
  const removeLogin = async () => {
    await pending.loggingIn.catch(() => undefined);
    const configDir = pending.dockerConfig();
    if (configDir !== undefined) await rm(configDir, { recursive: true, force: true });
  };
  const forgetCancel = onCancel(removeLogin);
  let diskPlaces: DiskPlace[] = [];
  try {
    const engine = await core.group('Docker engine', async () => {
      const found = await pending.versions;
      describeEngine(found, inputs.repo2dockerVersion, log);
      return found;
    });
    report.versions.docker = `${engine.server} (engine), ${engine.client} (CLI)`;
    report.versions.buildx = engine.buildx ?? 'not installed';
    diskPlaces = [
      { label: 'workspace', path: workspace || process.cwd() },
      ...(engine.rootDir ? [{ label: 'docker', path: engine.rootDir }] : []),
    ];
    report.disk.before = await readDisk(diskPlaces);

    const context = await core.group('Build context', () => checkContext(inputs, pending.scan));
    const hash = await pending.hashing;
    const hashTag = inputsTag(hash);
    record.hashed(hash, context.readDirectly);
    core.info(`Inputs hash ${hash} (registry tag ${hashTag})`);

    const registry = await core.group('Registry: reuse and cache', async () =>
      judgeRegistry(
        {
          image: inputs.image.full,
          tag: inputs.tag,
          hash,
          hashTag,
          forceRebuild: inputs.forceRebuild,
          cacheFrom: inputs.cacheFrom,
          candidates: await pending.candidates,
        },
        pending.reader,
        pending.fetching,
        log,
      ),
    );
    record.decided(
      registry,
      tagsToPush(inputs.tag, inputs.additionalTags, registry.pushHashTag ? hashTag : undefined),
    );
    // A build may read the compared image's layers (when it has no stored manifest) while repo2docker runs.
    const compared = registry.decision.reuse
      ? pending.compared
      : withLayers(pending.reader, pending.compared);
    compared.catch(() => undefined);
    const packages = (image: ThisImage) =>
      packagesPhase({
        inputs,
        image,
        pending,
        compared,
        runner,
        runnerTemp,
        record: (o) => record.packages(o),
      });
    if (registry.decision.reuse) {
      pending.probe.abort(); // repo2docker is not needed
      await packages({
        built: false,
        digest: registry.decision.image.manifestDigest,
        compressedBytes: registry.decision.image.compressedSize,
      });
      record.reused(
        registry.decision,
        inputs.repo2dockerVersion,
        selectSuites(inputs.test, context.present).skippedBecause ??
          'the image was reused: the same inputs, test folders included, were tested when it was built',
      );
      core.notice(`Reused ${inputs.image.full}@${registry.decision.digest}: ${registry.decision.why}`, {
        title: 'No build needed',
      });
      return;
    }

    if (inputs.freeDiskSpace) await core.group('Free disk space', () => freeDiskSpace(runner, report));

    const repo2docker = await core.group('repo2docker', async () => {
      const found = await findTheRepo2docker(
        {
          runner,
          env,
          wanted: inputs.repo2dockerVersion,
          toolCache: process.env['RUNNER_TOOL_CACHE'] || undefined,
          runnerTemp,
          log: (line) => core.info(line),
        },
        await pending.repo2dockerOnPath,
        log,
      );
      record.repo2docker(found.version);
      return found;
    });

    const buildEnv = await core.group('Build', async () => {
      core.info((await pending.builder).note);
      const login = await pending.loggingIn;
      if (login.message !== undefined) core.info(login.message);
      if (login.warning !== undefined) {
        core.warning(login.warning);
        report.warnings.push(login.warning);
      }
      const built = await buildImage(
        { runner, docker: new Docker(runner, login.env), clock, log, print, shielded },
        {
          repo2docker,
          engine,
          load: (await pending.builder).load,
          hash,
          forceRebuild: inputs.forceRebuild,
          existing: await pending.localImage,
          cacheLayers: registry.cache.map((image) => image.diffIds),
          cwd: inputs.repoDir,
          env: login.env,
          argv: argvPlan(inputs, imageRef, hash, registry.cacheRefs, repo2docker.version),
        },
      );
      record.built(built);
      core.info(
        `Built ${imageRef} (${built.image.id}) in ${(built.durationMs / 1000).toFixed(1)} s: ` +
          `${built.stats.cachedSteps} of ${built.stats.steps} steps cached, ` +
          `${built.layersFromCache} of ${built.image.layers.length} layers already in the cache images`,
      );
      return { env: login.env, bytes: built.image.size };
    });
    await packages({ built: true, ref: imageRef, uncompressedBytes: buildEnv.bytes });

    await testPhase(inputs, runner, new Docker(runner, buildEnv.env), context, report, runnerTemp, env);
  } catch (error) {
    record.failed(error);
    throw error;
  } finally {
    pending.probe.abort();
    // A login still in flight (the build failed before it was needed) must finish before its config is removed.
    forgetCancel();
    await removeLogin();
    record.finished(clock.now() - started);
    if (diskPlaces.length > 0) report.disk.after = await readDisk(diskPlaces);
    for (const [name, value] of Object.entries(record.outputs)) core.setOutput(name, value);
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

function hashInputs(inputs: Inputs, context: ContextScan): string {
  return inputsHash(
    {
      repo2dockerVersion: normalVersion(inputs.repo2dockerVersion),
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

async function testPhase(
  inputs: Inputs,
  runner: ProcessRunner,
  docker: Docker,
  context: ContextScan,
  report: Report,
  runnerTemp: string,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const containers: string[] = [];
  await runTests(
    {
      docker,
      runner,
      clock: systemClock,
      info: (line) => core.info(line),
      print,
      group: (title, work) => core.group(title, () => shielded(work)),
      track: (name) => {
        containers.push(name);
        savedState.save({ containers: containers.join('\n') });
        return name;
      },
    },
    {
      mode: inputs.test,
      present: context.present,
      image: report.imageRef,
      suffix: randomBytes(4).toString('hex'),
      userId: inputs.userId,
      targetRepoDir: inputs.targetRepoDir,
      imageTestCommand: inputs.imageTestCommand,
      browserTestCommand: inputs.browserTestCommand,
      browserTestPort: inputs.browserTestPort,
      browserTestTimeoutSeconds: inputs.browserTestTimeoutSeconds,
      contextDir: inputs.contextDir,
      runnerTemp,
      env,
    },
    report.tests,
  );
}

async function freeDiskSpace(runner: ProcessRunner, report: Report): Promise<void> {
  const root = process.env['HUB_IMAGE_ACTIONS_FREE_DISK_ROOT'] || '/';
  const removals = await removeToolchains(runner, root);
  report.disk.removals = removals;
  if (removals.length === 0) core.info('None of the known toolchain folders exist here.');
  for (const removal of removals) {
    if (removal.removed) core.info(`Removed ${removal.path}`);
    else core.warning(`Could not remove ${removal.path}: ${removal.problem ?? ''}`);
  }
}
