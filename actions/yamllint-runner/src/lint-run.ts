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
 * shard order: the same problems, in the same order, as one process over the list.
 */
export async function lintFiles(
  call: YamllintCall,
  files: readonly string[],
  options: LintOptions,
): Promise<LintResult> {
  const sized = await Promise.all(files.map(async (path) => ({ path, bytes: await sizeOf(call.cwd, path) })));
  const shards = planShards(sized, { jobs: options.jobs });
  const results: Problem[][] = new Array<Problem[]>(shards.length);
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
  return { problems: results.flat(), shards: shards.length, processes };
}

async function lintShard(call: YamllintCall, files: readonly string[]): Promise<Problem[]> {
  const result = await call.runner.run(call.command, lintArgv(call.config, files), {
    cwd: call.cwd,
    env: call.env,
  });
  const where =
    files.length === 1 ? files[0] : `one of ${files.length} files from ${files[0]} to ${files.at(-1)}`;
  const stopped = (why: string): YamllintStoppedError =>
    new YamllintStoppedError(
      `yamllint stopped without a verdict while linting ${where}: ${why}`,
      'A file yamllint lints must be readable UTF-8 text: fix or remove it, or leave it out with the "ignore" setting of the yamllint configuration',
    );
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    throw stopped(`exit code ${result.exitCode}\n${tailLines(result.stderr || result.stdout, 8).join('\n')}`);
  }
  let problems: Problem[];
  try {
    problems = parseParsable(result.stdout, new Set(files));
  } catch (error) {
    if (error instanceof UnexpectedOutputError) throw stopped(error.message);
    throw error;
  }
  // Exit 1 means an error was printed; exit 1 with none is Python dying on a file (a traceback on stderr).
  const hasError = problems.some((problem) => problem.level === 'error');
  if ((result.exitCode === 1) !== hasError || result.stderr.includes('Traceback (most recent call last)')) {
    throw stopped(`exit code ${result.exitCode}\n${tailLines(result.stderr, 8).join('\n')}`);
  }
  return problems;
}
