// What the demo prints: a workflow log in short (each job and step, what each action decided), then the image, the
// bump pull request with its diff, and a summary. Full step logs go to files, and to the screen with --verbose.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDuration } from '@hub-image-actions/action-io';
import { findLeaks } from '@hub-image-actions/local-world/leak-checker';
import { highlights, renderLog } from './highlights.ts';
import type { JobResult, Observer, StepResult, WorkflowResult } from './runner.ts';
import type { Value } from '@hub-image-actions/workflow-files';
import type { CallerJob } from './workflow.ts';
import { fleetFindings, type FleetSeed } from './fleet.ts';
import type { World } from './world.ts';

export type Repo2DockerMode =
  | { kind: 'real'; version: string; path: string; install: string }
  | { kind: 'double'; version: string; why: string; install: string };

export const DOUBLE_LABEL = '[repo2docker test double]';
const TAIL_LINES = 40;

export interface DemoOutcome {
  run: number;
  conclusion: WorkflowResult['conclusion'];
  durationMs: number;
  repo2docker: { kind: Repo2DockerMode['kind']; version: string };
  image: {
    ref: string;
    digest: string;
    built: boolean;
    reusedDigest: string;
    tags: string[];
    pushed: string[];
    attempts: number;
    tests: string;
  };
  bump: {
    operation: string;
    number: number | undefined;
    url: string;
    title: string;
    branch: string;
    hubs: string[];
    skippedHubs: string[];
    changedFiles: string[];
  };
  workflowOutputs: Record<string, string>;
  /** The deployment repo's fleet report, run after the image's workflow. */
  fleet?: {
    conclusion: WorkflowResult['conclusion'];
    broken: number;
    problems: number;
    counts: Record<string, number>;
    issueUrl: string;
    /** Where it found what the demo seeded, `FILE:LINE`; empty when it did not. */
    missingAt: string;
    unusedAt: string;
  };
  /** Secrets of the run found in its logs, saved state or image (see `secretsCheck`). */
  secretsLeaked: number;
}

const lines = (text: string | undefined) => (text ?? '').split('\n').filter((line) => line !== '');

export function logDirOf(world: World, runNumber: number): string {
  return join(world.stateDir, 'logs', `run-${runNumber}`);
}

function permissionsText(permissions: Record<string, string>): string {
  const entries = Object.entries(permissions);
  return entries.length === 0 ? 'none' : entries.map(([scope, access]) => `${scope}: ${access}`).join(', ');
}

export class Printer {
  private readonly verbose: boolean;

  constructor(options: { verbose: boolean }) {
    this.verbose = options.verbose;
  }

  line(text: string, indent = 2): void {
    process.stdout.write(`${' '.repeat(indent)}${text}\n`);
  }

  notice(text: string): void {
    process.stdout.write(`\n!! ${text}\n`);
  }

  phase(title: string): void {
    process.stdout.write(`\n== ${title}\n`);
  }

  title(stateDir: string): void {
    process.stdout.write(
      `hub-image-actions demo: the main workflow of an image repo, run on this machine\nState: ${stateDir} (kept between runs; --reset starts over)\n`,
    );
  }

  repo2docker(mode: Repo2DockerMode): void {
    if (mode.kind === 'real') {
      this.line(`repo2docker ${mode.version}: ${mode.path} (real builds)`, 0);
      return;
    }
    this.line(`repo2docker: ${mode.why}.`, 0);
    this.line(
      `  The demo builds with the harness's repo2docker TEST DOUBLE instead: a small image from a Debian base with`,
      0,
    );
    this.line(
      `  the repo copied in and a stub jupyter, no conda environment. Lines about it start with ${DOUBLE_LABEL}.`,
      0,
    );
    this.line(`  For real builds: ${mode.install} (it also needs docker buildx and network access).`, 0);
  }

