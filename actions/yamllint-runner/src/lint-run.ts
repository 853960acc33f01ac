/** Runs yamllint: the file list (which also validates the configuration), then the shards in parallel. */
import { type ProcessRunner, tailLines } from '@hub-image-actions/process';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { YamllintConfigError, YamllintStoppedError } from './errors.js';
import { parseParsable, type Problem, UnexpectedOutputError } from './problems.js';
import type { ConfigInUse } from './local-files.js';
import { planShards } from './shards.js';
import { type ConfigSource, lintArgv, listFilesArgv, readFileList } from './yamllint-cli.js';

export interface YamllintCall {
  command: string;
  runner: ProcessRunner;
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: ConfigSource;
}

/**
 * The files yamllint would lint for `paths`, in its own order, by `yamllint --list-files`: the same walk,
 * `yaml-files` patterns and `ignore` rules as a lint run, from the same code. The configuration is loaded
 * first, so an invalid one fails here, before anything is linted.
 */
export async function listFiles(
  call: YamllintCall,
  paths: readonly string[],
  config: Pick<ConfigInUse, 'named' | 'fix'>,
): Promise<string[]> {
  const result = await call.runner.run(call.command, listFilesArgv(call.config, paths), {
    cwd: call.cwd,
    env: call.env,
    timeoutMs: 300_000,
  });
  const list = readFileList(result);
  if ('configProblem' in list) {
    throw new YamllintConfigError(
      `the yamllint configuration ${config.named} is not usable: ${list.configProblem.replace(/[ \t]+$/gm, '')}\n${config.fix}`,
    );
  }
  return list.files;
}

export interface LintResult {
  /** Every problem, in the order one yamllint process over the whole list prints them. */
  problems: Problem[];
  shards: number;
  processes: number;
}

export interface LintOptions {
  jobs: number;
  /** Called as each shard finishes, e.g. for a progress line. */
  onShard?: (done: number, total: number) => void;
  /** Called when yamllint crashed on some shards, before the files are looked for. */
  onCrash?: (shards: number) => void;
}

async function sizeOf(cwd: string, file: string): Promise<number> {
  try {
    return (await stat(resolve(cwd, file))).size;
  } catch {
    return 0;
  }
}

/**
 * Lints `files` in concurrent yamllint processes over contiguous shards and concatenates their problems in
 * shard order: the same problems, in the same order, as one process over the list. When yamllint crashes on
 * a shard, the files it crashes on are found (see `findCrashes`) and named in the error.
 */
export async function lintFiles(
  call: YamllintCall,
  files: readonly string[],
  options: LintOptions,
): Promise<LintResult> {
  const sized = await Promise.all(files.map(async (path) => ({ path, bytes: await sizeOf(call.cwd, path) })));
  const shards = planShards(sized, { jobs: options.jobs });
  const results = new Array<ShardOutcome>(shards.length);
  const processes = Math.min(options.jobs, shards.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < shards.length) {
      const index = next;
      next += 1;
      results[index] = await lintShard(call, shards[index] ?? []);
      done += 1;
      options.onShard?.(done, shards.length);
    }
  };
  await Promise.all(Array.from({ length: processes }, worker));

  const crashed = shards.flatMap((shard, index) => {
    const outcome = results[index];
    return outcome !== undefined && 'crash' in outcome ? [{ files: shard, crash: outcome.crash }] : [];
  });
  if (crashed.length > 0) {
    options.onCrash?.(crashed.length);
    const crashes: Crash[] = [];
    for (const shard of crashed) {
      crashes.push(...(await findCrashes(call, shard.files, MAX_CRASHES - crashes.length)));
      if (crashes.length >= MAX_CRASHES) break;
    }
    // A crash that no smaller run repeats (yamllint killed from outside, say) is reported for its shard.
    const first = crashed[0];
    if (crashes.length === 0 && first !== undefined)
      crashes.push({ file: undefined, files: first.files, ...first.crash });
    throw crashError(crashes, crashes.length >= MAX_CRASHES);
  }
  const problems: Problem[] = [];
  for (const outcome of results)
    if (outcome !== undefined && 'problems' in outcome) problems.push(...outcome.problems);
  return { problems, shards: shards.length, processes };
}

/** How many crashing files are looked for at most: enough to show a pattern, without re-running a whole corpus. */
export const MAX_CRASHES = 5;

/** yamllint stopped without a verdict: how it stopped. */
export interface CrashReport {
  /** e.g. "exit code 1". */
  exit: string;
  /** The last line yamllint printed on stderr (a traceback's exception line), or what went wrong reading its output. */
  lastLine: string;
}

export interface Crash extends CrashReport {
  /** The file yamllint crashes on by itself, or undefined when no single file repeats the crash. */
  file: string | undefined;
  files: readonly string[];
}

