// Shared set-up of the fleet-report end-to-end suites: a git server, the fake GitHub API and a registry on loopback,
// image repos with real commits, deployment repos with several branches (commits dated as asked), and a runner for
// the bundled action.
import { afterAll, beforeAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { FakeGitHub } from '@hub-image-actions/local-world/fake-github';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { seedTags } from '@hub-image-actions/local-world/registry-seed';

export const DEPLOY_TOKEN = 'ghp_FleetDeploy0123456789abcdefABCDEF01';
export const SOURCE_TOKEN = 'ghs_FleetSource0123456789abcdefABCDEF02';
export const REGISTRY_TOKEN = 'ya29.FleetRegistryAccessToken0123456789';
export const OWNER = 'hub-test';

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { PATH: process.env['PATH'], GIT_CONFIG_NOSYSTEM: '1', HOME: cwd, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args.join(' ')}: ${err}`)),
    );
  });
}

/** `deployments/<hub>/config/common.yaml` running `image` at `tag`. */
export function hubFile(hub: string, image: string, tag: string): Record<string, string> {
  return {
    [`deployments/${hub}/config/common.yaml`]: `# ${hub} hub\njupyterhub:\n  singleuser:\n    image:\n      name: ${image}\n      tag: ${tag}\n`,
  };
}

export class World {
  private constructor(
    readonly git: GitServer,
    readonly github: FakeGitHub,
    readonly registry: TestRegistry,
  ) {}

  static async start(): Promise<World> {
    const git = await GitServer.start();
    const github = await FakeGitHub.start({ git });
    const registry = await TestRegistry.start({ users: { oauth2accesstoken: REGISTRY_TOKEN } });
    const world = new World(git, github, registry);
    github.addToken(DEPLOY_TOKEN, {
      login: 'fleet-bot',
      permissions: { contents: 'read', pull_requests: 'read', issues: 'write' },
    });
    git.addToken(DEPLOY_TOKEN, { push: false, user: 'fleet-bot' });
    github.addToken(SOURCE_TOKEN, { login: 'github-actions[bot]', permissions: { contents: 'read' } });
    return world;
  }

  async stop(): Promise<void> {
    await this.github.stop();
    await this.git.stop();
    await this.registry.stop();
  }

  /** The image repo's path in the registry, e.g. `proj/user-images/NAME`, and its full name. */
  image(name: string): string {
    return `${this.registry.host}/proj/user-images/${name}`;
  }

  /** An image repo with `count` commits on main, oldest first. */
  async imageRepo(name: string, count: number): Promise<string[]> {
    const repo = `${OWNER}/${name}`;
    await this.git.createRepo(repo, { files: { 'environment.yml': 'dependencies: []\n' } });
    const shas: string[] = [];
    for (let i = 1; i <= count; i += 1) {
      shas.push(
        await this.git.commit(
          repo,
          'main',
          { 'environment.yml': `dependencies: [pkg${i}]\n` },
          `Change ${i}`,
        ),
      );
    }
    return shas;
  }

  /** Pushes small images under these tags; returns each tag's digest. */
  push(name: string, tags: readonly string[]): Promise<Map<string, string>> {
    return seedTags(this.registry, `proj/user-images/${name}`, tags);
  }

  /**
   * A deployment repo whose branches hold these files, each branch one commit (dated `date`, default now) on top of
   * the first branch's, so that history is shared as in a real repo.
   */
  async deployment(
    name: string,
    branches: Record<string, Record<string, string | null>>,
    date?: Date,
  ): Promise<string> {
    const repo = `${OWNER}/${name}`;
    const [first, ...others] = Object.keys(branches);
    await this.git.createRepo(repo, { branch: first ?? 'staging' });
    for (const branch of [first, ...others]) {
      if (branch === undefined) continue;
      await this.commitAt(repo, branch, branches[branch] ?? {}, `Deployment config (${branch})`, date, first);
    }
    return repo;
  }

  /** Commits `files` (null deletes) on `branch` (created from `from` if it does not exist) with a given date. */
  async commitAt(
    repo: string,
    branch: string,
    files: Record<string, string | null>,
    message: string,
    date = new Date(),
    from?: string,
  ): Promise<string> {
    const bare = this.git.repoDir(repo);
    const work = await mkdtemp(join(tmpdir(), 'fleet-commit-'));
    try {
      await git(work, ['init', '--quiet', '--initial-branch', branch]);
      await git(work, ['remote', 'add', 'origin', bare]);
      const heads = await git(work, ['ls-remote', '--heads', 'origin']);
      const start = heads.includes(`refs/heads/${branch}`)
        ? branch
        : from !== undefined && heads.includes(`refs/heads/${from}`)
          ? from
          : undefined;
      if (start !== undefined) {
        await git(work, ['fetch', '--quiet', 'origin', start]);
        await git(work, ['reset', '--quiet', '--hard', 'FETCH_HEAD']);
      }
      for (const [path, text] of Object.entries(files)) {
        if (text === null) {
          await rm(join(work, path), { force: true });
          continue;
        }
        await mkdir(dirname(join(work, path)), { recursive: true });
        await writeFile(join(work, path), text);
      }
      await git(work, ['add', '--all']);
      const when = date.toISOString();
      const who = {
        GIT_AUTHOR_NAME: 'Ada Admin',
        GIT_AUTHOR_EMAIL: 'ada@example.edu',
        GIT_COMMITTER_NAME: 'Ada Admin',
        GIT_COMMITTER_EMAIL: 'ada@example.edu',
      };
      await git(work, ['commit', '--quiet', '--allow-empty', '-m', message], {
        ...who,
        GIT_AUTHOR_DATE: when,
        GIT_COMMITTER_DATE: when,
      });
      await git(work, ['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return await git(work, ['rev-parse', 'HEAD']);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  run(options: {
    deployment: string;
    inputs?: Record<string, string>;
    env?: Record<string, string | undefined>;
    /** For the child-environment checks: the programs whose argv and environment are recorded. */
    recordArgvOf?: string[];
    watchChildren?: boolean;
  }): Promise<ActionRun> {
    return runAction({
      action: 'fleet-report',
      ...(options.recordArgvOf === undefined ? {} : { recordArgvOf: options.recordArgvOf }),
      ...(options.watchChildren === undefined ? {} : { watchChildren: options.watchChildren }),
      inputs: {
        'deployment-repo': options.deployment,
        token: DEPLOY_TOKEN,
        registry: this.registry.host,
        'access-token': REGISTRY_TOKEN,
        ...options.inputs,
      },
      env: {
        GITHUB_API_URL: this.github.url,
        GITHUB_SERVER_URL: this.github.serverUrl,
        GITHUB_REPOSITORY: options.deployment,
        GITHUB_RUN_ID: '4242',
        ...options.env,
      },
      githubToken: SOURCE_TOKEN,
    });
  }

  issuesOf(repo: string) {
    return this.github.issues.filter((issue) => issue.repo === repo);
  }
}

/** The world of one test file: started before its tests, stopped after. */
export function suiteWorld(): { world: World } {
  const suite = {} as { world: World };
  beforeAll(async () => {
    suite.world = await World.start();
  });
  afterAll(async () => {
    await suite.world?.stop();
  });
  return suite;
}
