import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { ProcessError, type ProcessRunner, type RunResult } from '@hub-image-actions/process';
import { classifyGitFailure, parsePushOutcome, type PushOutcome } from './git-failures.js';

export interface CloneOptions {
  runner: ProcessRunner;
  /** Working directory of the clone, inside RUNNER_TEMP. */
  dir: string;
  /** e.g. https://github.com */
  serverUrl: string;
  /** OWNER/NAME */
  repo: string;
  token: string;
  author: { name: string; email: string };
  /** The Basic credential git sends, so the caller can mask it. */
  onCredential?: (credential: string) => void;
}

const TIMEOUT_MS = 300_000;
const DROPPED_ENV =
  /^(GIT_TRACE|GIT_CURL_VERBOSE$|GIT_ASKPASS$|SSH_ASKPASS$|GIT_DIR$|GIT_WORK_TREE$|GIT_INDEX_FILE$|GIT_CONFIG)/;

/** Escapes a path for a sparse-checkout (gitignore syntax) line that matches exactly that file. */
export function sparsePattern(path: string): string {
  return `/${path.replace(/[\\*?[\]!#]/g, '\\$&').replace(/^ /, '\\ ')}`;
}

/**
 * The deployment repo, cloned by real git over HTTPS: shallow, without blobs until needed, and sparse (only the
 * files a bump considers are checked out). The token reaches git only through the environment, as an
 * http.extraHeader scoped to the server: never argv, never .git/config, never a remote URL.
 */
export class DeploymentClone {
  readonly url: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly options: CloneOptions;

