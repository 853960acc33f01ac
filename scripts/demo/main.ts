// The local end-to-end demo: the main reusable workflow, run on this machine against local stand-ins for Artifact
// Registry, Google's token endpoints, GitHub and the deployment repo. `bash scripts/demo.sh --help` for the options.
// First, before anything reads a workflow: GitHub's workflow parser needs this hook under plain Node.
import '@hub-image-actions/workflow-files/json-import-hook';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { portIsFree } from '@hub-image-actions/local-world/net';
import { repo2dockerUnderTest } from '@hub-image-actions/local-world/repo2docker-double';
import { parseArgs, USAGE, UsageError, type DemoOptions } from './args.ts';
import type { Value } from '@hub-image-actions/workflow-files';
import { logDirOf, Printer, type DemoOutcome, type Repo2DockerMode } from './report.ts';
import { previousImage, printPackages } from './packages.ts';
import { runWorkflow, type WorkflowResult } from './runner.ts';
import { readCallerJob, readWorkflows, reusableInputs, reusableSecrets, WorkflowError } from './workflow.ts';
import {
  DemoError,
  DEPLOYMENT_REPO,
  FLEET_SEED,
  IMAGE_REPO,
  lockStateDir,
  removeLocalImages,
  resetState,
  World,
} from './world.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const CALLER = 'templates/image-repo/.github/workflows/image-main.yml';
const REUSABLE = '.github/workflows/image-main.yml';
const FLEET_CALLER = 'templates/deployment-repo/.github/workflows/fleet-report.yml';
const FLEET_REUSABLE = '.github/workflows/fleet-report.yml';
/** A pytest selection of the template's image tests that the double's image can honestly pass. */
const DOUBLE_IMAGE_TESTS = 'not test_course_package_imports';

/** An input default of build-image's action.yml: what the workflow gets when it leaves that input empty or out. */
async function buildImageDefault(input: string): Promise<string> {
  const action = parseYaml(
    await readFile(join(REPO_ROOT, 'actions', 'build-image', 'action.yml'), 'utf8'),
  ) as {
    inputs: Record<string, { default?: string }>;
  };
  return action.inputs[input]?.default ?? '';
}

/** The real repo2docker when it is on PATH at the pinned version with buildx, else the double (the same choice as the tests). */
function chooseRepo2docker(wanted: string): Repo2DockerMode & { env: Record<string, string> } {
  const install = `pip install jupyter-repo2docker==${wanted}`;
  const tool = repo2dockerUnderTest();
  return tool.kind === 'real'
    ? { kind: 'real', version: tool.version, path: 'repo2docker on PATH', install, env: tool.env }
    : { kind: 'double', version: tool.version, why: tool.why ?? '', install, env: tool.env };
}

