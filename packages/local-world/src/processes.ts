import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './net.js';

/**
 * Processes as /proc shows them. A pid alone is not an identity (pids are reused), so the harness keeps a pid with
 * its start time, and signals a process only while both still match.
 */
export interface ProcessId {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks after boot. */
  startTime: number;
}

interface ProcStat {
  state: string;
  pgrp: number;
  startTime: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "PID (COMM) STATE PPID PGRP … STARTTIME …": COMM may hold spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (fields[0] === undefined || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  return { state: fields[0], pgrp, startTime };
}

/** True for a live process; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** The pid with its start time, or undefined when no such process runs. */
export function identify(pid: number): ProcessId | undefined {
  const stat = readStat(pid);
  return stat === undefined || stat.state === 'Z' ? undefined : { pid, startTime: stat.startTime };
}

/** Whether the process `id` names still runs (the same one, not a later process with its pid). */
export function stillRuns(id: ProcessId): boolean {
  return identify(id.pid)?.startTime === id.startTime;
}

/** The command line, arguments joined by spaces; '' when the process is gone. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Every live process: pid, process group and start time. */
export function listProcesses(): Array<ProcessId & { pgrp: number }> {
  const processes: Array<ProcessId & { pgrp: number }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat !== undefined && stat.state !== 'Z') processes.push({ pid: Number(name), ...stat });
  }
  return processes;
}

/**
 * Live members of the process group that `leader` started (its pid is the group id). Members must have started no
 * earlier than the leader, so a later group that reuses the number is not taken for it.
 */
export function groupMembers(leader: ProcessId): number[] {
  return listProcesses()
    .filter((p) => p.pgrp === leader.pid && p.startTime >= leader.startTime)
    .map((p) => p.pid);
}

// ---------------------------------------------------------------------------------------------------------
// The processes a test run started, so that none outlives it.

/** Set by global setup: the run's own directory (its processes, its engine lease). Test workers inherit it. */
export const RUN_DIR_VARIABLE = 'HIA_RUN_DIR';

export interface TrackedProcess extends ProcessId {
  /** What it is, for the report, e.g. `git http-backend (git server http://127.0.0.1:4000)`. */
  what: string;
  /** It leads a process group of its own (spawned detached): the whole group is stopped. */
  group: boolean;
}

const tracked = new Map<number, TrackedProcess>();
let exitHookInstalled = false;

function recordsDir(runDir: string): string {
  return join(runDir, 'processes');
}

function kill(target: TrackedProcess): void {
  try {
    if (isAlive(target)) process.kill(target.group ? -target.pid : target.pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}

/**
 * Records a harness service's process for the run, so global teardown stops it if it still runs (a test failed before
 * its `stop()`, a worker was killed); the record goes when the process exits. Outside jest's sandbox, where `process`
 * is the real one, it is also killed when this process exits.
 */
export function trackProcess(child: ChildProcess, what: string, { group }: { group: boolean }): void {
  if (child.pid === undefined) return;
  const id = identify(child.pid);
  if (id === undefined) return;
  const entry: TrackedProcess = { ...id, what, group };
  tracked.set(id.pid, entry);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => tracked.forEach(kill));
  }
  const runDir = process.env[RUN_DIR_VARIABLE];
  const record = runDir === undefined ? undefined : join(recordsDir(runDir), `${id.pid}.json`);
  if (record !== undefined) {
    try {
      mkdirSync(recordsDir(runDir ?? ''), { recursive: true });
      writeFileSync(record, JSON.stringify(entry));
    } catch {
      // a run dir removed under us: the exit hook still covers this process
    }
  }
  child.once('exit', () => {
    tracked.delete(id.pid);
    // Anything the group leader left behind goes with it.
    if (group) kill(entry);
    if (record !== undefined) {
      try {
        unlinkSync(record);
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Kills every process recorded in `runDir` that still runs (or whose group still has members), waits until they are
 * gone, and returns them.
 */
export async function stopLeftProcesses(runDir: string): Promise<TrackedProcess[]> {
  const names = readdirSafe(recordsDir(runDir));
  const stopped: TrackedProcess[] = [];
  for (const name of names) {
    const file = join(recordsDir(runDir), name);
    let entry: TrackedProcess | undefined;
    try {
      entry = JSON.parse(readFileSync(file, 'utf8')) as TrackedProcess;
    } catch {
      // written half by a worker that was killed: nothing to go on
    }
    if (entry !== undefined && isAlive(entry)) {
      kill(entry);
      stopped.push(entry);
    }
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
  for (const entry of stopped) {
    await waitFor(
      `${entry.what} (pid ${entry.pid}) to exit`,
      async () => (isAlive(entry) ? undefined : true),
      {
        timeoutMs: 10_000,
      },
    );
  }
  return stopped;
}

function isAlive(entry: TrackedProcess): boolean {
  return entry.group ? groupExists(entry.pid) && groupMembers(entry).length > 0 : stillRuns(entry);
}

/** Cheap first look (no /proc scan): whether any process has this group id. */
function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function runsRoot(): string {
  return join(tmpdir(), 'hia-runs');
}

/**
 * Opens this test run's directory and exports it to the workers (RUN_DIR_VARIABLE). Runs that ended without their
 * teardown (Ctrl-C, a crash) left theirs: their processes are stopped and their directories removed here.
 */
export async function openRun(): Promise<{ runDir: string; leftByEndedRuns: TrackedProcess[] }> {
  const me = identify(process.pid);
  const runDir = join(runsRoot(), `${me?.pid}-${me?.startTime}`);
  const leftByEndedRuns: TrackedProcess[] = [];
  for (const name of readdirSafe(runsRoot())) {
    const match = /^(\d+)-(\d+)$/.exec(name);
    if (match === null || join(runsRoot(), name) === runDir) continue;
    if (stillRuns({ pid: Number(match[1]), startTime: Number(match[2]) })) continue;
    leftByEndedRuns.push(...(await stopLeftProcesses(join(runsRoot(), name))));
    rmSync(join(runsRoot(), name), { recursive: true, force: true });
  }
  mkdirSync(recordsDir(runDir), { recursive: true });
  process.env[RUN_DIR_VARIABLE] = runDir;
  return { runDir, leftByEndedRuns };
}

/** Stops what the run's tests left running and removes the run's directory; returns what it had to stop. */
export async function closeRun(runDir: string): Promise<TrackedProcess[]> {
  const left = await stopLeftProcesses(runDir);
  rmSync(runDir, { recursive: true, force: true });
  return left;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
