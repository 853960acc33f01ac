import { type ProcessRunner, type RunResult, stdoutBytesOf, tailLines } from '@hub-image-actions/process';
import { parseNulSeparated, type PullRequestRange } from './pull-request.js';

export interface ChangedFilesOptions {
  runner: ProcessRunner;
  /** Any directory inside the checkout. */
  cwd: string;
  /** The remote to fetch missing commits from; default `origin` (what actions/checkout configures). */
  remote?: string;
  /** Called with each step worth a log line (fetches, deepening). */
  log?: (line: string) => void;
  /** Environment for git; default process.env. Prompts are always disabled. */
  env?: NodeJS.ProcessEnv;
  /** Deepening steps tried on a shallow clone before giving up with --unshallow. Default [50, 200, 1000]. */
  deepenSteps?: readonly number[];
  /** Per git command. Default 5 minutes. */
  timeoutMs?: number;
}

export interface ChangedFiles {
  found: true;
  mergeBase: string;
  /** Absolute path of the checkout's top level. */
  topLevel: string;
  /** Paths relative to the top level, changed between the merge base and head, that exist in head: bytes. */
  files: Buffer[];
  /** The fetches that were needed, for the log (e.g. "fetched base 1234abc with --depth=1"). */
  fetches: string[];
}

export interface NoChangedFiles {
  found: false;
  /** Why the changed files could not be determined, for a "linting everything because …" line. */
  reason: string;
}

const DEFAULT_DEEPEN = [50, 200, 1000] as const;

function short(sha: string): string {
  return sha.slice(0, 12);
}

function lastLine(result: RunResult): string {
  return (
    tailLines(result.stderr.trim() === '' ? result.stdout : result.stderr, 1)[0] ?? `exit ${result.exitCode}`
  );
}

/**
 * The files a pull request changed: `git diff` from the merge base of base and head to head, like GitHub's
 * "Files changed" tab. A shallow or partial checkout (actions/checkout's default depth of 1) lacks the
 * commits, so they are fetched from the remote by SHA with --depth=1, then the history is deepened step by
 * step until the merge base appears. Fetches use the checkout's own credentials (actions/checkout keeps them
 * in the repo's config); nothing secret is passed on the command line.
 */
export async function changedFilesSinceMergeBase(
  range: PullRequestRange,
  options: ChangedFilesOptions,
): Promise<ChangedFiles | NoChangedFiles> {
  const remote = options.remote ?? 'origin';
  const env = { ...(options.env ?? process.env), GIT_TERMINAL_PROMPT: '0' };
  const fetches: string[] = [];
  const note = (line: string): void => {
    fetches.push(line);
    options.log?.(line);
  };
  const git = (args: string[]): Promise<RunResult> =>
    options.runner.run('git', args, { cwd: options.cwd, env, timeoutMs: options.timeoutMs ?? 300_000 });
  const fetch = (args: string[]): Promise<RunResult> =>
    git(['-c', 'protocol.version=2', 'fetch', '--no-tags', '--no-recurse-submodules', '--quiet', ...args]);

  const top = await git(['rev-parse', '--show-toplevel']);
  if (top.exitCode !== 0)
    return { found: false, reason: `${options.cwd} is not inside a git checkout (${lastLine(top)})` };
  const topLevel = top.stdout.trim();

  for (const [name, sha] of [
    ['base', range.base],
    ['head', range.head],
  ] as const) {
    if ((await git(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0) continue;
    const fetched = await fetch(['--depth=1', remote, sha]);
    if (fetched.exitCode !== 0) {
      return {
        found: false,
        reason: `the ${name} commit ${short(sha)} is not in the checkout and fetching it from "${remote}" failed: ${lastLine(fetched)}`,
      };
    }
    note(`fetched the ${name} commit ${short(sha)} from ${remote} (--depth=1)`);
  }

  const mergeBase = async (): Promise<string | undefined> => {
    const result = await git(['merge-base', range.base, range.head]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  };
  const isShallow = async (): Promise<boolean> =>
    (await git(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true';

  let base = await mergeBase();
  for (const step of options.deepenSteps ?? DEFAULT_DEEPEN) {
    if (base !== undefined || !(await isShallow())) break;
    const deepened = await fetch([`--deepen=${step}`, remote, range.base, range.head]);
    if (deepened.exitCode !== 0) {
      return {
        found: false,
        reason: `deepening the shallow checkout to find the merge base failed: ${lastLine(deepened)}`,
      };
    }
    note(`deepened the history of base and head by ${step} commits to look for their merge base`);
    base = await mergeBase();
  }
  if (base === undefined && (await isShallow())) {
    const unshallowed = await fetch(['--unshallow', remote, range.base, range.head]);
    if (unshallowed.exitCode !== 0) {
      return {
        found: false,
        reason: `fetching the full history to find the merge base failed: ${lastLine(unshallowed)}`,
      };
    }
    note('fetched the full history of base and head to look for their merge base');
    base = await mergeBase();
  }
  if (base === undefined) {
    return {
      found: false,
      reason: `base ${short(range.base)} and head ${short(range.head)} have no common ancestor`,
    };
  }

  // --no-renames: a renamed file is a new file at its new path; lowercase d drops deletions (gone in head).
  const diff = await git([
    '-c',
    'core.quotePath=false',
    'diff',
    '--name-only',
    '-z',
    '--no-renames',
    '--no-ext-diff',
    '--diff-filter=d',
    base,
    range.head,
    '--',
  ]);
  if (diff.exitCode !== 0)
    return { found: false, reason: `git diff ${short(base)} ${short(range.head)} failed: ${lastLine(diff)}` };
  return { found: true, mergeBase: base, topLevel, files: parseNulSeparated(stdoutBytesOf(diff)), fetches };
}

/** Absolute paths of changed files (bytes), for matching against a file list made from another directory. */
export function absoluteChangedPaths(changed: ChangedFiles): Buffer[] {
  return changed.files.map((file) => Buffer.concat([Buffer.from(`${changed.topLevel}/`), file]));
}
