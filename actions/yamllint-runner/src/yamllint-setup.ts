/**
 * Finds a yamllint that satisfies `yamllint-version`: the one on PATH, one this action installed earlier, or
 * a fresh install with pip into a virtual environment of its own (never into the system's Python).
 */
import { type ProcessRunner, stdoutBytesOf, tailLines } from '@hub-image-actions/process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { which } from '@actions/io';
import { exists } from '@actions/io/lib/io-util';
import { installIntoVenv, scriptHead, venvProgram } from '@hub-image-actions/pip-venv';
import { decodeText, driverArgv, encodeArgs, pythonOfScript } from './driver.js';
import { YamllintUnavailableError } from './errors.js';
import { parseVersionOutput, pipRequirement, versionSatisfies } from './version.js';

export interface Yamllint {
  command: string;
  /** The Python the `command` script runs with (and its options): yamllint runs in it through the driver. */
  python: string[];
  version: string;
  /** `path`: found on PATH; `cached`: installed by an earlier run; `installed`: installed now. */
  source: 'path' | 'cached' | 'installed';
}

export interface SetupOptions {
  /** A version (`1.29.0`, `1.29`) or `any`. */
  wanted: string;
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  /** Where virtual environments are kept: the runner's tool cache, else RUNNER_TEMP. */
  toolRoot: string;
  log: (line: string) => void;
}

/** The first executable `name` on PATH, like the shell finds it. */
async function findOnPath(name: string): Promise<string | undefined> {
  return (await which(name)) || undefined;
}

async function versionOf(command: string, options: SetupOptions): Promise<string | undefined> {
  const result = await options.runner.run(command, ['--version'], { env: options.env, timeoutMs: 60_000 });
  return result.exitCode === 0 ? parseVersionOutput(`${result.stdout}\n${result.stderr}`) : undefined;
}

/** The Python a yamllint script names in its first line, found on PATH when it is `env python3`. */
async function pythonOf(command: string): Promise<string[] | undefined> {
  const head = await scriptHead(command, 1024);
  if (head === undefined) return undefined;
  const python = pythonOfScript(head);
  if (python === undefined || python[0] === undefined || python[0].includes('/')) return python;
  const found = await findOnPath(python[0]);
  return found === undefined ? undefined : [found, ...python.slice(1)];
}

/** The version the driver reports through `python`: proof that this Python runs that yamllint. */
async function driverVersion(python: readonly string[], options: SetupOptions): Promise<string | undefined> {
  const { command, args } = driverArgv(python);
  const result = await options.runner.run(command, args, {
    env: options.env,
    stdin: encodeArgs(['--version']),
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) return undefined;
  try {
    return parseVersionOutput(decodeText(stdoutBytesOf(result)));
  } catch {
    return undefined;
  }
}

/** A yamllint script this action can run: its Python, and the version that Python's yamllint reports. */
async function drivable(
  command: string,
  options: SetupOptions,
): Promise<{ python: string[]; version: string } | undefined> {
  const python = await pythonOf(command);
  const version = python === undefined ? undefined : await driverVersion(python, options);
  return python === undefined || version === undefined ? undefined : { python, version };
}

export function venvDir(toolRoot: string, wanted: string): string {
  return join(toolRoot, 'hub-image-actions-yamllint', wanted);
}

const COMPLETE_MARKER = '.install-complete';

export async function resolveYamllint(options: SetupOptions): Promise<Yamllint> {
  const onPath = await findOnPath('yamllint');
  const driven = onPath === undefined ? undefined : await drivable(onPath, options);
  if (onPath !== undefined && driven !== undefined && versionSatisfies(driven.version, options.wanted)) {
    return { command: onPath, ...driven, source: 'path' };
  }
  const pathVersion =
    driven?.version ?? (onPath === undefined ? undefined : await versionOf(onPath, options));
  const found =
    onPath === undefined
      ? 'there is no yamllint on PATH'
      : pathVersion === undefined
        ? `${onPath} did not report a version`
        : driven === undefined
          ? `PATH has yamllint ${pathVersion} (${onPath}), which is not a Python script this action can run yamllint's code from`
          : `PATH has yamllint ${pathVersion} (${onPath})`;
  if (options.wanted === 'any') {
    throw new YamllintUnavailableError(
      `yamllint-version is "any" but ${found}`,
      'Install yamllint before this step (it ships on GitHub-hosted Ubuntu runners; on Debian: apt-get install yamllint; or pip install yamllint), or set yamllint-version to a version to install with pip',
    );
  }
  options.log(`yamllint ${options.wanted} is wanted and ${found}: installing it with pip.`);

  const dir = venvDir(options.toolRoot, options.wanted);
  const command = venvProgram(dir, 'yamllint');
  const python = [venvProgram(dir, 'python')];
  if (await exists(join(dir, COMPLETE_MARKER))) {
    const version = await driverVersion(python, options);
    if (version !== undefined && versionSatisfies(version, options.wanted)) {
      return { command, python, version, source: 'cached' };
    }
  }
  const requirement = pipRequirement(options.wanted);
  const fail = (why: string): YamllintUnavailableError =>
    new YamllintUnavailableError(
      `yamllint ${options.wanted} (input "yamllint-version") is needed, ${found}, and installing it with pip failed: ${why}`,
      `Install yamllint ${options.wanted} before this step (pip install ${requirement}), make pip's index reachable ` +
        `(PIP_INDEX_URL for a mirror), or set yamllint-version to "any" to use the yamllint on PATH` +
        (pathVersion === undefined || driven === undefined ? '' : ` or to "${pathVersion}"`),
    );

  let version: string | undefined;
  try {
    version = await install(dir, requirement, options, fail);
  } catch (error) {
    // Nothing half-installed stays behind, also when the step is cancelled mid-install.
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  await writeFile(join(dir, COMPLETE_MARKER), `${version}\n`);
  return { command, python, version, source: 'installed' };
}

/** A virtual environment in `dir` with yamllint installed by pip; the version it reports. */
async function install(
  dir: string,
  requirement: string,
  options: SetupOptions,
  fail: (why: string) => Error,
): Promise<string> {
  const { runner, env } = options;
  const outcome = await installIntoVenv({ runner, env, dir, requirement });
  if (!outcome.ok && outcome.stage === 'python3')
    throw fail('there is no python3 on PATH to install it with');
  if (!outcome.ok && outcome.stage === 'venv') {
    const { python3, result } = outcome;
    throw fail(
      `${python3} -m venv ${dir} failed (on Debian and Ubuntu it needs python3-venv):\n${tailLines(result.stderr || result.stdout, 6).join('\n')}`,
    );
  }
  if (!outcome.ok) {
    const { result } = outcome;
    const errors = (result.stderr || result.stdout).split('\n').filter((line) => line.startsWith('ERROR:'));
    throw fail(
      `pip install ${requirement} exited with code ${result.exitCode}:\n${(errors.length > 0 ? errors : tailLines(result.stderr || result.stdout, 6)).join('\n')}`,
    );
  }
  const version = await driverVersion([venvProgram(dir, 'python')], options);
  if (version === undefined || !versionSatisfies(version, options.wanted)) {
    throw fail(`the installed ${venvProgram(dir, 'yamllint')} reports ${version ?? 'no version'}`);
  }
  return version;
}
