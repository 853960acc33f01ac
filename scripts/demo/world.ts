// The machine the demo's workflow runs against, kept in a state directory between runs: a registry standing in for
// Artifact Registry (reached with tokens from the fake Google endpoints), a git server holding the image repo (the
// template's example) and a deployment repo with hubs in every format, and the fake GitHub API whose pull requests
// are saved to JSON. Each run starts the services on the kept data and stops them at the end.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FIXTURES, fixtureFiles } from '@hub-image-actions/local-world/deployment-fixture';
import { ensurePythonImage, PYTHON_IMAGE } from '@hub-image-actions/local-world/base-images';
import {
  docker,
  dockerInfoWorks,
  engineStateFile,
  ensureDockerEngine,
  imageExists,
  isRunning,
  removeImages,
  stopStartedEngine,
  type StartedDockerd,
} from '@hub-image-actions/local-world/docker-engine';
import { FakeGitHub, type FakeGitHubSnapshot } from '@hub-image-actions/local-world/fake-github';
import { FakeGoogle } from '@hub-image-actions/local-world/fake-google';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { portIsFree } from '@hub-image-actions/local-world/net';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import type { Permissions } from './workflow.ts';

export const IMAGE_REPO = 'example-org/base-user-image';
export const DEPLOYMENT_REPO = 'example-org/hubs-deployment';
/** The image repo's `IMAGE` variable: the registry path without host, as on Artifact Registry. */
export const IMAGE_PATH = 'cal-icor-hubs/user-images/base-user-image';
/** The Artifact Registry host the fixture deployment repo names, replaced by the local registry's. */
const GAR_HOST = 'us-central1-docker.pkg.dev';
const APP_ID = 424242;
/** The tag most of the fixture's hubs run. */
const FIXTURE_TAG = '8b48b4867330';
const ADMIN = { name: 'Ada Admin', email: 'ada@example.edu' };
const APP_INSTALLATION = 77;
/** The deploy branch the fleet report compares with staging. */
export const PROD_BRANCH = 'prod';
/**
 * What the demo adds to the fixture for the fleet report: a hub on an image the registry never got (so its tag is
 * missing), and a repos.txt that lists the image repo and one no hub uses.
 */
export const FLEET_SEED = {
  missingHub: 'deployments/retired-course/config/common.yaml',
  missingImage: 'cal-icor-hubs/user-images/physics-user-image',
  missingTag: '5e1d0c0ffee1',
  reposFile: 'configs/repos.txt',
  unusedRepo: 'example-org/chemistry-user-image',
};

/** A mistake or a state the user can fix: printed without a stack trace. */
export class DemoError extends Error {
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(message);
    this.name = 'DemoError';
  }
}

interface SavedState {
  version: 1;
  /** Workflow runs started on this state. */
  runs: number;
  /** Changes `--change` committed to the image repo. */
  changes: number;
  /** The registry port is part of every image name; the git server's is part of the pull request links. */
  ports: { registry?: number; git?: number };
  created: string;
}

export interface DockerEngine {
  host: string | undefined;
  description: string;
  started: StartedDockerd | undefined;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DemoError(`${file} is not readable JSON: ${String(error)}`, 'Start over with --reset');
  }
}

/** Takes the state directory for this process; refuses while another live demo holds it. */
export async function lockStateDir(stateDir: string): Promise<() => Promise<void>> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, 'lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
        throw new DemoError(
          `another demo run (pid ${pid}) is using ${stateDir}`,
          'Wait for it to finish, or give this one another --state-dir',
        );
      }
      await rm(file, { force: true }); // left by a run that was killed
    }
  }
  throw new DemoError(`could not lock ${stateDir}`);
}

/** Deletes the state and the local images named after its registry. */
export async function resetState(stateDir: string): Promise<string[]> {
  const saved = await readJson<SavedState>(join(stateDir, 'state.json'));
  const removed: string[] = [];
  if (saved?.ports.registry !== undefined && (await dockerInfoWorks())) {
    removed.push(...(await removeLocalImages(`127.0.0.1:${saved.ports.registry}/${IMAGE_PATH}`)));
  }
  for (const entry of await readdir(stateDir).catch(() => [] as string[])) {
    if (entry !== 'lock') await rm(join(stateDir, entry), { recursive: true, force: true });
  }
  return removed;
}

/** Removes every local image whose name is `image`, whatever its tag; returns what it removed. */
export async function removeLocalImages(image: string): Promise<string[]> {
  const listed = await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
  const refs = listed.stdout.split('\n').filter((ref) => ref.startsWith(`${image}:`));
  await removeImages(refs);
  return refs;
}

/**
 * A docker engine: the one `docker info` reaches, else one a test run of the harness left running (used, not
 * owned), else a private dockerd started here and stopped by `close()`.
 */