  setup(world: World, mode: Repo2DockerMode): void {
    this.line(`docker: ${world.engine.description}`);
    this.line(
      `registry: ${world.registryHost} (distribution, stands in for Artifact Registry; pushes and reads need a token minted by the fake Google endpoints)`,
    );
    this.line(
      `Google: ${world.google.url} (OIDC token → STS → generateAccessToken for ${world.google.serviceAccount})`,
    );
    this.line(
      `git server: ${world.git.url}; GitHub API: ${world.github.url} (App 'hub-image-bot' installed on the deployment repo)`,
    );
    if (mode.kind === 'double')
      this.line(
        `${DOUBLE_LABEL} repo2docker ${mode.version} on PATH: packages/local-world/repo2docker-double/repo2docker`,
      );
  }

  caller(info: {
    file: string;
    job: CallerJob;
    overrides: Record<string, { value: Value; why: string }>;
    sha: string;
    runNumber: number;
    /** The reusable workflow the caller calls. */
    reusable: string;
    /** What started the run, e.g. `push to main of the image repo`. */
    event: string;
  }): void {
    this.phase(`Run ${info.runNumber}: ${info.event}, commit ${info.sha.slice(0, 12)}`);
    this.line(
      `${info.file}, job '${info.job.id}' (permissions: ${permissionsText(info.job.permissions)}) calls ${info.reusable} with:`,
    );
    for (const [key, value] of Object.entries(info.job.with))
      this.line(`${key}: ${JSON.stringify(value)}`, 6);
    const secrets = Object.entries(info.job.secrets);
    this.line(
      `secrets: ${secrets.length === 0 ? 'none' : secrets.map(([k, v]) => `${k} (${v === '' ? 'not set' : 'set'})`).join(', ')}`,
      4,
    );
    this.line('and, for this machine (the demo adds these):', 4);
    for (const [key, { value, why }] of Object.entries(info.overrides)) {
      this.line(`${key}: ${JSON.stringify(value)}  # ${why}`, 6);
    }
  }

  observer(logDir: string, mode: Repo2DockerMode): Observer {
    const label = (step: { action?: string | undefined }, text: string) =>
      mode.kind === 'double' && step.action === 'build-image' ? `${DOUBLE_LABEL} ${text}` : text;
    return {
      jobStarted: (job) => {
        this.phase(`Job ${job.id}: ${job.name}`);
        this.line(
          `runs-on: ${job.runsOn}; permissions: ${permissionsText(job.permissions)}; timeout ${job.timeoutMinutes} min`,
        );
      },
      jobSkipped: (job) => {
        this.phase(`Job ${job.id}: ${job.name}`);
        this.line(`skipped: ${job.reason}`);
      },
      stepStarted: () => undefined,
      stepFinished: (step) => {
        void this.saveLog(logDir, step);
        const mark = step.outcome === 'success' ? '✓' : step.outcome === 'skipped' ? '–' : '✗';
        const kinds = { run: 'run', post: 'post step', checkout: 'actions/checkout, emulated by the demo' };
        const what = step.kind === 'action' ? (step.action ?? step.uses ?? '') : kinds[step.kind];
        const took =
          step.outcome === 'skipped'
            ? 'skipped'
            : `${step.outcome === 'success' ? '' : `${step.outcome}, `}${formatDuration(step.durationMs)}`;
        this.line(`${mark} ${step.number}. ${step.name} (${what}) ${took}`);
        if (step.kind === 'post' && !this.verbose) return;
        const failed = step.outcome === 'failure' || step.outcome === 'cancelled';
        const shown = this.verbose ? renderLog(step.log) : highlights(step.log);
        for (const text of shown) this.line(label(step, text), 6);
        if (step.problem !== undefined) this.line(`demo: ${step.problem}`, 6);
        if (failed && !this.verbose) {
          const tail = renderLog(step.log).slice(-TAIL_LINES);
          if (tail.length > 0) {
            this.line(`--- the last ${tail.length} lines of its log ---`, 6);
            for (const text of tail) this.line(label(step, text), 8);
          }
        }
      },
      jobFinished: (job: JobResult) => {
        const outputs = Object.entries(job.outputs).filter(([, value]) => value !== '');
        this.line(
          `job ${job.result} in ${formatDuration(job.durationMs)}; outputs: ${outputs.map(([k, v]) => `${k}=${v.replace(/\n/g, ',')}`).join(' ') || 'none'}`,
        );
      },
    };
  }

