// Finding repo2docker: the one on PATH when it is the wanted version, else that version installed with pip into a
// virtual environment of its own (the tool cache when the runner has one, else RUNNER_TEMP), as on GitHub's runners.
import { constants } from 'node:fs';
import { access, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { which } from '@actions/io';
import { exists } from '@actions/io/lib/io-util';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { installIntoVenv, scriptHead, venvProgram } from '@hub-image-actions/pip-venv';
import { tailLines, type ProcessRunner } from '@hub-image-actions/process';
import { normalVersion, parseRepo2dockerVersion, sameVersion } from './versions.js';

export interface Repo2Docker {
  /** The executable to run. */
  path: string;
  version: string;
  /** How it was found, for the log. */
  origin: 'path' | 'tool-cache' | 'installed';
}

export interface FindOptions {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  wanted: string;
  /** Where to install: RUNNER_TOOL_CACHE, else RUNNER_TEMP. */
  toolCache: string | undefined;
  runnerTemp: string;
  log: (line: string) => void;
}

/** `repo2docker --version` of one executable; undefined when it does not run. */
export async function versionOf(
  runner: ProcessRunner,
  path: string,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const result = await runner.run(path, ['--version'], {
    env,
    timeoutMs: 60_000,
    ...(signal ? { signal } : {}),
  });
  if (result.exitCode !== 0) return undefined;
  return parseRepo2dockerVersion(`${result.stdout}\n${result.stderr}`);
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch {
    return [];
  }
}

/**
 * The version pip recorded for the installation a `repo2docker` console script belongs to, read from its
 * `jupyter_repo2docker-VERSION.dist-info` folder without starting Python (repo2docker takes about a second to
 * print its version). Undefined when the script is not a pip console script or the metadata is not where pip puts
 * it: the caller then asks the program itself.
 */
export async function recordedVersion(scriptPath: string): Promise<string | undefined> {
  const head = (await scriptHead(scriptPath, 4096))?.toString('utf8');
  const interpreter = head === undefined ? undefined : /^#!(\S+)\s*\n/.exec(head)?.[1];
  if (interpreter === undefined || interpreter.endsWith('/env') || !/\brepo2docker\b/.test(head ?? '')) {
    return undefined;
  }
  const prefix = dirname(dirname(interpreter));
  const versions = new Set<string>();
  for (const lib of ['lib', 'lib64']) {
    for (const python of (await listDir(join(prefix, lib))).filter((name) => name.startsWith('python'))) {
      for (const packages of ['site-packages', 'dist-packages']) {
        for (const entry of await listDir(join(prefix, lib, python, packages))) {
          const match = /^jupyter_repo2docker-(.+)\.dist-info$/.exec(entry);
          if (match?.[1]) versions.add(match[1]);
        }
      }
    }
  }
  return versions.size === 1 ? [...versions][0] : undefined;
}

/**
 * What is on PATH, without installing anything. Started before we know whether a build is needed, so the build
 * does not wait for it; `signal` stops it when the image is reused instead.
 */
export async function probePath(
  runner: ProcessRunner,
  env: NodeJS.ProcessEnv,
  signal?: AbortSignal,
): Promise<{ path: string; version: string | undefined } | undefined> {
  const path = await which('repo2docker');
  if (path === '') return undefined;
  return { path, version: (await recordedVersion(path)) ?? (await versionOf(runner, path, env, signal)) };
}

export function installDir(wanted: string, toolCache: string | undefined, runnerTemp: string): string {
  return toolCache
    ? join(toolCache, 'jupyter-repo2docker', wanted, process.arch)
    : join(runnerTemp, `jupyter-repo2docker-${wanted}`);
}

function pipProblem(what: string, output: string, wanted: string): ConfigurationError {
  const tail = tailLines(output, 12).join('\n');
  return new ConfigurationError(
    `${what}:\n${tail}`,
    `Check that jupyter-repo2docker ${wanted} exists on PyPI and that this runner can reach it (or its pip index), ` +
      `or put repo2docker ${wanted} on PATH before this step`,
  );
}

/** Installs `jupyter-repo2docker==wanted` into a fresh virtual environment; returns its `repo2docker`. */
async function install(options: FindOptions, dir: string): Promise<string> {
  const { runner, env, wanted, log } = options;
  log(`Installing jupyter-repo2docker==${wanted} with pip into ${dir}`);
  const requirement = `jupyter-repo2docker==${wanted}`;
  const outcome = await installIntoVenv({
    runner,
    env,
    dir,
    requirement,
    onLine: (line) => log(`  ${line}`),
  });
  if (outcome.ok) return venvProgram(dir, 'repo2docker');
  if (outcome.stage === 'python3') {
    throw new ConfigurationError(
      `repo2docker ${wanted} is not on PATH, and there is no python3 to install it with`,
      'Install Python 3 first (e.g. actions/setup-python), or put repo2docker on PATH',
    );
  }
  const output = `${outcome.result.stdout}\n${outcome.result.stderr}`;
  throw pipProblem(
    outcome.stage === 'venv'
      ? `could not create a virtual environment for repo2docker with ${outcome.python3} -m venv (install python3-venv?)`
      : `pip could not install ${requirement}`,
    output,
    wanted,
  );
}

/** Finds or installs the wanted repo2docker; `onPath` is the result of an earlier `probePath`. */
export async function findRepo2docker(
  given: FindOptions,
  onPath: { path: string; version: string | undefined } | undefined,
): Promise<Repo2Docker> {
  const options = { ...given, wanted: normalVersion(given.wanted) };
  const { wanted, log } = options;
  if (onPath?.version !== undefined && sameVersion(onPath.version, wanted)) {
    return { path: onPath.path, version: normalVersion(onPath.version), origin: 'path' };
  }
  if (onPath !== undefined) {
    log(
      `repo2docker on PATH (${onPath.path}) is ${onPath.version === undefined ? 'not working' : normalVersion(onPath.version)}, not ${wanted}: using ${wanted} in its own environment`,
    );
  }
  const dir = installDir(wanted, options.toolCache, options.runnerTemp);
  const cached = venvProgram(dir, 'repo2docker');
  const marker = `${dir}.complete`;
  // The marker is written last, so a half-finished install (a cancelled job) is never taken for a complete one.
  if ((await exists(marker)) && (await isExecutable(cached))) {
    const version = await versionOf(options.runner, cached, options.env);
    if (version !== undefined && sameVersion(version, wanted)) {
      return { path: cached, version: normalVersion(version), origin: 'tool-cache' };
    }
  }
  const installed = await install(options, dir);
  const version = await versionOf(options.runner, installed, options.env);
  if (version === undefined || !sameVersion(version, wanted)) {
    throw new ConfigurationError(
      `pip installed jupyter-repo2docker==${wanted}, but ${installed} --version says ${version ?? 'nothing'}`,
      'Report this: the package and its version disagree',
    );
  }
  await writeFile(marker, '');
  return { path: installed, version: normalVersion(version), origin: 'installed' };
}
