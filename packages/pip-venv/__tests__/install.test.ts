import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { access, chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcessRunner, RunOptions, RunResult } from '@hub-image-actions/process';
import { installIntoVenv } from '../src/index.js';

let root: string;
let bin: string;
const savedPath = process.env['PATH'];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'pip-venv-'));
  bin = join(root, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'python3'), '#!/bin/sh\nexit 0\n');
  await chmod(join(bin, 'python3'), 0o755);
});
afterAll(() => rm(root, { recursive: true, force: true }));
afterEach(() => {
  process.env['PATH'] = savedPath;
});

interface Call {
  command: string;
  args: readonly string[];
  options: RunOptions | undefined;
}

/** A runner that makes the venv folder as `python3 -m venv` does, and answers pip from `pip`. */
function scripted(pip: (options: RunOptions | undefined) => Partial<RunResult>) {
  const calls: Call[] = [];
  const runner: ProcessRunner = {
    async run(command, args, options) {
      calls.push({ command, args, options });
      const done = { exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '' };
      if (args[1] === 'venv') {
        await mkdir(join(args[2] ?? '', 'bin'), { recursive: true });
        return done;
      }
      return { ...done, ...pip(options) };
    },
  };
  return { runner, calls };
}

const gone = (path: string) =>
  access(path).then(
    () => false,
    () => true,
  );

describe('installIntoVenv', () => {
  it('creates the environment with the python3 on PATH and installs quietly unless pip output is wanted', async () => {
    process.env['PATH'] = bin;
    const dir = join(root, 'quiet');
    const { runner, calls } = scripted(() => ({}));
    expect(await installIntoVenv({ runner, env: {}, dir, requirement: 'tool==1.0' })).toEqual({
      ok: true,
      dir,
    });
    expect(calls.map((call) => [call.command, ...call.args])).toEqual([
      [join(bin, 'python3'), '-m', 'venv', dir],
      [
        join(dir, 'bin', 'python'),
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '--no-input',
        '--quiet',
        'tool==1.0',
      ],
    ]);
    const lines: string[] = [];
    const loud = scripted((options) => {
      options?.onLine?.('Collecting tool==1.0', 'stdout');
      return {};
    });
    await installIntoVenv({
      runner: loud.runner,
      env: {},
      dir,
      requirement: 'tool==1.0',
      onLine: (line) => lines.push(line),
    });
    expect(loud.calls[1]?.args).not.toContain('--quiet');
    expect(lines).toEqual(['Collecting tool==1.0']);
  });

  it('says there is no python3, and touches nothing, when PATH has none', async () => {
    process.env['PATH'] = join(root, 'nothing');
    const dir = join(root, 'kept');
    await mkdir(dir);
    const { runner, calls } = scripted(() => ({}));
    expect(await installIntoVenv({ runner, env: {}, dir, requirement: 'tool' })).toEqual({
      ok: false,
      stage: 'python3',
    });
    expect(calls).toEqual([]);
    expect(await gone(dir)).toBe(false);
  });

  it('removes the half-made environment when pip fails, and hands back what pip said', async () => {
    process.env['PATH'] = bin;
    const dir = join(root, 'failed');
    const { runner } = scripted(() => ({
      exitCode: 1,
      stderr: 'ERROR: No matching distribution found for tool==9',
    }));
    const outcome = await installIntoVenv({ runner, env: {}, dir, requirement: 'tool==9' });
    expect(outcome).toMatchObject({ ok: false, stage: 'pip', result: { exitCode: 1 } });
    expect(await gone(dir)).toBe(true);
  });

  it('removes the half-made environment when the step is cancelled during pip', async () => {
    process.env['PATH'] = bin;
    const dir = join(root, 'cancelled');
    const { runner } = scripted(() => {
      throw new Error('the step was cancelled');
    });
    await expect(installIntoVenv({ runner, env: {}, dir, requirement: 'tool' })).rejects.toThrow(/cancelled/);
    expect(await gone(dir)).toBe(true);
  });
});
