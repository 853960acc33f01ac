/**
 * Finds a yamllint that satisfies `yamllint-version`: the one on PATH, one this action installed earlier, or
 * a fresh install with pip into a virtual environment of its own (never into the system's Python).
 */
import { type ProcessRunner, stdoutBytesOf, tailLines } from '@hub-image-actions/process';
import { constants } from 'node:fs';
import { access, open, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { decodeText, driverArgv, encodeArgs, pythonOfScript } from './driver.js';
import { YamllintUnavailableError } from './errors.js';
import { exists } from './local-files.js';
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
export async function findOnPath(name: string, path: string | undefined): Promise<string | undefined> {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

async function versionOf(command: string, options: SetupOptions): Promise<string | undefined> {
  const result = await options.runner.run(command, ['--version'], { env: options.env, timeoutMs: 60_000 });
  return result.exitCode === 0 ? parseVersionOutput(`${result.stdout}\n${result.stderr}`) : undefined;
}

/** The Python a yamllint script names in its first line, found on PATH when it is `env python3`. */
async function pythonOf(command: string, options: SetupOptions): Promise<string[] | undefined> {
  let head: Buffer;
  try {
    const file = await open(command);
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(1024), 0, 1024, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    return undefined;
  }
  const python = pythonOfScript(head);
  if (python === undefined || python[0] === undefined || python[0].includes('/')) return python;
  const found = await findOnPath(python[0], options.env['PATH']);
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
  const python = await pythonOf(command, options);
  const version = python === undefined ? undefined : await driverVersion(python, options);
  return python === undefined || version === undefined ? undefined : { python, version };
}

export function venvDir(toolRoot: string, wanted: string): string {
  return join(toolRoot, 'hub-image-actions-yamllint', wanted);
}

const COMPLETE_MARKER = '.install-complete';

export async function resolveYamllint(options: SetupOptions): Promise<Yamllint> {
  const onPath = await findOnPath('yamllint', options.env['PATH']);
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
  const command = join(dir, 'bin', 'yamllint');
  const python = [join(dir, 'bin', 'python')];
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

  const python3 = await findOnPath('python3', options.env['PATH']);
  if (python3 === undefined) throw fail('there is no python3 on PATH to install it with');
  await rm(dir, { recursive: true, force: true });
  let version: string | undefined;
  try {
    version = await install(python3, dir, requirement, options, fail);
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
  python3: string,
  dir: string,
  requirement: string,
  options: SetupOptions,
  fail: (why: string) => Error,
): Promise<string> {
  const python = [join(dir, 'bin', 'python')];
  const venv = await options.runner.run(python3, ['-m', 'venv', dir], {
    env: options.env,
    timeoutMs: 300_000,
  });
  if (venv.exitCode !== 0) {
    throw fail(
      `${python3} -m venv ${dir} failed (on Debian and Ubuntu it needs python3-venv):\n${tailLines(venv.stderr || venv.stdout, 6).join('\n')}`,
    );
  }
  const pip = await options.runner.run(
    join(dir, 'bin', 'python'),
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', requirement],
    { env: options.env, timeoutMs: 600_000 },
  );
  if (pip.exitCode !== 0) {
    const errors = (pip.stderr || pip.stdout).split('\n').filter((line) => line.startsWith('ERROR:'));
    throw fail(
      `pip install ${requirement} exited with code ${pip.exitCode}:\n${(errors.length > 0 ? errors : tailLines(pip.stderr || pip.stdout, 6)).join('\n')}`,
    );
  }
  const version = await driverVersion(python, options);
  if (version === undefined || !versionSatisfies(version, options.wanted)) {
    throw fail(`the installed ${join(dir, 'bin', 'yamllint')} reports ${version ?? 'no version'}`);
  }
  return version;
}