  private async saveLog(dir: string, step: StepResult): Promise<void> {
    await mkdir(dir, { recursive: true });
    const name = `${step.jobId}-${String(step.number).padStart(2, '0')}${step.kind === 'post' ? '-post' : ''}.log`;
    await writeFile(join(dir, name), `# ${step.name}\n${step.log}`);
  }

  /** Prints the image, the pull request and its diff, and gathers the run's result. */
  async outcome(
    world: World,
    result: WorkflowResult,
    info: { mode: Repo2DockerMode; runNumber: number; durationMs: number; deployment: string },
  ): Promise<DemoOutcome> {
    const find = (action: string) =>
      result.jobs
        .flatMap((job) => job.steps)
        .find((step) => step.action === action && step.kind === 'action');
    const build = find('build-image');
    const push = find('push-to-gar');
    const bump = find('bump-hubploy');
    const double = info.mode.kind === 'double' ? `${DOUBLE_LABEL} ` : '';
    const pull = world.github.pulls.find(
      (candidate) =>
        candidate.repo === info.deployment &&
        String(candidate.number) === bump?.outputs['pull-request-number'],
    );
    const outcome: DemoOutcome = {
      run: info.runNumber,
      conclusion: result.conclusion,
      durationMs: info.durationMs,
      repo2docker: { kind: info.mode.kind, version: info.mode.version },
      image: {
        ref: build?.outputs['image-ref'] ?? '',
        digest: push?.outputs['digest'] ?? '',
        built: build?.outputs['built'] === 'true',
        reusedDigest: build?.outputs['reused-digest'] ?? '',
        tags: lines(build?.outputs['tags']),
        pushed: lines(push?.outputs['pushed']),
        attempts: Number(push?.outputs['attempts'] ?? 0),
        tests: build?.outputs['tests'] ?? '',
      },
      bump: {
        operation: bump?.outputs['operation'] ?? '',
        number: pull?.number,
        url: bump?.outputs['pull-request-url'] ?? '',
        title: pull?.title ?? '',
        branch: pull?.head.ref ?? '',
        hubs: lines(bump?.outputs['hubs']),
        skippedHubs: lines(bump?.outputs['skipped-hubs']),
        changedFiles: lines(bump?.outputs['changed-files']),
      },
      workflowOutputs: result.outputs,
      secretsLeaked: 0,
    };

    this.phase('Image');
    this.line(`${double}${outcome.image.ref || '(none: the build did not finish)'}`);
    if (outcome.image.digest !== '') this.line(`${double}digest ${outcome.image.digest}`);
    if (build !== undefined && build.outcome !== 'skipped') {
      const hash = build.outputs['inputs-hash'] ?? '';
      const size = Number(build.outputs['size-bytes'] ?? '');
      // build-image reports the engine's uncompressed size for a build, the registry's compressed one for a reuse.
      const sizeText =
        Number.isFinite(size) && size > 0
          ? `, ${(size / 1e6).toFixed(1)} MB ${outcome.image.built ? 'uncompressed' : 'compressed in the registry'}`
          : '';
      this.line(
        outcome.image.built
          ? `${double}built by repo2docker ${build.outputs['repo2docker-version'] ?? ''}${info.mode.kind === 'double' ? ' (the test double)' : ''}${sizeText}; tests ${outcome.image.tests}`
          : outcome.image.reusedDigest !== ''
            ? `${double}reused: the registry's image built from the same inputs (built by repo2docker ${build.outputs['repo2docker-version'] ?? ''}${sizeText}); nothing was built or tested again`
            : `${double}not built (${build.outcome})`,
      );
      if (hash !== '') this.line(`${double}inputs hash ${hash}`);
    }
    if (push !== undefined && push.outcome !== 'skipped') {
      this.line(
        `tags ${outcome.image.tags.join(', ')}: ${outcome.image.pushed.length > 0 ? `wrote ${outcome.image.pushed.join(', ')}` : 'all already held this image, nothing written'} (${outcome.image.attempts} write attempt${outcome.image.attempts === 1 ? '' : 's'}; source: ${push.inputs['source-digest'] ? `the reused digest, tagged through the registry API with no docker push` : `the local image ${push.inputs['source'] ?? ''}`})`,
      );
    }

    if (pull !== undefined) {
      this.phase(`Bump pull request #${pull.number} (${outcome.bump.operation}): ${pull.title}`);
      this.line(`${outcome.bump.url}`);
      this.line(
        `${pull.head.ref} → ${pull.base.ref}, ${pull.state}; labels: ${pull.labels.join(', ') || 'none'}`,
      );
      this.line(`hubs moved: ${outcome.bump.hubs.join(', ') || 'none'}`);
      const folders = await world.git.runGit(info.deployment, [
        'ls-tree',
        '--name-only',
        pull.base.ref,
        'deployments/',
      ]);
      const untouched = folders.stdout
        .toString()
        .split('\n')
        .map((path) => path.replace(/^deployments\//, ''))
        .filter((hub) => hub !== '' && !outcome.bump.hubs.includes(hub));
      if (untouched.length > 0) {
        this.line(
          `hubs not in it: ${untouched.join(', ')} (another image, a near-miss name, or excluded like the template)`,
        );
      }
      if (outcome.bump.skippedHubs.length > 0)
        this.line(`hubs left alone: ${outcome.bump.skippedHubs.join('; ')}`);
      const diff = await world.git.runGit(info.deployment, [
        'diff',
        '--stat',
        '--patch',
        `${pull.base.ref}...${pull.head.ref}`,
      ]);
      this.line(`git diff ${pull.base.ref}...${pull.head.ref} (${info.deployment}):`);
      for (const text of diff.stdout.toString('utf8').replace(/\r/g, '␍').trimEnd().split('\n'))
        this.line(text, 4);
    } else if (bump !== undefined) {
      this.phase(`Bump: ${outcome.bump.operation || bump.outcome}`);
      this.line('no pull request');
    }

    return outcome;
  }

  /** The last section: what the run did, in a few lines. */
  summary(
    world: World,
    result: WorkflowResult,
    outcome: DemoOutcome,
    info: { mode: Repo2DockerMode; runNumber: number; durationMs: number },
  ): void {
    this.phase('Summary');
    const verdict = outcome.image.built
      ? `built (no image in the registry had these inputs)${info.mode.kind === 'double' ? ' by the repo2docker TEST DOUBLE' : ''}, tests ${outcome.image.tests}`
      : outcome.image.reusedDigest !== ''
        ? 'reused (the registry held an image built from the same inputs), nothing built'
        : 'not built';
    this.line(`run ${info.runNumber}: ${result.conclusion} in ${formatDuration(info.durationMs)}`);
    for (const job of result.jobs) {
      this.line(
        `job ${job.id}: ${job.result}${job.reason ? `: ${job.reason}` : ` in ${formatDuration(job.durationMs)}`}`,
        4,
      );
    }
    this.line(`image: ${verdict}`);
    if (outcome.image.digest !== '') {
      this.line(
        `push: ${outcome.image.pushed.length > 0 ? `wrote ${outcome.image.pushed.join(', ')}` : 'nothing to write'}, ${outcome.image.digest}`,
      );
    }
    this.line(
      `bump: ${outcome.bump.operation || 'not run'}${outcome.bump.number === undefined ? '' : ` pull request #${outcome.bump.number}, ${outcome.bump.hubs.length} hubs`}`,
    );
    if (outcome.fleet !== undefined) {
      const seeded =
        outcome.fleet.missingAt !== '' && outcome.fleet.unusedAt !== ''
          ? `shows what the demo seeded (${outcome.fleet.missingAt}, ${outcome.fleet.unusedAt})`
          : 'does NOT show what the demo seeded';
      this.line(
        `fleet report: ${outcome.fleet.conclusion}, ${outcome.fleet.broken} broken, ${outcome.fleet.problems} problems; ${seeded}${outcome.fleet.issueUrl === '' ? '' : `; issue ${outcome.fleet.issueUrl}`}`,
      );
    }
    if (info.mode.kind === 'double') {
      this.line(
        `repo2docker: the demo's images are built by the TEST DOUBLE, not repo2docker ${info.mode.version}; for real builds: ${info.mode.install}`,
      );
    }
    this.line(
      outcome.secretsLeaked === 0
        ? 'secrets: none found in the logs, the saved state or the image'
        : `secrets: ${outcome.secretsLeaked} LEAKED (see above)`,
    );
    this.line(`logs: every step's full log is in ${logDirOf(world, info.runNumber)}`);
    if (result.conclusion === 'success') {
      this.line(
        'next: run it again (reuse, unchanged pull request); --change (rebuild with cache, updated pull request); --reset',
      );
    }
  }

  /** Prints the fleet report's job summary and whether it shows what the demo seeded. */
  fleet(
    result: WorkflowResult,
    step: StepResult | undefined,
    info: { seed: FleetSeed },
  ): NonNullable<DemoOutcome['fleet']> {
    const summary = step?.summary ?? '';
    const outputs = step?.outputs ?? {};
    let counts: Record<string, number>;
    try {
      counts = JSON.parse(outputs['counts'] ?? '{}') as Record<string, number>;
    } catch {
      counts = {};
    }
    const found = fleetFindings(summary, info.seed);
    this.phase('The fleet report (its job summary)');
    for (const text of summary.trimEnd().split('\n')) this.line(text, 4);
    this.phase('What the demo seeded');
    this.line(
      `${found.missingAt === undefined ? '✗ not found' : `✓ ${found.missingAt}`}: a hub on ${info.seed.missingImage}:${info.seed.missingTag}, which the registry does not hold (broken)`,
    );
    this.line(
      `${found.unusedAt === undefined ? '✗ not found' : `✓ ${found.unusedAt}`}: ${info.seed.unusedRepo} in ${info.seed.reposFile}, which no hub uses`,
    );
    const bothFound = found.missingAt !== undefined && found.unusedAt !== undefined;
    return {
      conclusion: result.conclusion === 'success' && !bothFound ? 'failure' : result.conclusion,
      broken: Number(outputs['broken'] ?? 0),
      problems: Number(outputs['problems'] ?? 0),
      counts,
      issueUrl: outputs['issue-url'] ?? '',
      missingAt: found.missingAt ?? '',
      unusedAt: found.unusedAt ?? '',
    };
  }

  /**
   * Looks for every secret of the run, raw or encoded, in what it leaves behind: the step logs, the saved pull
   * requests, the repos' git configs, and the image when this run built it. Prints the verdict; returns the leaks.
   */
  async secretsCheck(world: World, outcome: DemoOutcome, paths: string[]): Promise<void> {
    const secrets = world.secretsOfThisRun();
    const images = outcome.image.built && outcome.image.ref !== '' ? [outcome.image.ref] : [];
    const started = Date.now();
    const leaks = await findLeaks(secrets, { paths, gitConfigsUnder: [join(world.stateDir, 'git')], images });
    this.phase('Secrets');
    const places = `the step logs, the saved pull requests, the repos' git configs${images.length > 0 ? ' and every file, the config and the history of the built image' : ''}`;
    if (leaks.length === 0) {
      this.line(
        `none of the ${Object.keys(secrets).length} secrets of this run (the App's key, job, installation, OIDC and access tokens) is in ${places}, raw or encoded (${formatDuration(Date.now() - started)})`,
      );
    } else {
      this.line(`LEAKED: ${leaks.length} secret(s) found in ${places}:`);
      for (const leak of leaks) this.line(`${leak.secret} (${leak.encoding}) in ${leak.where}`, 4);
    }
    outcome.secretsLeaked = leaks.length;
  }

  result(outcome: DemoOutcome): void {
    process.stdout.write(`DEMO-RESULT ${JSON.stringify(outcome)}\n`);
  }

  teardown(world: World, removedImages: string[]): void {
    this.line(
      `Stopped the registry, git server and fakes${world.engine.started ? ' and the dockerd the demo started' : ''}; removed ${removedImages.length} local images of the run (the registry keeps them)`,
      0,
    );
  }
}
