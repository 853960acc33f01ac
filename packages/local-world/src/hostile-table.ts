/**
 * The hostile-input table of an action: each row is bad or odd inputs → the exit code, the step's first error, and
 * what must not have happened (the workspace changed, something left in RUNNER_TEMP, the outside world touched, a
 * secret shown). One runner for the four actions; each action keeps its own rows.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanupRun, runAction, type ActionRun, type RunActionOptions } from './action-runner.js';
import { findLeaks } from './leak-checker.js';

/** A value, or how to make it once the suite's services run (a port, a temp dir). */
export type Later<T> = T | (() => T);

const now = <T>(value: Later<T>): T => (typeof value === 'function' ? (value as () => T)() : value);

export interface HostileRow {
  /** What the row tries, as the test's name. */
  name: string;
  /** Laid over the suite's valid inputs; an empty string removes one. */
  inputs: Later<Record<string, string>>;
  env?: Record<string, string | undefined>;
  /** Default 1. */
  exitCode?: number;
  /** The step's first error annotation: exactly this string, or matching this pattern. */
  error?: Later<string | RegExp>;
  /** For a row that ends without an error: a warning annotation that must be there. */
  warning?: string | RegExp;
  /** Outputs the run must have set, as documented for a failed run. */
  outputs?: Record<string, string>;
  /** Texts the log must not hold (e.g. the content of a file outside the workspace). */
  notInLog?: string[];
}

export interface HostileSuite {
  /** Action dir name under actions/. */
  action: string;
  /** A valid run's inputs; each row changes some of them. */
  inputs(): Record<string, string>;
  env?(): Record<string, string | undefined>;
  /** GITHUB_WORKSPACE, shared by the rows, and checked unchanged after each. */
  workspace(): string;
  githubToken?: () => string;
  /** Every secret the run is handed or could mint (label → value, 8 characters or more). */
  secrets(): Record<string, string>;
  /** A description of the world outside the runner the action could change: registry contents, branches, PRs. */
  world(): Promise<unknown>;
  /** Programs whose argv is searched for secrets too. */
  recordArgvOf?: string[];
  timeoutMs?: number;
}

/** Every entry below `root` (symlinks not followed) with its type and a hash of its content or target. */
export async function treeListing(root: string): Promise<string[]> {
  const lines: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const name of (await readdir(dir)).sort()) {
      const path = join(dir, name);
      const relative = `${prefix}${name}`;
      const info = await lstat(path);
      if (info.isSymbolicLink()) lines.push(`${relative} -> ${await readlink(path)}`);
      else if (info.isDirectory()) {
        lines.push(`${relative}/ ${(info.mode & 0o7777).toString(8)}`);
        await walk(path, `${relative}/`);
      } else if (info.isFile()) {
        const hash = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
        lines.push(`${relative} ${(info.mode & 0o7777).toString(8)} ${hash}`);
      } else lines.push(`${relative} (special)`);
    }
  };
  await walk(root, '');
  return lines;
}

/** What the runner itself keeps in RUNNER_TEMP: the event file and the file commands. */
const RUNNER_OWN = ['_github_workflow', '_runner_file_commands'];

function rowInputs(base: Record<string, string>, row: HostileRow): Record<string, string> {
  const inputs = { ...base };
  for (const [name, value] of Object.entries(now(row.inputs))) {
    if (value === '') delete inputs[name];
    else inputs[name] = value;
  }
  return inputs;
}

function expectText(actual: string | undefined, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(actual).toBe(expected);
  else expect(actual).toMatch(expected);
}

/**
 * Runs each row through the bundled action and checks: the exit code; the first error (or the warning of a row that
 * passes); the outputs; no "unexpected error"; the workspace listed and hashed the same before and after; nothing
 * left in RUNNER_TEMP but the runner's own event file; the outside world unchanged; no secret, in any encoding, in
 * the log, outputs, state, summary, exported env, recorded argv, workspace or RUNNER_TEMP.
 */
