// A cancelled step: the runner sends SIGINT, then SIGTERM 7.5 s later, to the action's node process alone, and kills
// what is left 2.5 s after that. Without help, the programs the action started would run on, and what it set up (a
// docker config holding a credential) would stay. `cancelRun` ends every live child, then runs the cleanups the
// action registered with `onCancel`.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();
const cleanups: Array<() => unknown> = [];
const inCleanup = new AsyncLocalStorage<true>();
let cancelledBy: NodeJS.Signals | undefined;

/** Called by the runner for every child it starts. */
export function trackChild(child: ChildProcess): void {
  live.add(child);
  const forget = () => live.delete(child);
  child.once('exit', forget);
  child.once('error', forget);
}

/** The signal that cancelled the run, while a new child would outlive it; undefined inside a cleanup. */
export function refusedBy(): NodeJS.Signals | undefined {
  return inCleanup.getStore() === undefined ? cancelledBy : undefined;
}

/** Runs `work` as cleanup: the programs it starts run even while the step is being cancelled. */
export function asCleanup<T>(work: () => Promise<T>): Promise<T> {
  return inCleanup.run(true, work);
}

/**
 * Registers work a cancelled run must still do, e.g. removing a docker config that holds a credential. Returns
 * the function that unregisters it, for when the work was done the ordinary way.
 */
export function onCancel(cleanup: () => unknown): () => void {
  cleanups.push(cleanup);
  return () => {
    const at = cleanups.indexOf(cleanup);
    if (at >= 0) cleanups.splice(at, 1);
  };
}

export interface CancelReport {
  /** Children that ended after `signal`. */
  ended: number;
  /** Children still running after the grace period, killed with SIGKILL. */
  killed: number;
  /** Cleanups that failed, with their error messages. */
  failures: string[];
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

/**
 * The processes below `roots` (children, grandchildren…), from /proc; none where there is no /proc. A program that
 * dies of a signal leaves its own children running (repo2docker's docker build), holding the pipes the action reads.
 */
export function descendantsOf(roots: readonly number[]): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // ended meanwhile
    }
  }
  const found: number[] = [];
  const wanted = new Set(roots);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (wanted.has(parent) && !wanted.has(pid)) {
        wanted.add(pid);
        found.push(pid);
        grew = true;
      }
    }
  }
  return found;
}

function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Ends every live child and the processes it started (`signal`, then SIGKILL after `graceMs`), then runs the
 * registered cleanups, newest first.
 * From then on the runner starts no child, except from a cleanup.
 */
export async function cancelRun(signal: NodeJS.Signals, graceMs = 1_500): Promise<CancelReport> {
  cancelledBy = signal;
  const children = [...live];
  // Read before the children end: an orphan's parent becomes pid 1.
  const below = descendantsOf(children.flatMap((child) => (child.pid === undefined ? [] : [child.pid])));
  for (const child of children) child.kill(signal);
  signalAll(below, signal);
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
  const all = Promise.all(children.map(exited));
  const late = (await Promise.race([all, graceOver])) === 'late';
  clearTimeout(timer);
  let killed = 0;
  if (late) {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        killed += 1;
      }
    }
    signalAll(below, 'SIGKILL');
    await all;
  }
  const failures: string[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await inCleanup.run(true, async () => cleanup());
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  return { ended: children.length - killed, killed, failures };
}
