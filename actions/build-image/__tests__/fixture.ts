// Shared set-up for the build-image end-to-end tests: a registry that takes access tokens, image repos as git
// checkouts, runs of the bundled action with the repo2docker under test (the real one when it is on PATH at the
// pinned version with buildx, else the double), and pushes done the way push-to-gar will do them (docker tag + push),
// so the next run can find what the last one built.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
import { PYTHON_IMAGE } from '@hub-image-actions/local-world/base-images';
import {
  doubleEnv,
  JUPYTER_STUB,
  repo2dockerUnderTest,
} from '@hub-image-actions/local-world/repo2docker-double';

export const TOKEN_USER = 'oauth2accesstoken';

/** An environment.yml as image repos have it: part of the inputs whatever builds them. */
export const ENVIRONMENT_YML = 'name: base\ndependencies: [python=3.11]\n';

/**
 * An image repository whose Dockerfile lays the image out as repo2docker's are (user jovyan, uid 1000, the
 * repository in /srv/repo, a `jupyter` that answers /api/status), so any repo2docker builds it offline, the real one
 * included; `files` are added to it or replace its own.
 */
export function imageRepo(files: Record<string, string> = {}): Record<string, string> {
  return {
    Dockerfile: [
      `FROM ${PYTHON_IMAGE}`,
      'RUN useradd --create-home --uid 1000 jovyan',
      'COPY jupyter /usr/local/bin/jupyter',
      'COPY --chown=1000:1000 . /srv/repo',
      'USER 1000',
      'WORKDIR /srv/repo',
      'CMD ["jupyter", "notebook", "--ip", "0.0.0.0"]',
      '',
    ].join('\n'),
    'jupyter*': readFileSync(JUPYTER_STUB, 'utf8'),
    'environment.yml': ENVIRONMENT_YML,
    ...files,
  };
}

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
    /** The double even where the real repo2docker is available (for what only the double can show). */
    double?: boolean;
    runnerTemp?: string;
    signal?: AbortSignal;
    watchChildren?: boolean;
    onSpawn?: (pid: number) => void;
  }): Promise<{ run: ActionRun; builds: string[][]; invocations: string[][] }> {
    const tool = options.double ? { env: doubleEnv() } : repo2dockerUnderTest();
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
        ...tool.env,
        GITHUB_SHA: options.sha,
        GITHUB_SERVER_URL: 'https://github.com',
        ...options.env,
      },
      ...(options.event ? { event: options.event } : {}),
      recordArgvOf: ['repo2docker', ...(options.recordArgvOf ?? [])],
      ...(options.runnerTemp ? { runnerTemp: options.runnerTemp } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.watchChildren ? { watchChildren: true } : {}),
      ...(options.onSpawn ? { onSpawn: options.onSpawn } : {}),
      timeoutMs: options.timeoutMs ?? 240_000,
    });
    this.runs.push(run);
    for (const tag of (run.outputs['tags'] ?? '').split('\n').filter(Boolean)) {
      this.images.add(`${options.image}:${tag}`);
    }
    if (run.outputs['image-ref']) this.images.add(run.outputs['image-ref']);
    const invocations = run.argv.filter((argv) => argv[0] === 'repo2docker').map((argv) => argv.slice(1));
    return { run, invocations, builds: invocations.filter((argv) => !argv.includes('--version')) };
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
