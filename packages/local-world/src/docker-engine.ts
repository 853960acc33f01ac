import { spawn } from 'node:child_process';
import { ProcessError, systemRunner } from '@hub-image-actions/process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheDir } from './tmp.js';
import { waitFor } from './net.js';

export interface CommandOptions {
  /** Written to the child's stdin, then stdin is closed. Secrets go here, never in argv. */
  stdin?: string | Buffer;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
  /** Extra variables on top of process.env (read when the command runs, so DOCKER_HOST is current). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child (SIGKILL) after this long; a timeout always throws. */
  timeoutMs?: number;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Runs `command` with `args` as argv (never a shell) and collects its output; throws on failure unless allowed. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: CommandOptions = {},
): Promise<CommandResult> {
  const result = await systemRunner.run(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: options.stdin,
    timeoutMs: options.timeoutMs,
  });
  if (result.timedOut || (result.exitCode !== 0 && !options.allowFailure)) {
    throw new ProcessError(command, args, result);
  }
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** The docker CLI, talking to the engine in process.env.DOCKER_HOST (set by global setup) or the default one. */
export function docker(args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return runCommand('docker', args, options);
}

export async function imageExists(ref: string): Promise<boolean> {
  const result = await docker(['image', 'inspect', '--format', '{{.Id}}', ref], { allowFailure: true });
  return result.exitCode === 0;
}

/** The image's id (`sha256:…`); throws when the image does not exist. */
export async function imageId(ref: string): Promise<string> {
  const result = await docker(['image', 'inspect', '--format', '{{.Id}}', ref]);
  return result.stdout.trim();
}

export async function imageLabels(ref: string): Promise<Record<string, string>> {
  const result = await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', ref]);
  return (JSON.parse(result.stdout) as Record<string, string> | null) ?? {};
}

