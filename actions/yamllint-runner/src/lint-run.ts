/** Runs yamllint: the file list (which also validates the configuration), then the shards in parallel. */
import { type ProcessRunner, stdoutBytesOf, tailLines } from '@hub-image-actions/process';
import { stat } from 'node:fs/promises';
import { decodeRecords, driverArgv, encodeArgs, FramingError } from './driver.js';
import { YamllintConfigError, YamllintStoppedError } from './errors.js';
import type { ConfigInUse } from './local-files.js';
import { absoluteName, quotedName, shellWord } from './names.js';
import { parseParsable, type Problem, UnexpectedOutputError } from './problems.js';
import { planShards } from './shards.js';
import { type ConfigSource, lintArgv, listFilesArgv, readFileList } from './yamllint-cli.js';

export interface YamllintCall {
  /** The Python that runs yamllint, with its options: yamllint runs through the driver (see driver.ts). */
  python: readonly string[];
  runner: ProcessRunner;
  cwd: string;
  env: NodeJS.ProcessEnv;
  config: ConfigSource;
}

export interface YamllintOutput {
  exitCode: number;
  signal: NodeJS.Signals | null;
  /** What yamllint printed, one record per problem or file (see driver.ts). */
  records: Buffer[];
  /** Set when the output could not be read back (yamllint killed mid-write). */
  framingError: string | undefined;
  stderr: string;
}

