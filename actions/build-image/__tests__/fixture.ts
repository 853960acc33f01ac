// Shared set-up for the build-image end-to-end tests: a registry that takes access tokens, image repos as git
// checkouts, runs of the bundled action with the repo2docker double first on PATH, and pushes done the way
// push-to-gar will do them (docker tag + push), so the next run can find what the last one built.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  cleanupRun,
  runAction,
  type ActionRun,
  type RunActionOptions,
} from '@hub-image-actions/local-world/action-runner';
import { docker, removeImages, runCommand } from '@hub-image-actions/local-world/docker-engine';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import {
  pathWithDouble,
  readInvocations,
  type Repo2DockerInvocation,
} from '@hub-image-actions/local-world/repo2docker-double';

export const TOKEN_USER = 'oauth2accesstoken';

export class Fixture {
  readonly suffix = randomBytes(4).toString('hex');
  readonly token = `ya29.build-image-${randomBytes(16).toString('hex')}`;
  private readonly dirs: string[] = [];
  private readonly images = new Set<string>();
  private readonly runs: ActionRun[] = [];

  private constructor(readonly registry: TestRegistry) {}

  /** With `tokenUser: false`, the registry's oauth2accesstoken password is left to a FakeGoogle to set. */
  static async start(options: { tokenUser?: boolean } = {}): Promise<Fixture> {
    const registry = await TestRegistry.start();
    const fixture = new Fixture(registry);
    if (options.tokenUser !== false) await registry.setUser(TOKEN_USER, fixture.token);
    return fixture;
  }

  /** A fresh image name in the registry, e.g. 127.0.0.1:PORT/hub/base-abc123. */
  image(purpose: string): string {
    return `${this.registry.host}/hub/${purpose}-${this.suffix}`;
  }

  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `hia-build-${prefix}-`));
    this.dirs.push(dir);
    return dir;
  }

  /** A git repository with `files` committed (a trailing "*" on a path makes the file executable). */
  async repo(files: Record<string, string>): Promise<{ dir: string; sha: string }> {
    const dir = await this.tempDir('repo');
    await git(dir, ['init', '-q', '-b', 'main']);
    const sha = await this.commit(dir, files);
    return { dir, sha };
  }

  /** Writes (or, with null, deletes) files and commits them; returns the new commit. */
  async commit(dir: string, files: Record<string, string | null>): Promise<string> {
    for (const [raw, content] of Object.entries(files)) {
      const executable = raw.endsWith('*');
      const path = join(dir, executable ? raw.slice(0, -1) : raw);
      if (content === null) {
        await rm(path, { force: true, recursive: true });
        continue;
      }
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
      if (executable) await chmod(path, 0o755);
    }
    await git(dir, ['add', '-A', '-f']);
    await git(dir, [
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.invalid',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'c',
    ]);
    return (await git(dir, ['rev-parse', 'HEAD'])).trim();
  }

  /** Runs the bundled action on `workspace` as GitHub would for a push of `sha`. */
  async run(options: {
    workspace: string;
    sha: string;
    image: string;
    inputs?: Record<string, string>;
    env?: Record<string, string | undefined>;
    event?: RunActionOptions['event'];
    anonymous?: boolean;
    timeoutMs?: number;
    recordArgvOf?: string[];
    watchChildren?: boolean;
  }): Promise<{ run: ActionRun; builds: Repo2DockerInvocation[]; invocations: Repo2DockerInvocation[] }> {
    const logDir = await this.tempDir('r2d-log');
    const logFile = join(logDir, 'invocations.jsonl');
    const run = await runAction({
      action: 'build-image',
      workspace: options.workspace,
      inputs: {
        image: options.image,
        'browser-test-port': '0',
        ...(options.anonymous ? {} : { 'access-token': this.token }),
        ...options.inputs,
      },
      env: {
        PATH: pathWithDouble(),
        REPO2DOCKER_DOUBLE_LOG: logFile,
        GITHUB_SHA: options.sha,
        GITHUB_SERVER_URL: 'https://github.com',
        ...options.env,
      },
      ...(options.event ? { event: options.event } : {}),
      ...(options.recordArgvOf ? { recordArgvOf: options.recordArgvOf } : {}),
      ...(options.watchChildren ? { watchChildren: true } : {}),
      timeoutMs: options.timeoutMs ?? 240_000,
    });
    this.runs.push(run);
    const invocations = await readInvocations(logFile);
    for (const tag of (run.outputs['tags'] ?? '').split('\n').filter(Boolean)) {
      this.images.add(`${options.image}:${tag}`);
    }
    if (run.outputs['image-ref']) this.images.add(run.outputs['image-ref']);
    return { run, invocations, builds: invocations.filter((i) => !i.argv.includes('--version')) };
  }

  /** What push-to-gar does with a built image: tag it under each name and push. */
  async push(localRef: string, image: string, tags: readonly string[]): Promise<string> {
    const config = await this.tempDir('docker-config');
    const env = { DOCKER_CONFIG: config };
    await docker(
      ['login', '--username', this.registry.admin.username, '--password-stdin', this.registry.host],
      {
        stdin: this.registry.admin.password,
        env,
      },
    );
    this.images.add(localRef);
    for (const tag of tags) {
      const target = `${image}:${tag}`;
      this.images.add(target);
      if (target !== localRef) await docker(['tag', localRef, target]);
      await docker(['push', '--quiet', target], { env });
    }
    await rm(config, { recursive: true, force: true });
    const repository = image.slice(image.indexOf('/') + 1);
    const digest = await this.registry.manifestDigest(repository, tags[0] ?? '');
    if (digest === undefined) throw new Error(`push of ${image}:${tags[0]} left no manifest`);
    return digest;
  }

  /** Removes local copies, so the next build must pull what it wants from the registry. */
  async forgetLocally(refs: readonly string[]): Promise<void> {
    await removeImages(refs);
  }

  async stop(): Promise<void> {
    for (const run of this.runs) await cleanupRun(run);
    await removeImages([...this.images]);
    for (const dir of this.dirs) await rm(dir, { recursive: true, force: true });
    await this.registry.stop();
  }
}

export async function git(dir: string, args: string[]): Promise<string> {
  return (await runCommand('git', ['-C', dir, ...args])).stdout;
}

/** The repository path of a full image name (what the registry API calls it). */
export function repositoryOf(image: string): string {
  return image.slice(image.indexOf('/') + 1);
}
