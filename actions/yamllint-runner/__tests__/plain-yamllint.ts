// What the e2e tests compare the action with: plain yamllint, the one on PATH, whatever its version.
import { afterAll, beforeAll } from '@jest/globals';
import { stdoutBytesOf, systemRunner } from '@hub-image-actions/process';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { removeDir } from '@hub-image-actions/local-world/tmp';

export interface PlainRun {
  /** stdout exactly as yamllint wrote it. */
  bytes: Buffer;
  /** stdout split on "\n", as the runner shows it (invalid UTF-8 shown as U+FFFD). */
  lines: string[];
  exitCode: number;
  stderr: string;
}

/** Plain `yamllint -f parsable ARGS` in `cwd`; file names may be bytes that are not UTF-8. */
export async function plainYamllint(cwd: string, args: ReadonlyArray<string | Buffer>): Promise<PlainRun> {
  // argv must be bytes for names that are not UTF-8: bash reads them from NUL-separated stdin.
  const bash = await systemRunner.run(
    'bash',
    [
      '-c',
      'args=(); while IFS= read -r -d "" a; do args+=("$a"); done; exec yamllint -f parsable "${args[@]}"',
    ],
    { cwd, stdin: Buffer.concat(args.map((arg) => Buffer.concat([Buffer.from(arg), Buffer.from([0])]))) },
  );
  return {
    bytes: stdoutBytesOf(bash),
    lines: bash.stdout.split('\n').filter((line) => line !== ''),
    exitCode: bash.exitCode,
    stderr: bash.stderr,
  };
}

/** The yamllint on PATH: its path and version, which the tests pin instead of a distribution's version. */
export async function pathYamllint(): Promise<{ path: string; version: string }> {
  const which = await systemRunner.run('sh', ['-c', 'command -v yamllint']);
  const version = await systemRunner.run('yamllint', ['--version']);
  const match = /^yamllint ([0-9.]+)/.exec(version.stdout);
  if (which.exitCode !== 0 || match?.[1] === undefined)
    throw new Error(`no yamllint on PATH: ${which.stderr}${version.stderr}`);
  return { path: which.stdout.trim(), version: match[1] };
}

/** The problem lines the action printed between its stop-commands markers. */
export function problemLines(run: ActionRun): string[] {
  const start = /^::stop-commands::(.+)$/m.exec(run.log);
  if (start === null) return [];
  const begin = run.log.indexOf('\n', start.index) + 1;
  const end = run.log.indexOf(`::${start[1]}::`, begin);
  return run.log
    .slice(begin, end)
    .split('\n')
    .filter((line) => line !== '');
}

export function failureOf(run: ActionRun): string | undefined {
  return run.annotations.find((annotation) =>
    annotation.message.startsWith('yamllint-runner action failed: '),
  )?.message;
}

/**
 * What an e2e test file keeps: the temp dirs and runs it makes (removed after its tests) and the yamllint on PATH
 * (read before them), which its runs use.
 */
export function e2eScratch(): {
  dirs: string[];
  runs: ActionRun[];
  yamllint: { path: string; version: string };
} {
  const scratch = { dirs: [] as string[], runs: [] as ActionRun[], yamllint: { path: '', version: '' } };
  beforeAll(async () => {
    Object.assign(scratch.yamllint, await pathYamllint());
  });
  afterAll(async () => {
    for (const run of scratch.runs) await cleanupRun(run);
    for (const dir of scratch.dirs) await removeDir(dir);
  });
  return scratch;
}
