// Shared set-up of the bump-hubploy end-to-end suites: a git server and fake GitHub API on loopback, an image
// repo with real commits, deployment repos made from the fixture, and a runner for the bundled action.
import { afterAll, beforeAll } from '@jest/globals';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  runAction,
  type ActionRun,
  type RunActionOptions,
} from '@hub-image-actions/local-world/action-runner';
import { FakeGitHub } from '@hub-image-actions/local-world/fake-github';
import { GitServer, type CommitAuthor } from '@hub-image-actions/local-world/git-server';

export { FIXTURES, fixtureFiles, listFiles } from '@hub-image-actions/local-world/deployment-fixture';

export const REGISTRY = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images';
export const IMAGE = `${REGISTRY}/base-user-image`;
export const BOT: CommitAuthor = { name: 'hub-image-bot', email: 'hub-image-bot@users.noreply.github.com' };
export const HUMAN: CommitAuthor = { name: 'Ada Admin', email: 'ada@example.edu' };

export const DEPLOY_TOKEN = 'ghp_DeployToken0123456789abcdefABCDEF01';
export const SOURCE_TOKEN = 'ghs_SourceToken0123456789abcdefABCDEF02';

function gitIn(cwd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { PATH: process.env['PATH'], GIT_CONFIG_NOSYSTEM: '1', HOME: cwd },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args.join(' ')}: ${err}`)),
    );
    // git may exit without reading stdin (EPIPE); its exit code tells what happened.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

export class World {
  private constructor(
    readonly git: GitServer,
    readonly github: FakeGitHub,
  ) {}

  static async start(): Promise<World> {
    const git = await GitServer.start();
    const github = await FakeGitHub.start({ git });
    const world = new World(git, github);
    world.token(DEPLOY_TOKEN, { push: true, login: 'bump-bot' });
    world.token(SOURCE_TOKEN, { push: false, login: 'github-actions[bot]' });
    return world;
  }

  /** A token on both the API and the git server. */
  token(token: string, grant: { push: boolean; login: string; repos?: string[] }): void {
    this.github.addToken(token, {
      login: grant.login,
      ...(grant.repos === undefined ? {} : { repos: grant.repos }),
      permissions: grant.push
        ? { contents: 'write', pull_requests: 'write', issues: 'write' }
        : { contents: 'read', pull_requests: 'read', issues: 'read' },
    });
    this.git.addToken(token, {
      push: grant.push,
      user: grant.login,
      ...(grant.repos === undefined ? {} : { repos: grant.repos }),
    });
  }

  async stop(): Promise<void> {
    await this.github.stop();
    await this.git.stop();
  }

  /** A deployment repo whose `staging` branch holds `files`. */
  async deployment(name: string, files: Record<string, string | Buffer>): Promise<string> {
    const repo = `hub-test/${name}`;
    await this.git.createRepo(repo, { branch: 'staging', files, message: 'Deployment config' });
    return repo;
  }

  /** An image repo with `count` commits on main, oldest first; tags are their first 12 hex characters. */
  async imageRepo(name: string, count: number): Promise<{ repo: string; shas: string[] }> {
    const repo = `hub-test/${name}`;
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
    return { repo, shas };
  }

  /**
   * Adds a commit to the image repo whose first 12 hex characters are all digits (about 1 commit in 280), by
   * trying commit messages until the hash fits: the tag a bump must quote.
   */
  async numericCommit(repo: string): Promise<string> {
    const dir = this.git.repoDir(repo);
    const parent = (await this.git.resolve(repo, 'refs/heads/main')) ?? '';
    const tree = await gitIn(dir, ['rev-parse', `${parent}^{tree}`]);
    for (let n = 0; n < 100_000; n += 1) {
      const body = `tree ${tree}\nparent ${parent}\nauthor Dev <dev@example.edu> 1700000000 +0000\ncommitter Dev <dev@example.edu> 1700000000 +0000\n\nNumeric tag ${n}\n`;
      const sha = createHash('sha1')
        .update(`commit ${Buffer.byteLength(body)}\0${body}`)
        .digest('hex');
      if (!/^[0-9]{12}/.test(sha)) continue;
      const written = await gitIn(dir, ['hash-object', '-t', 'commit', '-w', '--stdin'], body);
      if (written !== sha) throw new Error(`hash mismatch ${written} ${sha}`);
      await gitIn(dir, ['update-ref', 'refs/heads/main', sha, parent]);
      return sha;
    }
    throw new Error('no numeric commit found');
  }

  run(options: {
    deployment: string;
    source: string;
    sha: string;
    tag?: string;
    inputs?: Record<string, string>;
    env?: Record<string, string | undefined>;
    recordArgvOf?: string[];
    runnerTemp?: string;
    signal?: AbortSignal;
    watchChildren?: boolean;
  }): Promise<ActionRun> {
    const run: RunActionOptions = {
      action: 'bump-hubploy',
      inputs: {
        image: IMAGE,
        tag: options.tag ?? options.sha.slice(0, 12),
        'deployment-repo': options.deployment,
        token: DEPLOY_TOKEN,
        ...options.inputs,
      },
      env: {
        GITHUB_API_URL: this.github.url,
        GITHUB_SERVER_URL: this.github.serverUrl,
        GITHUB_REPOSITORY: options.source,
        GITHUB_SHA: options.sha,
        ...options.env,
      },
      githubToken: SOURCE_TOKEN,
      ...(options.recordArgvOf === undefined ? {} : { recordArgvOf: options.recordArgvOf }),
      ...(options.runnerTemp === undefined ? {} : { runnerTemp: options.runnerTemp }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.watchChildren ? { watchChildren: true } : {}),
    };
    return runAction(run);
  }

  /** Merges a branch into staging the way GitHub's merge button does (a merge commit), in the bare repo. */
  async merge(repo: string, branch: string): Promise<void> {
    const dir = this.git.repoDir(repo);
    const work = `${dir}-merge-${Date.now()}`;
    await gitIn(dirname(dir), ['clone', '--quiet', '--branch', 'staging', dir, work]);
    const env = ['-c', `user.name=${HUMAN.name}`, '-c', `user.email=${HUMAN.email}`];
    await gitIn(work, [...env, 'merge', '--no-ff', '--quiet', '-m', `Merge ${branch}`, `origin/${branch}`]);
    await gitIn(work, ['push', '--quiet', 'origin', 'HEAD:staging']);
    await rm(work, { recursive: true, force: true });
  }

  /** Amends the tip of `branch` as `committer` would (author and message kept) and force-pushes it. */
  async amend(repo: string, branch: string, committer: CommitAuthor): Promise<string> {
    const dir = this.git.repoDir(repo);
    const work = `${dir}-amend-${Date.now()}`;
    await gitIn(dirname(dir), ['clone', '--quiet', '--branch', branch, dir, work]);
    const who = ['-c', `user.name=${committer.name}`, '-c', `user.email=${committer.email}`];
    await gitIn(work, [...who, 'commit', '--quiet', '--amend', '--no-edit', '--allow-empty']);
    await gitIn(work, ['push', '--quiet', '--force', 'origin', `HEAD:${branch}`]);
    const sha = await gitIn(work, ['rev-parse', 'HEAD']);
    await rm(work, { recursive: true, force: true });
    return sha;
  }

  /** Commits a symlink at `path` to staging (as a human would, from a clone). */
  async symlink(repo: string, path: string, target: string): Promise<void> {
    const dir = this.git.repoDir(repo);
    const work = `${dir}-link-${Date.now()}`;
    await gitIn(dirname(dir), ['clone', '--quiet', '--branch', 'staging', dir, work]);
    await mkdir(dirname(join(work, path)), { recursive: true });
    await rm(join(work, path), { force: true });
    await symlink(target, join(work, path));
    await gitIn(work, ['add', path]);
    await gitIn(work, [
      '-c',
      `user.name=${HUMAN.name}`,
      '-c',
      `user.email=${HUMAN.email}`,
      'commit',
      '--quiet',
      '-m',
      'Link',
    ]);
    await gitIn(work, ['push', '--quiet', 'origin', 'HEAD:staging']);
    await rm(work, { recursive: true, force: true });
  }

  async file(repo: string, ref: string, path: string): Promise<string | undefined> {
    return (await this.git.readFile(repo, ref, path))?.toString('utf8');
  }

  async bumpBranch(repo: string): Promise<string | undefined> {
    return (await this.git.branches(repo)).find((branch) => branch.startsWith('hub-image-bump/'));
  }

  /** Closes a pull request through the API, as a person would. */
  async closePull(repo: string, number: number): Promise<void> {
    const response = await fetch(`${this.github.url}/repos/${repo}/pulls/${number}`, {
      method: 'PATCH',
      headers: { authorization: `token ${DEPLOY_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'closed' }),
    });
    if (response.status !== 200) throw new Error(`closing ${repo}#${number}: ${response.status}`);
  }

  pullsOf(repo: string) {
    return this.github.pulls.filter((pull) => pull.repo === repo);
  }
}

/** `deployments/<hub>/config/common.yaml` for each hub, using `image` at the given tag. */
export function hubFiles(tags: Record<string, string>, image = IMAGE): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [hub, tag] of Object.entries(tags)) {
    files[`deployments/${hub}/config/common.yaml`] =
      `# ${hub} hub\njupyterhub:\n  singleuser:\n    image:\n      name: ${image}\n      tag: ${tag}  # bumped by CI\n`;
  }
  return files;
}

export const short = (sha: string | undefined): string => (sha ?? '').slice(0, 12);

/** The world of one test file: started before its tests with an image repo of `commits` commits, stopped after. */
export function suiteWorld(commits: number): { world: World; image: { repo: string; shas: string[] } } {
  const suite = {} as { world: World; image: { repo: string; shas: string[] } };
  beforeAll(async () => {
    suite.world = await World.start();
    suite.image = await suite.world.imageRepo('base-user-image', commits);
  });
  afterAll(async () => {
    await suite.world.stop();
  });
  return suite;
}
