// A Python tool installed with pip into a virtual environment of its own (never the system's Python), as the actions
// do when the runner lacks the version they need. What a failure means for the user is the caller's to say.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { which } from '@actions/io';
import type { ProcessRunner, RunResult } from '@hub-image-actions/process';

export interface PipVenvRequest {
  runner: ProcessRunner;
  env: NodeJS.ProcessEnv;
  /** The environment's folder: emptied first, and removed when anything fails or the step is cancelled. */
  dir: string;
  /** What pip installs, e.g. `yamllint==1.29.0`. */
  requirement: string;
  /** pip's output, line by line, for the log; pip runs with --quiet when it is left out. */
  onLine?: (line: string) => void;
}

export type PipVenvOutcome =
  | { ok: true; dir: string }
  | { ok: false; stage: 'python3' }
  | { ok: false; stage: 'venv'; python3: string; result: RunResult }
  | { ok: false; stage: 'pip'; result: RunResult };

const VENV_TIMEOUT_MS = 300_000;
const PIP_TIMEOUT_MS = 600_000;

/** A program in the environment's `bin`. */
export function venvProgram(dir: string, name: string): string {
  return join(dir, 'bin', name);
}

/** The first `bytes` of a script (its `#!` line tells which Python runs it); undefined when it cannot be read. */
export async function scriptHead(path: string, bytes: number): Promise<Buffer | undefined> {
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read(Buffer.alloc(bytes), 0, bytes, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch {
    return undefined;
  }
}

/** Creates the environment with the python3 on PATH and installs `requirement` into it. */
export async function installIntoVenv(request: PipVenvRequest): Promise<PipVenvOutcome> {
  const { runner, env, dir, requirement, onLine } = request;
  const python3 = await which('python3');
  if (python3 === '') return { ok: false, stage: 'python3' };
  await rm(dir, { recursive: true, force: true });
  try {
    const venv = await runner.run(python3, ['-m', 'venv', dir], { env, timeoutMs: VENV_TIMEOUT_MS });
    if (venv.exitCode !== 0) {
      await rm(dir, { recursive: true, force: true });
      return { ok: false, stage: 'venv', python3, result: venv };
    }
    const pip = await runner.run(
      venvProgram(dir, 'python'),
      [
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        ...(onLine ? [] : ['--quiet']),
        requirement,
      ],
      { env, timeoutMs: PIP_TIMEOUT_MS, ...(onLine ? { onLine: (line: string) => onLine(line) } : {}) },
    );
    if (pip.exitCode !== 0) {
      await rm(dir, { recursive: true, force: true });
      return { ok: false, stage: 'pip', result: pip };
    }
    return { ok: true, dir };
  } catch (error) {
    // Nothing half-installed stays behind, also when the step is cancelled mid-install.
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