type ShardOutcome = { problems: Problem[] } | { crash: CrashReport };

async function lintShard(call: YamllintCall, files: readonly string[]): Promise<ShardOutcome> {
  const result = await call.runner.run(call.command, lintArgv(call.config, files), {
    cwd: call.cwd,
    env: call.env,
  });
  const crash = (why?: string): ShardOutcome => ({
    crash: {
      exit: result.signal === null ? `exit code ${result.exitCode}` : `killed by ${result.signal}`,
      lastLine: why ?? lastWords(result.stderr),
    },
  });
  if (result.exitCode !== 0 && result.exitCode !== 1) return crash();
  let problems: Problem[];
  try {
    problems = parseParsable(result.stdout, new Set(files));
  } catch (error) {
    if (error instanceof UnexpectedOutputError) return crash(error.message);
    throw error;
  }
  // Exit 1 means an error was printed; exit 1 with none is Python dying on a file (a traceback on stderr).
  const hasError = problems.some((problem) => problem.level === 'error');
  if ((result.exitCode === 1) !== hasError || result.stderr.includes('Traceback (most recent call last)')) {
    return crash();
  }
  return { problems };
}

/**
 * What a crashed yamllint said last: a traceback's exception line (with its indented continuation lines, as in
 * `ReaderError: unacceptable character #x0000 … in "<unicode string>", position 8`), else its last line. Pure.
 */
export function lastWords(stderr: string): string {
  const lines = tailLines(stderr, 12);
  if (lines.length === 0) return 'nothing on stderr';
  let start = lines.length - 1;
  while (start > 0 && /^\s/.test(lines[start] ?? '')) start -= 1;
  return lines
    .slice(start)
    .map((line) => line.trim())
    .join(' ');
}

/**
 * The files of a shard yamllint crashed on, by bisection: each half is linted again, and a half that crashes
 * is split until single files remain. A crash on k of n files costs about 2·k·log2(n) short yamllint runs,
 * all on this error path only. Stops after `limit` files.
 */
export async function findCrashes(
  call: YamllintCall,
  files: readonly string[],
  limit: number,
): Promise<Crash[]> {
  const found: Crash[] = [];
  const split = async (part: readonly string[]): Promise<void> => {
    const middle = Math.ceil(part.length / 2);
    for (const half of [part.slice(0, middle), part.slice(middle)]) {
      if (found.length >= limit || half.length === 0) return;
      const outcome = await lintShard(call, half);
      if (!('crash' in outcome)) continue;
      if (half.length === 1) found.push({ file: half[0], files: half, ...outcome.crash });
      else await split(half);
    }
  };
  if (files.length === 1) {
    const outcome = await lintShard(call, files);
    if ('crash' in outcome) found.push({ file: files[0], files, ...outcome.crash });
  } else {
    await split(files);
  }
  return found;
}

const UTF8 = /UnicodeDecodeError|codec can't decode|utf-?8/i;

/** The error naming the files yamllint crashes on, with yamllint's own last words for each. Pure. */
export function crashError(crashes: readonly Crash[], more: boolean): YamllintStoppedError {
  const lines = crashes.map((crash) =>
    crash.file !== undefined
      ? `  ${crash.file}: ${crash.lastLine} (${crash.exit})`
      : `  one of ${crash.files.length} files from ${crash.files[0]} to ${crash.files.at(-1)} (no single file repeats it): ${crash.lastLine} (${crash.exit})`,
  );
  const named = crashes.filter((crash) => crash.file !== undefined).length;
  const head =
    named === 0
      ? 'yamllint stopped without a verdict'
      : `yamllint stopped without a verdict: it crashes on ${named === 1 ? 'this file' : `these ${named} files`}${more ? ` (the first ${named} found; there may be more)` : ''}`;
  const files = crashes.flatMap((crash) => (crash.file === undefined ? [] : [crash.file]));
  const rerun = files.length > 0 ? `; \`yamllint ${files.join(' ')}\` shows the whole traceback` : '';
  const fix =
    files.length === 0
      ? 'Run yamllint on those files to see why it stops; a file it cannot read can be left out with the "ignore" setting of the yamllint configuration'
      : crashes.some((crash) => UTF8.test(crash.lastLine))
        ? `yamllint reads files as UTF-8: re-encode ${files.length === 1 ? 'that file' : 'those files'} as UTF-8, remove ${files.length === 1 ? 'it' : 'them'}, or leave ${files.length === 1 ? 'it' : 'them'} out with the "ignore" setting of the yamllint configuration${rerun}`
        : `Fix or remove ${files.length === 1 ? 'that file' : 'those files'}, or leave ${files.length === 1 ? 'it' : 'them'} out with the "ignore" setting of the yamllint configuration${rerun}`;
  return new YamllintStoppedError(`${head}:\n${lines.join('\n')}`, fix);
}