/** Runs yamllint with `args` (which may hold file names that are not UTF-8) through the driver. */
export async function runYamllint(
  call: YamllintCall,
  args: ReadonlyArray<string | Buffer>,
  timeoutMs?: number,
): Promise<YamllintOutput> {
  const { command, args: argv } = driverArgv(call.python);
  const result = await call.runner.run(command, argv, {
    cwd: call.cwd,
    env: call.env,
    stdin: encodeArgs(args),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  let records: Buffer[] = [];
  let framingError: string | undefined;
  try {
    records = decodeRecords(stdoutBytesOf(result));
  } catch (error) {
    if (!(error instanceof FramingError)) throw error;
    framingError = error.message;
  }
  return { exitCode: result.exitCode, signal: result.signal, records, framingError, stderr: result.stderr };
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
): Promise<Buffer[]> {
  const result = await runYamllint(call, listFilesArgv(call.config, paths), 300_000);
  const list = readFileList(result);
  if ('configProblem' in list) {
    const missing = missingBase(list.configProblem);
    const problem =
      missing === undefined
        ? list.configProblem.replace(/[ \t]+$/gm, '')
        : `it extends ${JSON.stringify(missing)}, which is neither a preset of yamllint (${(await yamllintPresets(call)).join(', ')}) nor a file (a path is relative to the working directory, ${call.cwd})`;
    throw new YamllintConfigError(
      `${config.named} is not usable: ${problem}\n${config.fix}`,
      undefined,
      result.exitCode,
    );
  }
  return list.files;
}

/**
 * The base an `extends:` names when yamllint could not open it: its message is only Python's
 * `[Errno 2] No such file or directory: 'relaxd'`. The configuration's own file was checked before, so a missing
 * file here is a base. Pure.
 */
export function missingBase(configProblem: string): string | undefined {
  const match = /^\[Errno 2\] No such file or directory: (?:'([^']*)'|"([^"]*)")$/.exec(configProblem);
  return match?.[1] ?? match?.[2];
}

const PRESETS = `import sys
if sys.path and sys.path[0] == '':
    del sys.path[0]
import os, yamllint.config
conf = os.path.join(os.path.dirname(os.path.realpath(yamllint.config.__file__)), 'conf')
print(' '.join(sorted(name[:-5] for name in os.listdir(conf) if name.endswith('.yaml'))))
`;

/** The configurations yamllint ships (`default`, `relaxed`), which `extends:` names without a path. */
export async function yamllintPresets(call: YamllintCall): Promise<string[]> {
  const [command = 'python3', ...options] = call.python;
  const result = await call.runner.run(command, [...options, '-c', PRESETS], {
    cwd: call.cwd,
    env: call.env,
    timeoutMs: 60_000,
  });
  const names = result.exitCode === 0 ? result.stdout.trim().split(/\s+/).filter(Boolean) : [];
  return names.length > 0 ? names : ['default', 'relaxed'];
}

export interface LintResult {
  /** Every problem of the files that linted, in the order one yamllint process over the list prints them. */
  problems: Problem[];
  /** Files yamllint gave a verdict on. */
  linted: number;
  /** The files yamllint stopped on without a verdict; empty when every file linted. */
  crashes: Crash[];
  /** True when the search for crashing files stopped at its limit (there may be more). */
  moreCrashes: boolean;
  /** Files not linted because the search for crashing files stopped first. */
  unlinted: number;
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

async function sizeOf(cwd: string, file: Buffer): Promise<number> {
  try {
    return (await stat(absoluteName(cwd, file))).size;
  } catch {
    return 0;
  }
}

/**
 * Lints `files` in concurrent yamllint processes over contiguous shards and concatenates their problems in
 * shard order: the same problems, in the same order, as one process over the list. When yamllint crashes on
 * a shard, the files it crashes on are looked for (see `findCrashes`); the files around them are linted still.
 */
export async function lintFiles(
  call: YamllintCall,
  files: readonly Buffer[],
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

  const crashedShards = results.filter((outcome) => 'crash' in outcome).length;
  if (crashedShards > 0) options.onCrash?.(crashedShards);
  const segments: Segment[] = [];
  let found = 0;
  for (const [index, shard] of shards.entries()) {
    const outcome = results[index];
    if (outcome === undefined || !('crash' in outcome)) {
      segments.push({ files: shard, problems: outcome?.problems ?? [] });
      continue;
    }
    const parts = await findCrashes(call, shard, MAX_CRASHES - found);
    const named = parts.filter((part) => 'crash' in part).length;
    found += named;
    segments.push(...parts);
    // A crash that no smaller run repeats (yamllint killed from outside, say) is reported for its shard.
    if (named === 0 && !parts.some((part) => 'skipped' in part))
      segments.push({ files: shard, crash: outcome.crash, file: undefined });
  }
  const problems: Problem[] = [];
  const crashes: Crash[] = [];
  let linted = 0;
  let unlinted = 0;
  for (const segment of segments) {
    if ('problems' in segment) {
      problems.push(...segment.problems);
      linted += segment.files.length;
    } else if ('crash' in segment) {
      crashes.push({ file: segment.file, files: segment.files, ...segment.crash });
    } else {
      unlinted += segment.files.length;
    }
  }
  return {
    problems,
    linted,
    crashes,
    moreCrashes: unlinted > 0,
    unlinted,
    shards: shards.length,
    processes,
  };
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
  file: Buffer | undefined;
  files: readonly Buffer[];
}

type ShardOutcome = { problems: Problem[] } | { crash: CrashReport };

/** A run of files in list order: linted, the one (or ones) yamllint crashes on, or left out when the search stopped. */
export type Segment =
  | { files: readonly Buffer[]; problems: Problem[] }
  | { files: readonly Buffer[]; crash: CrashReport; file: Buffer | undefined }
  | { files: readonly Buffer[]; skipped: true };

async function lintShard(call: YamllintCall, files: readonly Buffer[]): Promise<ShardOutcome> {
  const result = await runYamllint(call, lintArgv(call.config, files));
  const crash = (why?: string): ShardOutcome => ({
    crash: {
      exit: result.signal === null ? `exit code ${result.exitCode}` : `killed by ${result.signal}`,
      lastLine: why ?? lastWords(result.stderr),
    },
  });
  if (result.exitCode !== 0 && result.exitCode !== 1) return crash();
  if (result.framingError !== undefined) return crash(result.framingError);
  let problems: Problem[];
  try {
    problems = parseParsable(result.records, files);
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
 * all on this error path only. Stops looking after `limit` files; the halves not linted then are `skipped`.
 * Returns the shard's files in order, as segments: linted (with their problems), crashing, skipped.
 */
export async function findCrashes(
  call: YamllintCall,
  files: readonly Buffer[],
  limit: number,
): Promise<Segment[]> {
  const segments: Segment[] = [];
  let found = 0;
  const visit = async (part: readonly Buffer[]): Promise<void> => {
    if (found >= limit) {
      segments.push({ files: part, skipped: true });
      return;
    }
    const outcome = await lintShard(call, part);
    if ('problems' in outcome) {
      segments.push({ files: part, problems: outcome.problems });
    } else if (part.length === 1) {
      found += 1;
      segments.push({ files: part, crash: outcome.crash, file: part[0] });
    } else {
      const middle = Math.ceil(part.length / 2);
      await visit(part.slice(0, middle));
      await visit(part.slice(middle));
    }
  };
  if (files.length === 1) {
    await visit(files);
  } else {
    const middle = Math.ceil(files.length / 2);
    await visit(files.slice(0, middle));
    await visit(files.slice(middle));
  }
  return segments;
}

const UTF8 = /UnicodeDecodeError|codec can't decode|utf-?8/i;

/** The error naming the files yamllint crashes on, with yamllint's own last words for each. Pure. */
export function crashError(crashes: readonly Crash[], more: boolean): YamllintStoppedError {
  const lines = crashes.map((crash) =>
    crash.file !== undefined
      ? `  ${quotedName(crash.file)}: ${crash.lastLine} (${crash.exit})`
      : `  one of ${crash.files.length} files from ${quotedName(crash.files[0] ?? Buffer.alloc(0))} to ${quotedName(crash.files.at(-1) ?? Buffer.alloc(0))} (no single file repeats it): ${crash.lastLine} (${crash.exit})`,
  );
  const named = crashes.filter((crash) => crash.file !== undefined).length;
  const head =
    named === 0
      ? 'yamllint stopped without a verdict'
      : `yamllint stopped without a verdict: it crashes on ${named === 1 ? 'this file' : `these ${named} files`}${more ? ` (the first ${named} found; there may be more)` : ''}`;
  const files = crashes.flatMap((crash) => (crash.file === undefined ? [] : [crash.file]));
  const rerun =
    files.length > 0 ? `; \`yamllint ${files.map(shellWord).join(' ')}\` shows the whole traceback` : '';
  const fix =
    files.length === 0
      ? 'Run yamllint on those files to see why it stops; a file it cannot read can be left out with the "ignore" setting of the yamllint configuration'
      : crashes.some((crash) => UTF8.test(crash.lastLine))
        ? `yamllint reads files as UTF-8: re-encode ${files.length === 1 ? 'that file' : 'those files'} as UTF-8, remove ${files.length === 1 ? 'it' : 'them'}, or leave ${files.length === 1 ? 'it' : 'them'} out with the "ignore" setting of the yamllint configuration${rerun}`
        : `Fix or remove ${files.length === 1 ? 'that file' : 'those files'}, or leave ${files.length === 1 ? 'it' : 'them'} out with the "ignore" setting of the yamllint configuration${rerun}`;
  return new YamllintStoppedError(`${head}:\n${lines.join('\n')}`, fix);
}
