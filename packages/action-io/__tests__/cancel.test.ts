import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'cancelled-step.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('runAction when the step is cancelled', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s, ends the programs it started, runs the cleanups and fails the step',
    async (signal) => {
      const dir = await mkdtemp(join(tmpdir(), 'hia-cancel-'));
      const mark = join(dir, 'mark');
      const unwound = join(dir, 'unwound');
      const step = spawn(
        process.execPath,
        [
          '--no-warnings',
          '--experimental-transform-types',
          '--import',
          '@hub-image-actions/local-world/resolve-ts-imports',
          FIXTURE,
        ],
        {
          cwd: ROOT,
          env: { ...process.env, CLEANUP_MARK: mark, UNWOUND_MARK: unwound },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      let childPid = 0;
      step.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /^child ([0-9]+)$/m.exec(stdout);
        if (childPid === 0 && found) {
          childPid = Number(found[1]);
          step.kill(signal); // to node alone, as the runner does
        }
      });
      let stderr = '';
      step.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((done) => step.on('close', (exitCode) => done(exitCode)));
      try {
        expect(stderr).toBe('');
        expect(code).toBe(1);
        expect(childPid).toBeGreaterThan(0);
        expect(alive(childPid)).toBe(false);
        expect(await readFile(mark, 'utf8')).toBe('cleaned up');
        // The action's own code finished unwinding before the step exited, and its error is not reported.
        expect(await readFile(unwound, 'utf8')).toBe('unwound');
        expect(stdout).toContain(
          `fixture: ${signal} received, the step was cancelled: ending the programs it started.`,
        );
        expect(stdout).toContain(`::error::fixture action was cancelled (${signal})`);
        expect(stdout).not.toContain('the program ended');
      } finally {
        if (childPid > 0 && alive(childPid)) process.kill(childPid, 'SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
