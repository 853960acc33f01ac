import { spawn } from 'node:child_process';
import { ProcessError, systemRunner } from '@hub-image-actions/process';
import { randomInt } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { withLockFile } from './lock.js';
import { waitFor } from './net.js';
import { commandLine, identify, isRunning, listProcesses, stillRuns, type ProcessId } from './processes.js';
import { cacheDir } from './tmp.js';

export { isRunning } from './processes.js';

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
// The harness's dockerd, for machines where no engine answers. One per runtime dir (one per machine by default),
// shared by the test runs that need it: each run holds a lease on it, and the last run to let go stops it. So two
// runs never stop each other's engine, and never run two dockerds on one data root.

export interface DockerdPaths {
  /** Images and layers; kept between runs so images survive. Never one another dockerd uses. */
  dataRoot: string;
  /** Runtime state (containerd's sockets); short, because unix socket paths are limited to 108 bytes. */
  execRoot: string;
  pidFile: string;
  socketPath: string;
  logFile: string;
}

export interface DockerdOptions extends DockerdPaths {
  dockerdPath?: string;
  /** E.g. `--bridge=NAME --iptables=false` for a second engine beside a running one. */
  extraArgs?: readonly string[];
  startTimeoutMs?: number;
}

/** What was started, so that exactly these processes can be stopped later (also from another process). */
export interface StartedDockerd {
  pid: number;
  /** With `pid`, names the process itself and not a later one that got its pid. */
  startTime?: number;
  containerdPid: number | undefined;
  /** The value for DOCKER_HOST. */
  host: string;
  paths: DockerdPaths;
  /** The bridge the harness made for it, beside another engine; removed when it stops. */
  bridge?: string;
}

/** The harness's engine as `ensureDockerEngine` hands it to a run. */
export interface EngineLease extends StartedDockerd {
  /** Another run had started it; this run joined. */
  joined: boolean;
}

const INSTALL_HINT = 'install it with `apt-get install docker.io` (Debian) or start a docker engine yourself';

export interface EngineOptions {
  /** Holds the socket, pid file, exec root, log, the record of the engine and its leases; keep it short. */
  runtimeDir?: string;
  /** Default: `dockerd` in the harness cache, or `dockerd-2`, `dockerd-3`… when another dockerd uses it. */
  dataRoot?: string;
  dockerdPath?: string;
  extraArgs?: readonly string[];
}

// Not /run/hia-dockerd, where harnesses before the shared engine kept a record that their teardown acted on blindly.
function defaultRuntimeDir(): string {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? '/run/hia-engine' : `/tmp/hia-engine-${uid}`;
}

function runtimeDirOf(options: EngineOptions): string {
  return options.runtimeDir ?? defaultRuntimeDir();
}

/** Short runtime paths under /run (root) or /tmp, and a data root in the harness cache that survives runs. */
export function dockerdPaths(options: EngineOptions = {}): DockerdPaths {
  const runtimeDir = runtimeDirOf(options);
  return {
    dataRoot: options.dataRoot ?? join(cacheDir(), 'dockerd'),
    execRoot: join(runtimeDir, 'exec'),
    pidFile: join(runtimeDir, 'dockerd.pid'),
    socketPath: join(runtimeDir, 'docker.sock'),
    logFile: join(runtimeDir, 'dockerd.log'),
  };
}

/** Where `ensureDockerEngine` records the dockerd it started. */
export function engineStateFile(options: EngineOptions = {}): string {
  return join(runtimeDirOf(options), 'engine.json');
}