  constructor(options: CloneOptions) {
    this.options = options;
    this.url = `${options.serverUrl}/${options.repo}.git`;
    const credential = Buffer.from(`x-access-token:${options.token}`).toString('base64');
    options.onCredential?.(credential);
    const config: Array<[string, string]> = [
      [`http.${options.serverUrl}/.extraHeader`, `Authorization: Basic ${credential}`],
      ['credential.helper', ''],
      ['core.askPass', ''],
      ['commit.gpgSign', 'false'],
      ['core.autocrlf', 'false'],
      ['core.safecrlf', 'false'],
      ['advice.detachedHead', 'false'],
      ['protocol.version', '2'],
      ['fetch.recurseSubmodules', 'false'],
      ['user.name', options.author.name],
      ['user.email', options.author.email],
    ];
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !DROPPED_ENV.test(key)) env[key] = value;
    }
    Object.assign(env, {
      GIT_TERMINAL_PROMPT: '0',
      GCM_INTERACTIVE: 'never',
      LC_ALL: 'C',
      GIT_AUTHOR_NAME: options.author.name,
      GIT_AUTHOR_EMAIL: options.author.email,
      GIT_COMMITTER_NAME: options.author.name,
      GIT_COMMITTER_EMAIL: options.author.email,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_COUNT: String(config.length),
    });
    config.forEach(([key, value], index) => {
      env[`GIT_CONFIG_KEY_${index}`] = key;
      env[`GIT_CONFIG_VALUE_${index}`] = value;
    });
    this.env = env;
  }

  get dir(): string {
    return this.options.dir;
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.git(['init', '--quiet', this.dir], { cwd: dirname(this.dir) });
    await this.git(['remote', 'add', 'origin', this.url]);
    await this.git(['config', 'core.sparseCheckout', 'true']);
  }

  /** Branch heads on the server (`git ls-remote`): branch name → sha, absent when the branch does not exist. */
  async remoteHeads(branches: readonly string[]): Promise<Map<string, string>> {
    const result = await this.git([
      'ls-remote',
      '--heads',
      'origin',
      ...branches.map((b) => `refs/heads/${b}`),
    ]);
    const heads = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const [sha, ref] = line.split('\t');
      if (sha !== undefined && ref?.startsWith('refs/heads/'))
        heads.set(ref.slice('refs/heads/'.length), sha);
    }
    return heads;
  }

  /**
   * Fetches the tips of these branches, one commit deep and without file contents, into refs/remotes/origin.
   * Returns 'missing' when one of them no longer exists on the server (deleted since it was listed).
   */
  async fetch(branches: readonly string[]): Promise<'fetched' | 'missing'> {
    if (branches.length === 0) return 'fetched';
    const args = [
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth=1',
      '--filter=blob:none',
      'origin',
      ...branches.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`),
    ];
    const result = await this.git(args, { allowFailure: true });
    if (result.exitCode === 0 && !result.timedOut) return 'fetched';
    if (!result.timedOut && classifyGitFailure(result.stderr) === 'missing-ref') return 'missing';
    this.explain(args, result);
    throw new ProcessError('git', args, result);
  }

  /**
   * Fetches a branch with the commits of the last days (`--shallow-since`), and one more beyond them, so the
   * branch as it was at `since` is there too. `quiet` when no commit is that recent (git refuses the request): the
   * tip alone is fetched then, and it is older than `since`.
   */
  async fetchSince(branch: string, since: Date): Promise<'fetched' | 'quiet' | 'missing'> {
    const refspec = `+refs/heads/${branch}:refs/remotes/origin/${branch}`;
    const base = ['fetch', '--quiet', '--no-tags', '--filter=blob:none'];
    const args = [...base, `--shallow-since=${since.toISOString()}`, 'origin', refspec];
    const result = await this.git(args, { allowFailure: true });
    if (result.exitCode !== 0 || result.timedOut) {
      if (!result.timedOut && /no commits selected for shallow requests/.test(result.stderr)) {
        return (await this.fetch([branch])) === 'fetched' ? 'quiet' : 'missing';
      }
      if (!result.timedOut && classifyGitFailure(result.stderr) === 'missing-ref') return 'missing';
      this.explain(args, result);
      throw new ProcessError('git', args, result);
    }
    await this.git([...base, '--deepen=1', 'origin', refspec]);
    return 'fetched';
  }

  /** The commit `rev` pointed at on `date` (first parents, by commit date), if the fetched history reaches back. */
  async commitAt(rev: string, date: Date): Promise<{ sha: string; date: string } | undefined> {
    const result = await this.git([
      'log',
      '-1',
      '--first-parent',
      '--format=%H %cI',
      `--before=${date.toISOString()}`,
      rev,
      '--',
    ]);
    const [sha, when] = result.stdout.trim().split(' ');
    return sha === undefined || sha === '' ? undefined : { sha, date: when ?? '' };
  }

  /** The newest commit on `rev` that changed how often `text` occurs in `path` (git log -S), within the fetched history. */
  async lastChange(
    rev: string,
    path: string,
    text: string,
  ): Promise<{ sha: string; date: string } | undefined> {
    const result = await this.git(['log', '-1', '--format=%H %cI', `-S${text}`, rev, '--', path]);
    const [sha, when] = result.stdout.trim().split(' ');
    return sha === undefined || sha === '' ? undefined : { sha, date: when ?? '' };
  }

  /** Commit date of a revision (ISO 8601). */
  async commitDate(rev: string): Promise<string> {
    return (await this.git(['log', '-1', '--format=%cI', rev, '--'])).stdout.trim();
  }

  async resolve(rev: string): Promise<string> {
    return (
      await this.git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`])
    ).stdout.trim();
  }

  /**
   * Every regular file in a commit's tree (no contents are fetched for this). Symlinks and submodules are left
   * out: writing through a symlink could change a file outside the clone.
   */
  async listFiles(rev: string): Promise<string[]> {
    const result = await this.git(['ls-tree', '-r', '-z', '--full-tree', rev]);
    return result.stdout
      .split('\0')
      .filter((entry) => /^100(644|755) blob /.test(entry))
      .map((entry) => entry.slice(entry.indexOf('\t') + 1));
  }

  /** The tree entry at `path` in `rev`: its mode (`100644`, `120000` for a symlink, `040000` for a folder…), if any. */
  async entryMode(rev: string, path: string): Promise<string | undefined> {
    const result = await this.git(['ls-tree', '--full-tree', rev, '--', path]);
    const line = result.stdout.split('\n').find((entry) => entry.endsWith(`\t${path}`));
    return line?.split(' ')[0];
  }

  /** Checks out exactly `paths` of `rev` (detached, discarding any edit); their contents are fetched in one batch. */
  async checkout(rev: string, paths: readonly string[]): Promise<void> {
    const patterns = paths.length === 0 ? ['/.hub-image-bump-nothing'] : paths.map(sparsePattern);
    await mkdir(join(this.dir, '.git', 'info'), { recursive: true });
    await writeFile(join(this.dir, '.git', 'info', 'sparse-checkout'), `${patterns.join('\n')}\n`);
    await this.git(['checkout', '--quiet', '--force', '--detach', rev]);
  }

  async readFile(path: string): Promise<Buffer> {
    return readFile(join(this.dir, path));
  }

  async writeFile(path: string, content: Buffer): Promise<void> {
    await writeFile(join(this.dir, path), content);
  }

  /** Commits the given files on top of the checked-out commit; returns the new commit's sha. */
  async commit(paths: readonly string[], message: string): Promise<string> {
    await this.git(['add', '--sparse', '--', ...paths]);
    await this.git(['commit', '--quiet', '--no-verify', '--file=-'], { stdin: message });
    return this.resolve('HEAD');
  }

  /** True when both commits hold the same content at every one of `paths` (compares object ids, no contents fetched). */
  async sameFiles(a: string, b: string, paths: readonly string[]): Promise<boolean> {
    if (paths.length === 0) return true;
    const list = async (rev: string) =>
      (await this.git(['ls-tree', '-r', '--full-tree', rev, '--', ...paths])).stdout;
    return (await list(a)) === (await list(b));
  }

  /**
   * Pushes `sha` to `branch`, replacing it only if it still points at `expected` (absent: only if it does not
   * exist), so a concurrent push is never overwritten.
   */
  async push(sha: string, branch: string, expected: string | undefined): Promise<PushOutcome> {
    const ref = `refs/heads/${branch}`;
    const result = await this.git(
      [
        'push',
        '--porcelain',
        '--no-verify',
        `--force-with-lease=${ref}:${expected ?? ''}`,
        'origin',
        `${sha}:${ref}`,
      ],
      { allowFailure: true },
    );
    const outcome = parsePushOutcome(result.stdout, result.stderr, result.exitCode);
    if (outcome.status === 'refused') this.explain(['push'], result);
    return outcome;
  }

  private async git(
    args: string[],
    options: { cwd?: string; stdin?: string; allowFailure?: boolean } = {},
  ): Promise<RunResult> {
    const result = await this.options.runner.run('git', args, {
      cwd: options.cwd ?? this.dir,
      env: this.env,
      timeoutMs: TIMEOUT_MS,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    });
    if (options.allowFailure || (result.exitCode === 0 && !result.timedOut)) return result;
    this.explain(args, result);
    throw new ProcessError('git', args, result);
  }

  /** Turns the failures a user can fix into ConfigurationErrors that say what to do. */
  private explain(args: readonly string[], result: RunResult): void {
    const repo = this.options.repo;
    switch (classifyGitFailure(result.stderr)) {
      case 'not-found':
        throw new ConfigurationError(
          `the deployment repository ${repo} was not found at ${this.url}, or the token cannot see it`,
          'Check "deployment-repo", and that the token (or the GitHub App installation) covers that repository',
        );
      case 'unauthorized':
        throw new ConfigurationError(
          `the git server refused the token for ${repo} (401)`,
          'The token is invalid or expired: check the "token" secret, or the GitHub App credentials',
        );
      case 'forbidden':
        throw new ConfigurationError(
          `the token may read ${repo} but not push to it (403)`,
          'Give the token contents: write on the deployment repository (or the GitHub App "Contents: Read and write")',
        );
      case 'unreachable':
        throw new ConfigurationError(
          `cannot reach the git server at ${this.options.serverUrl} to ${args[0] ?? 'use'} ${repo} (input "deployment-repo"): ${lastLine(result)}`,
          `Check that this runner can reach ${this.options.serverUrl} (GITHUB_SERVER_URL: on GitHub Enterprise Server, its address, firewall and proxy settings), then re-run: it picks up where this run stopped`,
        );
      case 'missing-ref':
        throw new ConfigurationError(
          `a branch of ${repo} was deleted while this run was using it: ${lastLine(result)}`,
          'Re-run the job: it starts again from the current branches',
        );
      default:
        if (args[0] === 'push') {
          const detail = parsePushOutcome(result.stdout, result.stderr, result.exitCode);
          throw new ConfigurationError(
            `the git server refused the push to ${repo}: ${detail.status === 'pushed' ? lastLine(result) : detail.detail}`,
            'A branch protection rule or a server hook blocks the bump branch; allow the bot to push it',
          );
        }
    }
  }
}

function lastLine(result: RunResult): string {
  return result.stderr.trim().split('\n').pop() ?? `exit code ${result.exitCode}`;
}