async function dockerEngine(): Promise<DockerEngine> {
  if (await dockerInfoWorks()) {
    return { host: process.env['DOCKER_HOST'], description: 'the running docker engine', started: undefined };
  }
  const recorded = await readJson<StartedDockerd>(engineStateFile());
  if (recorded !== undefined && (await dockerInfoWorks(recorded.host))) {
    process.env['DOCKER_HOST'] = recorded.host;
    return {
      host: recorded.host,
      description: `the dockerd the test harness started (pid ${recorded.pid}), left running`,
      started: undefined,
    };
  }
  const started = await ensureDockerEngine();
  if (started === undefined) {
    return { host: process.env['DOCKER_HOST'], description: 'the running docker engine', started: undefined };
  }
  return {
    host: started.host,
    description: `dockerd started for the demo (pid ${started.pid}, data in ${started.paths.dataRoot}), stopped at the end`,
    started,
  };
}

async function filesUnder(root: string, dir = root): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(files, await filesUnder(root, path));
    else if (entry.isFile()) files[relative(root, path)] = await readFile(path);
  }
  return files;
}

/** Packages `--change` adds to environment.yml, one per change; after the last, a dated comment. */
const CHANGES = [
  { line: '  - scipy=1.15', title: 'Add scipy for the statistics course' },
  { line: '  - seaborn=0.13', title: 'Add seaborn for the data science course' },
  { line: '  - sympy=1.13', title: 'Add sympy for the physics course' },
];

export class World {
  private readonly jobTokens: string[] = [];

  private constructor(
    readonly stateDir: string,
    private readonly state: SavedState,
    readonly engine: DockerEngine,
    readonly registry: TestRegistry,
    readonly git: GitServer,
    readonly github: FakeGitHub,
    readonly google: FakeGoogle,
    /** The GitHub App's private key: the `APP_PRIVATE_KEY` secret. Exists only in this process. */
    readonly appPrivateKey: string,
  ) {}

  /** Starts everything on the kept state (creating it on the first run). */
  static async open(
    stateDir: string,
    options: { python: boolean; log: (line: string) => void },
  ): Promise<World> {
    const state: SavedState = (await readJson<SavedState>(join(stateDir, 'state.json'))) ?? {
      version: 1,
      runs: 0,
      changes: 0,
      ports: {},
      created: new Date().toISOString(),
    };
    const engine = await dockerEngine();
    const started: Array<{ stop(): Promise<void> }> = [];
    try {
      if (options.python && !(await imageExists(PYTHON_IMAGE))) {
        options.log(
          `Making the test double's base image ${PYTHON_IMAGE} (debootstrap; about a minute, once)`,
        );
        await ensurePythonImage();
      }
      const registryPort = state.ports.registry;
      if (registryPort !== undefined && !(await portIsFree(registryPort))) {
        throw new DemoError(
          `port ${registryPort} is in use by another program, and the demo's images are named 127.0.0.1:${registryPort}/…`,
          'Stop that program, or start over with --reset (a new port, a first build)',
        );
      }
      const registry = await TestRegistry.start({
        dir: join(stateDir, 'registry'),
        ...(registryPort === undefined ? {} : { port: registryPort }),
      });
      started.push(registry);
      const gitPort =
        state.ports.git !== undefined && (await portIsFree(state.ports.git)) ? state.ports.git : undefined;
      const git = await GitServer.start({
        root: join(stateDir, 'git'),
        ...(gitPort === undefined ? {} : { port: gitPort }),
      });
      started.push(git);
      const github = await FakeGitHub.start({ git });
      started.push(github);
      const snapshot = await readJson<FakeGitHubSnapshot>(join(stateDir, 'github.json'));
      if (snapshot !== undefined) github.restore(snapshot);
      const google = await FakeGoogle.start({ registry, repository: IMAGE_REPO });
      started.push(google);
      const { privateKeyPem } = github.addApp({
        id: APP_ID,
        slug: 'hub-image-bot',
        installations: { [DEPLOYMENT_REPO]: APP_INSTALLATION },
        permissions: { contents: 'write', pull_requests: 'write' },
      });
      state.ports = { registry: Number(registry.host.split(':')[1]), git: Number(new URL(git.url).port) };
      return new World(stateDir, state, engine, registry, git, github, google, privateKeyPem);
    } catch (error) {
      for (const service of started.reverse()) await service.stop().catch(() => undefined);
      if (engine.started !== undefined) await stopStartedEngine();
      throw error;
    }
  }

  get runNumber(): number {
    return this.state.runs;
  }

  /** The registry host, where the image is pushed: the `registry` input in place of us-central1-docker.pkg.dev. */
  get registryHost(): string {
    return this.registry.host;
  }

