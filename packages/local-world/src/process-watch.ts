/**
 * Watches the processes an action starts, through /proc: every descendant of its process seen while it runs, with
 * the argv and environment it was started with (`/proc/PID/cmdline`, `/proc/PID/environ`), and the processes of its
 * process group still running when it exits. Polling can miss a program that lives a few milliseconds; the argv
 * shims of `runAction` (`recordArgvOf`) record those exactly, environment included.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface SeenProcess {
  pid: number;
  argv: string[];
  env: Record<string, string>;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
}

/** NUL-separated fields, as in cmdline and environ. */
function fields(text: string): string[] {
  return text.split('\0').filter((field) => field !== '');
}

export function parseEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of fields(text)) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((task) =>
    fields((read(`/proc/${pid}/task/${task}/children`) ?? '').replace(/ /g, '\0')).map(Number),
  );
}

/** `/proc/PID/stat` after the command name: state, ppid, pgrp, … */
function statOf(pid: number): { state: string; pgrp: number } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  const [state = '', , pgrp = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, pgrp: Number(pgrp) };
}

/** Live (not zombie) processes whose process group is `pgid`. */
export function processGroupMembers(pgid: number): SeenProcess[] {
  const members: SeenProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const pid = Number(name);
    const stat = statOf(pid);
    if (stat === undefined || stat.pgrp !== pgid || stat.state === 'Z') continue;
    members.push({
      pid,
      argv: fields(read(`/proc/${pid}/cmdline`) ?? ''),
      env: parseEnviron(read(`/proc/${pid}/environ`) ?? ''),
    });
  }
  return members;
}

export class ProcessWatch {
  readonly seen: SeenProcess[] = [];
  private readonly keys = new Set<string>();
  private readonly rootPid: number;
  private readonly timer: NodeJS.Timeout;

  // No parameter properties: Node's type stripping, which loads this package in places, cannot erase them.
  constructor(rootPid: number, intervalMs = 5) {
    this.rootPid = rootPid;
    this.timer = setInterval(() => this.scan(), intervalMs);
    this.scan();
  }

  /** One more look, then no more; `also` are processes found otherwise (e.g. still in the group at exit). */
  stop(also: readonly SeenProcess[] = []): SeenProcess[] {
    clearInterval(this.timer);
    this.scan();
    for (const found of also) this.note(found);
    return this.seen;
  }

  private note(found: SeenProcess): void {
    const key = `${found.pid}\0${found.argv.join('\0')}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.seen.push(found);
  }

  private scan(): void {
    const rootCmdline = read(`/proc/${this.rootPid}/cmdline`);
    const pending = childrenOf(this.rootPid);
    while (pending.length > 0) {
      const pid = pending.pop() ?? 0;
      pending.push(...childrenOf(pid));
      const cmdline = read(`/proc/${pid}/cmdline`);
      // Between fork and exec a child is still a copy of its parent, environment included: not yet a program.
      if (cmdline === undefined || cmdline === '' || cmdline === rootCmdline) continue;
      if (this.keys.has(`${pid}\0${fields(cmdline).join('\0')}`)) continue;
      const environ = read(`/proc/${pid}/environ`);
      if (environ !== undefined) this.note({ pid, argv: fields(cmdline), env: parseEnviron(environ) });
    }
  }
}