/** The lease this process holds on the harness's engine while it uses it. */
export function engineLeaseFile(
  options: EngineOptions = {},
  holder: ProcessId | undefined = identify(process.pid),
): string {
  return join(runtimeDirOf(options), 'leases', `${holder?.pid}-${holder?.startTime}.json`);
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

/** Guards against pid reuse: only signal a process whose command line names our own paths. */
function isOurs(pid: number, marker: string, startTime?: number): boolean {
  if (startTime !== undefined && !stillRuns({ pid, startTime })) return false;
  return isRunning(pid) && commandLine(pid).includes(marker);
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

export interface RunningDockerd {
  pid: number;
  dataRoot: string;
}

/** The data root a dockerd command line uses: its flag, else its config file's, else the default. */
export function dataRootOfCommandLine(
  args: readonly string[],
  readConfig: (path: string) => string | undefined,
): string {
  let configFile = '/etc/docker/daemon.json';
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const next = args[i + 1];
    const value = (flag: string) =>
      arg === flag ? next : arg.startsWith(`${flag}=`) ? arg.slice(flag.length + 1) : undefined;
    const dataRoot = value('--data-root') ?? value('--graph') ?? value('-g');
    if (dataRoot !== undefined) return resolve(dataRoot);
    configFile = value('--config-file') ?? configFile;
  }
  try {
    const config = JSON.parse(readConfig(configFile) ?? '{}') as Record<string, unknown>;
    const fromConfig = config['data-root'] ?? config['graph'];
    if (typeof fromConfig === 'string') return resolve(fromConfig);
  } catch {
    // unreadable: dockerd itself would refuse it
  }
  return '/var/lib/docker';
}

/** Every dockerd on this machine, with the data root it uses. */
export function runningDockerds(): RunningDockerd[] {
  const readText = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  return listProcesses()
    .filter(({ pid }) => readText(`/proc/${pid}/comm`)?.trim() === 'dockerd')
    .map(({ pid }) => {
      const argv = (readText(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
      const scriptOffset = argv.findIndex((arg) => arg.endsWith('dockerd'));
      return { pid, dataRoot: dataRootOfCommandLine(argv.slice(scriptOffset + 1), readText) };
    });
}

/** The harness's default data root, or the first `dockerd-N` beside it that no running dockerd uses. */
export function freeDataRoot(cache: string, inUse: ReadonlySet<string>): string {
  for (let n = 1; ; n++) {
    const candidate = join(cache, n === 1 ? 'dockerd' : `dockerd-${n}`);
    if (!inUse.has(candidate)) return candidate;
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
  const startTime = identify(pid)?.startTime;

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
  return { pid, startTime, containerdPid, host, paths };
}

async function terminate(pid: number, marker: string, graceMs: number, startTime?: number): Promise<void> {
  if (!isOurs(pid, marker, startTime)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid)) {
    process.kill(pid, 'SIGKILL');
    const killDeadline = Date.now() + 10_000;
    while (isRunning(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, wait, SIGKILL: dockerd first, then its containerd if it outlived it, then its bridge. Touches nothing else. */
export async function stopDockerd(started: StartedDockerd): Promise<void> {
  await terminate(started.pid, started.paths.pidFile, 20_000, started.startTime);
  if (started.containerdPid !== undefined)
    await terminate(started.containerdPid, started.paths.execRoot, 10_000);
  await rm(started.paths.socketPath, { force: true });
  if (started.bridge !== undefined) await removeBridge(started.bridge);
}

let bridgesMade = 0;

/** `hia-PID-N`: the process that made it, so a bridge whose maker and dockerd are gone can be told apart. */
function bridgeName(): string {
  bridgesMade += 1;
  return `hia-${process.pid.toString(16)}-${bridgesMade}`;
}

/** Removes the harness's bridges that no running dockerd uses and whose maker is gone (a crash left them). */
async function removeOrphanBridges(): Promise<void> {
  const links = (await runCommand('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout;
  const used = runningDockerds().flatMap(({ pid }) => commandLine(pid).split(' '));
  for (const [, name = '', maker = ''] of links.matchAll(/^\d+: (hia-([0-9a-f]+)-\d+)[:@]/gm)) {
    if (isRunning(Number.parseInt(maker, 16)) || used.includes(`--bridge=${name}`)) continue;
    await removeBridge(name);
  }
}

/**
 * A bridge of its own for a dockerd beside another engine, and the flags that keep it off the other's bridge,
 * iptables chains and containerd namespace. (`--bridge=none` would make dockerd delete docker0.)
 */
async function besideAnotherEngine(): Promise<{ bridge: string; args: string[] }> {
  await removeOrphanBridges();
  const bridge = bridgeName();
  const inUse = (await runCommand('ip', ['-4', '-o', 'addr', 'show'])).stdout;
  const free = Array.from({ length: 254 }, (_, i) => i + 1).filter((n) => !inUse.includes(` 10.231.${n}.`));
  const subnet = free[randomInt(free.length)];
  if (subnet === undefined) throw new Error('no free 10.231.N.0/24 subnet for a dockerd bridge');
  await runCommand('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
  try {
    await runCommand('ip', ['addr', 'add', `10.231.${subnet}.1/24`, 'dev', bridge]);
    await runCommand('ip', ['link', 'set', bridge, 'up']);
  } catch (error) {
    await removeBridge(bridge);
    throw error;
  }
  return {
    bridge,
    args: [
      `--bridge=${bridge}`,
      '--iptables=false',
      `--containerd-namespace=${bridge}`,
      `--containerd-plugins-namespace=${bridge}-plugins`,
    ],
  };
}

async function removeBridge(bridge: string): Promise<void> {
  await runCommand('ip', ['link', 'del', bridge], { allowFailure: true });
}

/** Starts the harness's dockerd on a data root no other dockerd uses, beside any engine already running. */
async function startHarnessEngine(options: EngineOptions): Promise<StartedDockerd> {
  const others = runningDockerds();
  const inUse = new Map(others.map((other) => [other.dataRoot, other.pid]));
  if (options.dataRoot !== undefined && inUse.has(resolve(options.dataRoot))) {
    throw new Error(
      `dockerd data root ${options.dataRoot} is in use by dockerd pid ${inUse.get(resolve(options.dataRoot))}; ` +
        'two engines on one data root corrupt it. Point DOCKER_HOST at that engine, or choose another data root.',
    );
  }
  const dataRoot = options.dataRoot ?? freeDataRoot(cacheDir(), new Set(inUse.keys()));
  let extraArgs = options.extraArgs ?? [];
  let beside: { bridge: string; args: string[] } | undefined;
  if (others.length > 0 && !extraArgs.some((arg) => arg.startsWith('--bridge'))) {
    beside = await besideAnotherEngine();
    extraArgs = [...extraArgs, ...beside.args];
  }
  try {
    const started = await startDockerd({
      ...dockerdPaths({ ...options, dataRoot }),
      dockerdPath: options.dockerdPath,
      extraArgs,
    });
    return beside === undefined ? started : { ...started, bridge: beside.bridge };
  } catch (error) {
    if (beside !== undefined) await removeBridge(beside.bridge);
    throw error;
  }
}

async function readEngineRecord(options: EngineOptions): Promise<StartedDockerd | undefined> {
  try {
    return JSON.parse(await readFile(engineStateFile(options), 'utf8')) as StartedDockerd;
  } catch {
    return undefined;
  }
}

/** The leases of live processes; those of processes that died (a crashed run) are removed. */
async function liveLeases(options: EngineOptions): Promise<ProcessId[]> {
  const dir = join(runtimeDirOf(options), 'leases');
  const live: ProcessId[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const match = /^(\d+)-(\d+)\.json$/.exec(name);
    const holder = match === null ? undefined : { pid: Number(match[1]), startTime: Number(match[2]) };
    if (holder !== undefined && stillRuns(holder)) live.push(holder);
    else await rm(join(dir, name), { force: true });
  }
  return live;
}

const ENGINE_LOCK_TIMEOUT_MS = 10 * 60_000;

function engineLock(options: EngineOptions): string {
  return join(runtimeDirOf(options), 'lock');
}

/**
 * Makes sure a docker engine answers: the one in DOCKER_HOST or the default socket if `docker info` works, else the
 * harness's dockerd, which this process then holds a lease on (joining it when another run started it, starting it
 * otherwise). Its DOCKER_HOST is exported into process.env (test workers inherit it). Undefined when the engine that
 * answered is not the harness's: then there is nothing to let go of.
 */
export async function ensureDockerEngine(options: EngineOptions = {}): Promise<EngineLease | undefined> {
  if (await dockerInfoWorks()) return undefined;
  return withLockFile(engineLock(options), { timeoutMs: ENGINE_LOCK_TIMEOUT_MS }, async () => {
    let engine = await readEngineRecord(options);
    if (engine !== undefined && !(await answersWhileItRuns(engine))) {
      if ((await liveLeases(options)).length > 0) {
        throw new Error(
          `the harness's dockerd (pid ${engine.pid}, ${engine.host}) runs but does not answer, and other test runs ` +
            `hold it; see ${engine.paths.logFile}`,
        );
      }
      await stopDockerd(engine); // left by runs that crashed
      await rm(engineStateFile(options), { force: true });
      engine = undefined;
    }
    const joined = engine !== undefined;
    if (engine === undefined) {
      engine = await startHarnessEngine(options);
      await writeFile(engineStateFile(options), JSON.stringify(engine, null, 2));
    }
    const lease = engineLeaseFile(options);
    await mkdir(dirname(lease), { recursive: true });
    await writeFile(lease, JSON.stringify({ host: engine.host }));
    process.env['DOCKER_HOST'] = engine.host;
    return { ...engine, joined };
  });
}

/** A recorded engine that still runs gets time to answer (a busy machine); one that is gone does not. */
async function answersWhileItRuns(engine: StartedDockerd): Promise<boolean> {
  const { pid, startTime } = engine;
  const runs = () => (startTime === undefined ? isRunning(pid) : stillRuns({ pid, startTime }));
  try {
    return await waitFor(
      `dockerd at ${engine.host}`,
      async () => (!runs() ? false : (await dockerInfoWorks(engine.host)) ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  } catch {
    return false;
  }
}

/**
 * Lets go of this process's lease on the harness's dockerd, and stops the engine when no live run holds it any more.
 * Returns the engine when it was stopped. A process that holds no lease stops nothing.
 */
export async function stopStartedEngine(options: EngineOptions = {}): Promise<StartedDockerd | undefined> {
  const lease = engineLeaseFile(options);
  if (!existsSync(lease)) return undefined;
  return withLockFile(engineLock(options), { timeoutMs: ENGINE_LOCK_TIMEOUT_MS }, async () => {
    await rm(lease, { force: true });
    if ((await liveLeases(options)).length > 0) return undefined;
    const engine = await readEngineRecord(options);
    if (engine === undefined) return undefined;
    await stopDockerd(engine);
    await rm(engineStateFile(options), { force: true });
    return engine;
  });
}