  get image(): string {
    return `${this.registry.host}/${IMAGE_PATH}`;
  }

  /** What the image repo's settings hold: its repository variables. */
  vars(): Record<string, string> {
    return {
      IMAGE: IMAGE_PATH,
      DEPLOYMENT_REPO,
      GAR_WIF_PROVIDER: this.google.workloadIdentityProvider,
      GAR_SA: this.google.serviceAccount,
      APP_ID: String(APP_ID),
    };
  }

  /** Its repository secrets: only the App's key (the legacy secrets are not set). */
  secrets(): Record<string, string> {
    return { APP_PRIVATE_KEY: this.appPrivateKey };
  }

  /**
   * Creates the repos on the first run; returns what it made. The image repo gets two commits, the template without
   * and then with its browser tests (a merged pull request), and the hubs that the fixture has at 8b48b4867330
   * run the first one: the bump shows its order check on real history.
   */
  async seed(repoRoot: string): Promise<string[]> {
    const made: string[] = [];
    if (!(await this.git.hasRepo(IMAGE_REPO))) {
      const files = await filesUnder(join(repoRoot, 'templates', 'image-repo'));
      const later = Object.fromEntries(
        Object.entries(files).filter(([path]) => path.startsWith('browser-tests/')),
      );
      const first = Object.fromEntries(Object.entries(files).filter(([path]) => !(path in later)));
      await this.git.createRepo(IMAGE_REPO, {
        files: first,
        message: 'Create the image repo from templates/image-repo',
      });
      const sha = await this.git.commit(IMAGE_REPO, 'add-browser-tests', later, 'Add browser tests', ADMIN);
      await this.git.runGit(IMAGE_REPO, ['update-ref', 'refs/heads/main', sha]);
      await this.git.runGit(IMAGE_REPO, ['update-ref', '-d', 'refs/heads/add-browser-tests']);
      this.github.addMergedPull(IMAGE_REPO, {
        number: 1,
        title: 'Add browser tests',
        mergeCommitSha: sha,
        headRef: 'add-browser-tests',
      });
      made.push(
        `${IMAGE_REPO}: the template's example image repo (${Object.keys(files).length} files, 2 commits)`,
      );
    }
    // The template's image repo is public, as the fleet report's job token (of the deployment repo) expects.
    this.github.makePublic(IMAGE_REPO);
    if (!(await this.git.hasRepo(DEPLOYMENT_REPO))) {
      const [, first] = (await this.git.log(IMAGE_REPO, 'refs/heads/main')).map((entry) => entry.sha);
      const files = {
        ...fixtureFiles(join(FIXTURES, 'deployment-repo'), [
          [GAR_HOST, this.registry.host],
          [FIXTURE_TAG, (first ?? FIXTURE_TAG).slice(0, 12)],
        ]),
        ...this.fleetFiles(),
      };
      await this.git.createRepo(DEPLOYMENT_REPO, {
        branch: 'staging',
        files,
        message: 'Hub deployment configs',
      });
      await this.git.runGit(DEPLOYMENT_REPO, ['branch', PROD_BRANCH, 'staging']);
      const hubs = new Set(
        Object.keys(files).flatMap((path) => /^deployments\/([^/]+)\//.exec(path)?.[1] ?? []),
      );
      made.push(
        `${DEPLOYMENT_REPO}: ${hubs.size} hub folders on staging and ${PROD_BRANCH}, in every format (packages/deploy-config's fixture; ${GAR_HOST} → ${this.registry.host}, ${FIXTURE_TAG} → the image repo's first commit), ${FLEET_SEED.missingHub} on a tag the registry does not hold, and ${FLEET_SEED.reposFile} listing ${FLEET_SEED.unusedRepo}, which no hub uses`,
      );
    }
    if ((await this.git.resolve(DEPLOYMENT_REPO, `refs/heads/${PROD_BRANCH}`)) === undefined) {
      // State from before the fleet report: add what it shows, once.
      await this.git.commit(DEPLOYMENT_REPO, 'staging', this.fleetFiles(), 'Seed the fleet report', ADMIN);
      await this.git.runGit(DEPLOYMENT_REPO, ['branch', PROD_BRANCH, 'staging']);
      made.push(`${DEPLOYMENT_REPO}: ${PROD_BRANCH}, ${FLEET_SEED.missingHub} and ${FLEET_SEED.reposFile}`);
    }
    return made;
  }

  private fleetFiles(): Record<string, string> {
    const seed = FLEET_SEED;
    return {
      [seed.missingHub]: [
        '# A course that ended: its image was deleted from the registry, and nobody moved the hub.',
        'jupyterhub:',
        '  singleuser:',
        '    image:',
        `      name: ${this.registry.host}/${seed.missingImage}`,
        `      tag: ${seed.missingTag}`,
        '',
      ].join('\n'),
      [seed.reposFile]: `${IMAGE_REPO}\n${seed.unusedRepo}\n`,
    };
  }

  /** `--change`: a merged pull request that edits environment.yml on main. */
  async change(): Promise<{ sha: string; title: string; number: number }> {
    const current =
      (await this.git.readFile(IMAGE_REPO, 'refs/heads/main', 'environment.yml'))?.toString() ?? '';
    const next = CHANGES[this.state.changes];
    const line = next?.line ?? `  # demo change ${this.state.changes + 1}, ${new Date().toISOString()}`;
    const title = next?.title ?? `Touch environment.yml (demo change ${this.state.changes + 1})`;
    const sha = await this.git.commit(
      IMAGE_REPO,
      'main',
      { 'environment.yml': `${current.replace(/\n*$/, '\n')}${line}\n` },
      title,
      ADMIN,
    );
    const number =
      Math.max(
        0,
        ...this.github.pulls.filter((pull) => pull.repo === IMAGE_REPO).map((pull) => pull.number),
      ) + 1;
    this.github.addMergedPull(IMAGE_REPO, {
      number,
      title,
      mergeCommitSha: sha,
      headRef: `change-${number}`,
    });
    this.state.changes += 1;
    return { sha, title, number };
  }

  async headOfMain(): Promise<string> {
    const sha = await this.git.resolve(IMAGE_REPO, 'refs/heads/main');
    if (sha === undefined) throw new DemoError(`${IMAGE_REPO} has no main branch`, 'Start over with --reset');
    return sha;
  }

  /** A GITHUB_TOKEN for a job: its permissions on its repository (the image repo's by default), on the API and the git server. */
  jobToken(
    jobId: string,
    permissions: Permissions,
    repo: string = IMAGE_REPO,
  ): { token: string; revoke: () => void } {
    const token = `ghs_${jobId.replace(/\W/g, '')}${randomBytes(18).toString('hex')}`.slice(0, 40);
    this.jobTokens.push(token);
    const scope = (name: string) => {
      const access = permissions[name];
      return access === 'read' || access === 'write' ? access : undefined;
    };
    const contents = scope('contents');
    const pulls = scope('pull-requests');
    const issues = scope('issues');
    this.github.addToken(token, {
      repos: [repo],
      login: 'github-actions[bot]',
      permissions: {
        ...(contents ? { contents } : {}),
        ...(pulls ? { pull_requests: pulls } : {}),
        ...(issues ? { issues } : {}),
      },
    });
    if (contents !== undefined) this.git.addToken(token, { push: contents === 'write', repos: [repo] });
    return {
      token,
      revoke: () => {
        this.github.removeToken(token);
        this.git.removeToken(token);
      },
    };
  }

  /**
   * Every secret this run handed out, by label: the App's key, the job tokens, the installation tokens the App
   * minted, and the OIDC, federated and access tokens of the Google endpoints.
   */
  secretsOfThisRun(): Record<string, string> {
    const keyLine = this.appPrivateKey.split('\n').find((line) => line.length >= 40) ?? '';
    const secrets: Record<string, string> = {
      "the App's private key": this.appPrivateKey,
      "a line of the App's key": keyLine,
    };
    this.jobTokens.forEach((token, i) => (secrets[`job token ${i + 1}`] = token));
    this.github.installationTokens.forEach(
      (minted, i) => (secrets[`installation token ${i + 1}`] = minted.token),
    );
    this.google.issued.forEach((issued, i) => (secrets[`${issued.kind} token ${i + 1}`] = issued.value));
    return secrets;
  }

  /** Counts this run and writes the state (before the workflow runs, so a crash still counts it). */
  async beginRun(): Promise<number> {
    this.state.runs += 1;
    await this.save();
    return this.state.runs;
  }

  async save(): Promise<void> {
    await writeFile(join(this.stateDir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`);
    await writeFile(
      join(this.stateDir, 'github.json'),
      `${JSON.stringify(this.github.snapshot(), null, 2)}\n`,
    );
  }

  /** Stops every service (their data stays), and the dockerd if the demo started it. */
  async close(): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (error) {
        failures.push(error);
      }
    };
    // Each one stops even when another could not.
    await attempt(() => this.save());
    await attempt(() => this.google.stop());
    await attempt(() => this.github.stop());
    await attempt(() => this.git.stop());
    await attempt(() => this.registry.stop());
    if (this.engine.started !== undefined) await attempt(() => stopStartedEngine());
    if (failures.length > 0) throw failures[0];
  }

  static exists(stateDir: string): boolean {
    return existsSync(join(stateDir, 'state.json'));
  }
}