/** Removes the images (tags) that exist; missing ones are fine. */
export async function removeImages(refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    const result = await docker(['image', 'rm', '--force', ref], { allowFailure: true });
    if (result.exitCode !== 0 && !/No such image/i.test(result.stderr)) {
      throw new Error(`docker image rm ${ref} failed: ${tail(result.stderr)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// A private dockerd, for machines where no engine answers.

export interface DockerdPaths {
  /** Images and layers; kept between runs so images survive. */
  dataRoot: string;
  /** Runtime state (containerd's sockets); short, because unix socket paths are limited to 108 bytes. */
  execRoot: string;
  pidFile: string;
  socketPath: string;
  logFile: string;
}

export interface DockerdOptions extends DockerdPaths {
  dockerdPath?: string;
  /** E.g. `--bridge=none` for a second engine beside a running one. */
  extraArgs?: readonly string[];
  startTimeoutMs?: number;
}

/** What was started, so that exactly these processes can be stopped later (also from another process). */
export interface StartedDockerd {
  pid: number;
  containerdPid: number | undefined;
  /** The value for DOCKER_HOST. */
  host: string;
  paths: DockerdPaths;
}

const INSTALL_HINT = 'install it with `apt-get install docker.io` (Debian) or start a docker engine yourself';

export interface EngineOptions {
  /** Holds the socket, pid file, exec root, log and the record of what was started; keep it short. */
  runtimeDir?: string;
  dataRoot?: string;
  dockerdPath?: string;
  extraArgs?: readonly string[];
}

function defaultRuntimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? '/run/hia-dockerd' : `/tmp/hia-dockerd-${uid}`;
}

/** Short runtime paths under /run (root) or /tmp, and a data root in the harness cache that survives runs. */
export function dockerdPaths(options: EngineOptions = {}): DockerdPaths {
  const runtimeDir = options.runtimeDir ?? defaultRuntimeDir();
  return {
    dataRoot: options.dataRoot ?? join(cacheDir(), 'dockerd'),
    execRoot: join(runtimeDir, 'exec'),
    pidFile: join(runtimeDir, 'dockerd.pid'),
    socketPath: join(runtimeDir, 'docker.sock'),
    logFile: join(runtimeDir, 'dockerd.log'),
  };
}

/** Where `ensureDockerEngine` records the dockerd it started, for `stopStartedEngine`. */
export function engineStateFile(options: EngineOptions = {}): string {
  return join(options.runtimeDir ?? defaultRuntimeDir(), 'started.json');
}

/** Whether `docker info` answers, for the engine in `host` (or DOCKER_HOST / the default socket). */
export async function dockerInfoWorks(host?: string): Promise<boolean> {
  const env = host === undefined ? {} : { DOCKER_HOST: host };
  try {
    const result = await docker(['info', '--format', '{{.ServerVersion}}'], {
      allowFailure: true,
      env,
      timeoutMs: 20_000,
    });
    return result.exitCode === 0 && result.stdout.trim() !== '';
  } catch {
    return false;
  }
}

/** Alive and not a zombie. */
/** True for a live process; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/^\d+ \(.*\) Z/.test(readProcFile(pid, 'stat'));
}

function readProcFile(pid: number, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return '';
  }
}

/** Guards against pid reuse: only signal a process whose command line names our own paths. */
function isOurs(pid: number, marker: string): boolean {
  return isRunning(pid) && readProcFile(pid, 'cmdline').split('\0').join(' ').includes(marker);
}

async function readLogTail(logFile: string): Promise<string> {
  try {
    return tail(await readFile(logFile, 'utf8'), 25);
  } catch {
    return '(no log)';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function startDockerd(options: DockerdOptions): Promise<StartedDockerd> {
  const { dockerdPath = 'dockerd', extraArgs = [], startTimeoutMs = 60_000, ...paths } = options;
  const dirs = [
    paths.dataRoot,
    paths.execRoot,
    ...[paths.socketPath, paths.logFile, paths.pidFile].map(dirname),
  ];
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  const host = `unix://${paths.socketPath}`;
  // dockerd starts its own containerd and records its pid here.
  const containerdPidFile = join(paths.execRoot, 'containerd', 'containerd.pid');
  const args = [
    '--data-root',
    paths.dataRoot,
    '--exec-root',
    paths.execRoot,
    '--pidfile',
    paths.pidFile,
    '-H',
    host,
    ...extraArgs,
  ];

  const logFd = openSync(paths.logFile, 'w');
  const child = spawn(dockerdPath, args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  let exit: string | undefined;
  child.on('error', (error) => (exit = `could not start: ${error.message}`));
  child.on('exit', (code, signal) => (exit = `exited with ${signal ?? `code ${code}`}`));
  // Teardown may run in another process; this one must not wait for dockerd to exit.
  child.unref();

  const fail = async (why: string): Promise<never> => {
    if (child.pid !== undefined && isRunning(child.pid)) {
      await stopDockerd({ pid: child.pid, containerdPid: await readPid(containerdPidFile), host, paths });
    }
    const log = await readLogTail(paths.logFile);
    throw new Error(`dockerd ${why}; ${INSTALL_HINT}.\n--- ${paths.logFile} ---\n${log}`);
  };

  await new Promise((resolve) => setImmediate(resolve));
  if (child.pid === undefined || exit !== undefined) return fail(exit ?? 'could not start');
  const pid = child.pid;

  let state: 'up' | 'exited';
  try {
    state = await waitFor(
      `dockerd at ${host}`,
      async () => (exit !== undefined ? 'exited' : (await dockerInfoWorks(host)) ? 'up' : undefined),
      { timeoutMs: startTimeoutMs, intervalMs: 250 },
    );
  } catch {
    return fail(`did not answer within ${startTimeoutMs} ms`);
  }
  if (state === 'exited') return fail(exit ?? 'exited');
  const containerdPid = await readPid(containerdPidFile);
  return { pid, containerdPid, host, paths };
}

async function terminate(pid: number, marker: string, graceMs: number): Promise<void> {
  if (!isOurs(pid, marker)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid)) {
    process.kill(pid, 'SIGKILL');
    const killDeadline = Date.now() + 10_000;
    while (isRunning(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, wait, SIGKILL: dockerd first, then its containerd if it outlived it. Touches nothing else. */
export async function stopDockerd(started: StartedDockerd): Promise<void> {
  await terminate(started.pid, started.paths.pidFile, 20_000);
  if (started.containerdPid !== undefined)
    await terminate(started.containerdPid, started.paths.execRoot, 10_000);
  await rm(started.paths.socketPath, { force: true });
}

/**
 * Makes sure a docker engine answers: the one in DOCKER_HOST or the default socket if `docker info` works,
 * otherwise a private dockerd whose DOCKER_HOST is exported into process.env (test workers inherit it).
 * Returns what it started, if anything; it is also recorded for `stopStartedEngine`.
 */
export async function ensureDockerEngine(options: EngineOptions = {}): Promise<StartedDockerd | undefined> {
  if (await dockerInfoWorks()) return undefined;
  await stopStartedEngine(options); // a dockerd left behind by a crashed run of ours
  const started = await startDockerd({
    ...dockerdPaths(options),
    dockerdPath: options.dockerdPath,
    extraArgs: options.extraArgs,
  });
  await writeFile(engineStateFile(options), JSON.stringify(started, null, 2));
  process.env['DOCKER_HOST'] = started.host;
  return started;
}

/** Stops the dockerd that `ensureDockerEngine` started (per its state file), and nothing else. */
export async function stopStartedEngine(options: EngineOptions = {}): Promise<StartedDockerd | undefined> {
  let started: StartedDockerd;
  try {
    started = JSON.parse(await readFile(engineStateFile(options), 'utf8')) as StartedDockerd;
  } catch {
    return undefined;
  }
  await stopDockerd(started);
  await rm(engineStateFile(options), { force: true });
  return started;
}