async function main(options: DemoOptions): Promise<number> {
  const stateDir = resolve(options.stateDir ?? join(REPO_ROOT, '.demo'));
  const out = new Printer({ verbose: options.verbose });
  const unlock = await lockStateDir(stateDir);
  const cancel = new AbortController();
  const cancelPosts = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      out.notice(
        `${signal}: cancelling the run; post steps and the services still stop cleanly (again to hurry)`,
      );
      cancel.abort();
    } else if (interrupts === 2) {
      out.notice(`${signal} again: stopping the post steps too`);
      cancelPosts.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let world: World | undefined;
  let outcome: DemoOutcome | undefined;
  try {
    out.title(stateDir);
    if (options.reset) {
      const removed = await resetState(stateDir);
      out.line(
        `--reset: deleted the state${removed.length > 0 ? ` and ${removed.length} local images` : ''}`,
      );
    }
    const { caller, reusable } = await readWorkflows(
      (path) => readFile(join(REPO_ROOT, path), 'utf8'),
      CALLER,
      REUSABLE,
    );
    const mode = chooseRepo2docker(await buildImageDefault('repo2docker-version'));
    out.repo2docker(mode);

    const browserPort = Number(await buildImageDefault('browser-test-port'));
    if (browserPort > 0 && !(await portIsFree(browserPort))) {
      throw new DemoError(
        `port ${browserPort} on 127.0.0.1 is in use: build-image publishes the image's jupyter there for the browser tests (its browser-test-port, which the workflow leaves at the default)`,
        `Stop what listens on ${browserPort}, then run the demo again`,
      );
    }

    out.phase('Set-up');
    world = await World.open(stateDir, { python: mode.kind === 'double', log: (line) => out.line(line) });
    out.setup(world, mode);
    for (const made of await world.seed(REPO_ROOT)) out.line(`Created ${made}`);
    if (options.change) {
      const change = await world.change();
      out.line(
        `--change: merged pull request #${change.number} "${change.title}" into ${IMAGE_REPO} main (${change.sha.slice(0, 12)})`,
      );
    }
    const sha = await world.headOfMain();
    const previous = await previousImage(stateDir);
    const runNumber = await world.beginRun();

    const contexts = {
      github: { event_name: 'push', ref: 'refs/heads/main', sha, repository: IMAGE_REPO },
      inputs: {},
      vars: world.vars(),
      secrets: world.secrets(),
    };
    const callerJob = readCallerJob(caller, REUSABLE, contexts);
    const overrides: Record<string, { value: Value; why: string }> = {
      registry: {
        value: world.registryHost,
        why: 'the local registry stands in for us-central1-docker.pkg.dev',
      },
      'free-disk-space': {
        value: false,
        why: 'this machine is not a throwaway runner: nothing of it is deleted',
      },
    };
    if (mode.kind === 'double') {
      overrides['image-test-command'] = {
        // One argument per line; the -k selection is one argument.
        value: [
          ...'python3 -m pytest -v -p no:cacheprovider image-tests/ -k'.split(' '),
          DOUBLE_IMAGE_TESTS,
        ].join('\n'),
        why: "the double's image has no conda packages (numpy, pandas, matplotlib): the template's tests but those imports",
      };
    }
    const given = {
      ...callerJob.with,
      ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v.value])),
    };
    const inputs = reusableInputs(reusable, given);
    const secrets = reusableSecrets(reusable, callerJob.secrets);
    out.caller({
      file: CALLER,
      job: callerJob,
      overrides,
      sha,
      runNumber,
      reusable: REUSABLE,
      event: 'push to main of the image repo',
    });

    const masks = [
      world.appPrivateKey,
      ...world.appPrivateKey.split('\n').filter((line) => line.length >= 16),
    ];
    const env: Record<string, string> = {
      HUB_IMAGE_ACTIONS_STS_URL: world.google.stsUrl,
      HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL: world.google.iamCredentialsUrl,
      ...mode.env,
    };
    const started = Date.now();
    const result: WorkflowResult = await runWorkflow({
      workflow: reusable,
      inputs,
      secrets,
      vars: world.vars(),
      callerPermissions: callerJob.permissions,
      event: {
        repository: IMAGE_REPO,
        sha,
        ref: 'refs/heads/main',
        defaultBranch: 'main',
        serverUrl: world.github.serverUrl,
        apiUrl: world.github.url,
        actor: 'ada-admin',
        runNumber,
        workflow: 'Build, push and bump the image',
      },
      machine: {
        actionsDir: join(REPO_ROOT, 'actions'),
        runStepAction: join(REPO_ROOT, 'scripts', 'demo', 'run-step'),
        env,
        oidcEnv: world.google.oidcEnv(),
        jobToken: (jobId, permissions) => world!.jobToken(jobId, permissions),
        masks,
      },
      observer: out.observer(logDirOf(world, runNumber), mode),
      signal: cancel.signal,
      postSignal: cancelPosts.signal,
    });
    const info = { mode, runNumber, durationMs: Date.now() - started };
    outcome = await out.outcome(world, result, { ...info, deployment: DEPLOYMENT_REPO });
    await printPackages(out, world, {
      previous,
      image: outcome.image.ref,
      digest: outcome.image.digest,
      deployment: DEPLOYMENT_REPO,
      pull: outcome.bump.number,
    });
    if (result.conclusion !== 'cancelled') {
      outcome.fleet = await fleetReport(world, out, {
        runNumber,
        env,
        masks,
        signals: { cancel, cancelPosts },
        mode,
      });
    }
    await world.save();
    await out.secretsCheck(world, outcome, [logDirOf(world, runNumber), join(stateDir, 'github.json')]);
    out.summary(world, result, outcome, info);
    const resultText = `${JSON.stringify(outcome, null, 2)}\n`;
    await mkdir(logDirOf(world, runNumber), { recursive: true });
    await writeFile(join(stateDir, 'result.json'), resultText);
    await writeFile(join(logDirOf(world, runNumber), 'result.json'), resultText);
    if (result.conclusion === 'cancelled') return 130;
    return result.conclusion === 'success' &&
      outcome.fleet?.conclusion === 'success' &&
      outcome.secretsLeaked === 0
      ? 0
      : 1;
  } finally {
    if (world !== undefined) {
      const removed = await removeLocalImages(world.image).catch(() => []);
      await world.close();
      out.teardown(world, removed);
    }
    await unlock();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Last, for scripts: one line of JSON with what the run did.
    if (outcome !== undefined) out.result(outcome);
  }
}