export function hostileTable(title: string, suite: HostileSuite, rows: readonly HostileRow[]): void {
  describe(title, () => {
    it.each(rows.map((row) => [row.name, row] as const))('%s', async (_name, row) => {
      const workspace = suite.workspace();
      const before = await treeListing(workspace);
      const worldBefore = await suite.world();
      const options: RunActionOptions = {
        action: suite.action,
        workspace,
        inputs: rowInputs(suite.inputs(), row),
        env: { ...suite.env?.(), ...row.env },
        recordArgvOf: suite.recordArgvOf ?? [],
        ...(suite.githubToken ? { githubToken: suite.githubToken() } : {}),
        ...(suite.timeoutMs ? { timeoutMs: suite.timeoutMs } : {}),
      };
      const run: ActionRun = await runAction(options);
      try {
        const errors = run.annotations.filter((a) => a.level === 'error');
        expect({ exitCode: run.exitCode, timedOut: run.timedOut }).toEqual({
          exitCode: row.exitCode ?? 1,
          timedOut: false,
        });
        if (row.error !== undefined) expectText(errors[0]?.message, now(row.error));
        else expect(errors).toEqual([]);
        if (row.warning !== undefined) {
          const warnings = run.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
          expect(warnings).toContainEqual(
            typeof row.warning === 'string' ? row.warning : expect.stringMatching(row.warning),
          );
        }
        if (row.outputs !== undefined) expect(run.outputs).toMatchObject(row.outputs);
        expect(run.log).not.toMatch(/unexpected error/);
        for (const text of row.notInLog ?? []) expect(run.log).not.toContain(text);

        expect(await treeListing(workspace)).toEqual(before);
        expect((await readdir(run.runnerTemp)).filter((name) => !RUNNER_OWN.includes(name))).toEqual([]);
        expect(await suite.world()).toEqual(worldBefore);
        const texts = {
          log: run.log,
          outputs: JSON.stringify(run.outputs),
          state: JSON.stringify(run.state),
          summary: run.summary,
          'exported env': JSON.stringify(run.exportedEnv),
          argv: run.argv.map((argv) => argv.join(' ')).join('\n'),
        };
        expect(await findLeaks(suite.secrets(), { texts, paths: [workspace, run.runnerTemp] })).toEqual([]);
      } finally {
        await cleanupRun(run);
      }
    });
  });
}

export const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first error of a step that refused `input`: it names the input and the value, then says `rest` (a pattern). */
export function refusal(action: string, input: string, value: string, rest = ''): RegExp {
  return new RegExp(
    `^${escapeRegExp(action)} action failed: input "${escapeRegExp(input)}" is "${escapeRegExp(value)}": ${rest}`,
  );
}

/** The first error of a step that refused a path input for leaving the workspace. */
export function outsideWorkspace(action: string, input: string, value: string): RegExp {
  return refusal(action, input, value, 'resolves to \\S+, outside the workspace \\(');
}

/**
 * Row makers for one action's table. `outputs`: what every failed row must have set; `bad`: an input and value the
 * action refuses, put beside inputs that would otherwise run the whole action, so a row shows they are accepted
 * without running it (the step's only complaint must then be about `bad`).
 */
export function rowsOf(
  action: string,
  options: { bad: [string, string]; outputs?: Record<string, string>; notInLog?: string[] },
) {
  const outputs = options.outputs ? { outputs: options.outputs } : {};
  return {
    refused: (input: string, value: string, rest = ''): HostileRow => ({
      name: `${input}: ${value}`,
      inputs: { [input]: value },
      error: refusal(action, input, value, rest),
      ...outputs,
    }),
    leaves: (input: string, value: Later<string>, what?: string): HostileRow => ({
      name: `${input}: ${what ?? String(value)} (leaves the workspace)`,
      inputs: () => ({ [input]: now(value) }),
      error: () => outsideWorkspace(action, input, now(value)),
      ...outputs,
      notInLog: options.notInLog ?? [],
    }),
    accepted: (
      inputs: Later<Record<string, string>>,
      what?: string,
      bad: [string, string] = options.bad,
    ): HostileRow => ({
      name: `${what ?? JSON.stringify(inputs)} is accepted (beside ${bad[0]}: ${bad[1]})`,
      inputs: () => ({ ...now(inputs), [bad[0]]: bad[1] }),
      error: refusal(action, bad[0], bad[1]),
      ...outputs,
    }),
  };
}
