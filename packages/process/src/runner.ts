import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { refusedBy, trackChild } from './cancel.js';
import { childEnv } from './child-env.js';

export interface RunOptions {
  cwd?: string;
  /**
   * Replaces the environment when given; merge with process.env yourself to extend it. Either way the child never
   * gets the withheld variables (`INPUT_*`, `ACTIONS_ID_TOKEN_REQUEST_*`, `ACTIONS_RUNTIME_TOKEN`) unless named in
   * `handOver`.
   */
  env?: NodeJS.ProcessEnv;
  /** Withheld variables this child needs, by exact name. */
  handOver?: readonly string[];
  /** Written to the child's stdin, then stdin is closed. Use it for secrets: argv is visible to every process. */
  stdin?: string | Buffer;
  /** Copy the child's output to our stdout as it arrives (for build logs). Off by default. */
  echo?: boolean;
  /** Called with each complete line of stdout and of stderr. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Kill the child after this many milliseconds. */
  timeoutMs?: number;
  /** Kill the child (SIGTERM) when this signal aborts, e.g. when its answer is no longer needed. */
  signal?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  /** Set when the child was killed by a signal, e.g. after a timeout. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  /**
   * stdout exactly as the child wrote it, for output that is not text (file names are bytes). The system runner
   * always sets it; a test double may leave it out, and `stdoutBytesOf` then takes stdout's UTF-8.
   */
  stdoutBytes?: Buffer;
  stderr: string;
}

export interface ProcessRunner {
  /** Runs `command` with `args` as argv, never through a shell. Resolves whatever the exit code. */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
}

const STDERR_TAIL_LINES = 20;

export function tailLines(text: string, count = STDERR_TAIL_LINES): string[] {
  const trimmed = text.replace(/\s+$/, '');
  return trimmed === '' ? [] : trimmed.split(/\r?\n/).slice(-count);
}

/** stdout as bytes: `stdoutBytes` when the runner kept them, else stdout's UTF-8. */
export function stdoutBytesOf(result: RunResult): Buffer {
  return result.stdoutBytes ?? Buffer.from(result.stdout);
}

/** A program that exited non-zero (or could not start). Carries the last lines of its stderr. */
export class ProcessError extends Error {
  readonly command: string;
  readonly args: readonly string[];
  readonly result: RunResult;
  readonly stderrTail: string[];

  // No parameter properties: the test harness loads this file with Node's type stripping, which cannot erase them.
  constructor(command: string, args: readonly string[], result: RunResult) {
    const tail = tailLines(result.stderr.trim() === '' ? result.stdout : result.stderr);
    const how = result.timedOut
      ? 'timed out'
      : result.signal !== null
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
    super(`${[command, ...args].join(' ')} ${how}${tail.length > 0 ? `:\n${tail.join('\n')}` : ''}`);
    this.name = 'ProcessError';
    this.command = command;
    this.args = args;
    this.result = result;
    this.stderrTail = tail;
  }
}

/** Runs and throws a ProcessError unless the exit code is 0. */
export async function runChecked(
  runner: ProcessRunner,
  command: string,
  args: readonly string[],
  options?: RunOptions,
): Promise<RunResult> {
  const result = await runner.run(command, args, options);
  if (result.exitCode !== 0 || result.timedOut) throw new ProcessError(command, args, result);
  return result;
}

/** Decodes a stream chunk by chunk (a character split between two writes stays whole) and emits its lines. */
function lineSplitter(emit: (line: string) => void): { push: (chunk: Buffer) => void; end: () => void } {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  return {
    push(chunk) {
      pending += decoder.write(chunk);
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        emit(pending.slice(0, newline).replace(/\r$/, ''));
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
      }
    },
    end() {
      pending += decoder.end();
      if (pending !== '') emit(pending);
      pending = '';
    },
  };
}

/**
 * The real runner: node's spawn with `shell: false`. A missing program resolves with exit code 127. Once the run is
 * cancelled (`cancelRun`), nothing new starts, except from a cleanup: it resolves as killed by the signal.
 */
export const systemRunner: ProcessRunner = {
  run(command, args, options = {}) {
    const refused = refusedBy();
    if (refused !== undefined) {
      return Promise.resolve({
        exitCode: 128,
        signal: refused,
        timedOut: false,
        stdout: '',
        stderr: `${command}: not started, the step was cancelled (${refused})\n`,
      });
    }
    return new Promise((resolve) => {
      const child = spawn(command, [...args], {
        cwd: options.cwd,
        env: childEnv(options.env ?? process.env, options.handOver),
        shell: false,
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(options.signal ? { signal: options.signal } : {}),
      });
      trackChild(child);
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      let settled = false;
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              child.kill('SIGKILL');
            }, options.timeoutMs);
      const splitters = {
        stdout: lineSplitter((line) => options.onLine?.(line, 'stdout')),
        stderr: lineSplitter((line) => options.onLine?.(line, 'stderr')),
      };
      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(chunk);
        if (options.echo) process.stdout.write(chunk);
        splitters.stdout.push(chunk);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(chunk);
        if (options.echo) process.stdout.write(chunk);
        splitters.stderr.push(chunk);
      });
      const finish = (exitCode: number, signal: NodeJS.Signals | null, extraStderr = ''): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        splitters.stdout.end();
        splitters.stderr.end();
        const stdoutBytes = Buffer.concat(stdout);
        resolve({
          exitCode,
          signal,
          timedOut,
          stdout: stdoutBytes.toString('utf8'),
          stdoutBytes,
          stderr: Buffer.concat(stderr).toString('utf8') + extraStderr,
        });
      };
      child.on('error', (error: NodeJS.ErrnoException) => {
        // An abort kills the child; its 'close' event then reports the signal.
        if (error.code === 'ABORT_ERR') return;
        finish(error.code === 'ENOENT' ? 127 : 126, null, `${command}: ${error.message}\n`);
      });
      child.on('close', (code, signal) => finish(code ?? 128, signal));
      child.stdin.on('error', () => {
        // The child may exit without reading stdin (EPIPE); its exit code tells what happened.
      });
      if (options.stdin !== undefined) child.stdin.end(options.stdin);
      else child.stdin.end();
    });
  },
};