/**
 * The deployment repo's scheduled fleet report: its caller in templates/deployment-repo, run like the image repo's,
 * on the deploy branches the bump just targeted. It finds what the demo seeded (a hub on a tag the registry does not
 * hold, a repo in repos.txt no hub uses) among the fixture's own problems.
 */
async function fleetReport(
  world: World,
  out: Printer,
  run: {
    runNumber: number;
    env: Record<string, string>;
    masks: string[];
    signals: { cancel: AbortController; cancelPosts: AbortController };
    mode: Repo2DockerMode;
  },
): Promise<NonNullable<DemoOutcome['fleet']>> {
  out.phase(`Fleet report of ${DEPLOYMENT_REPO}`);
  const { caller, reusable } = await readWorkflows(
    (path) => readFile(join(REPO_ROOT, path), 'utf8'),
    FLEET_CALLER,
    FLEET_REUSABLE,
  );
  const sha = (await world.git.resolve(DEPLOYMENT_REPO, 'refs/heads/staging')) ?? '';
  const contexts = {
    github: { event_name: 'schedule', ref: 'refs/heads/staging', sha, repository: DEPLOYMENT_REPO },
    inputs: {},
    vars: world.vars(),
    secrets: world.secrets(),
  };
  const callerJob = readCallerJob(caller, FLEET_REUSABLE, contexts);
  const overrides: Record<string, { value: Value; why: string }> = {
    registry: {
      value: world.registryHost,
      why: 'the local registry stands in for us-central1-docker.pkg.dev',
    },
    'fail-on': {
      value: 'none',
      why: `the demo seeds a broken hub on purpose (${FLEET_SEED.missingHub}); the caller's default, broken, would fail the run`,
    },
  };
  const given = {
    ...callerJob.with,
    ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v.value])),
  };
  out.caller({
    file: FLEET_CALLER,
    job: callerJob,
    overrides,
    sha,
    runNumber: run.runNumber,
    reusable: FLEET_REUSABLE,
    event: `the weekly schedule of the deployment repo, staging`,
  });
  const result = await runWorkflow({
    workflow: reusable,
    inputs: reusableInputs(reusable, given),
    secrets: reusableSecrets(reusable, callerJob.secrets),
    vars: world.vars(),
    callerPermissions: callerJob.permissions,
    event: {
      repository: DEPLOYMENT_REPO,
      sha,
      ref: 'refs/heads/staging',
      defaultBranch: 'staging',
      serverUrl: world.github.serverUrl,
      apiUrl: world.github.url,
      actor: 'ada-admin',
      runNumber: run.runNumber,
      workflow: 'Fleet report',
    },
    machine: {
      actionsDir: join(REPO_ROOT, 'actions'),
      runStepAction: join(REPO_ROOT, 'scripts', 'demo', 'run-step'),
      env: run.env,
      oidcEnv: world.google.oidcEnv(),
      jobToken: (jobId, permissions) => world.jobToken(jobId, permissions, DEPLOYMENT_REPO),
      masks: run.masks,
    },
    observer: out.observer(join(logDirOf(world, run.runNumber), 'fleet-report'), run.mode),
    signal: run.signals.cancel.signal,
    postSignal: run.signals.cancelPosts.signal,
  });
  const step = result.jobs
    .flatMap((job) => job.steps)
    .find((candidate) => candidate.action === 'fleet-report');
  return out.fleet(result, step, { seed: FLEET_SEED });
}

let options: DemoOptions;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`demo: ${error.message}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  process.exitCode = await main(options);
} catch (error) {
  if (error instanceof DemoError || error instanceof WorkflowError) {
    process.stderr.write(
      `\ndemo failed: ${error.message}\n${error instanceof DemoError && error.fix ? `${error.fix}\n` : ''}`,
    );
  } else {
    process.stderr.write(
      `\ndemo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exitCode = 1;
}
