// The runner cancels a step with SIGINT or SIGTERM to the action's own process (not its group): the action must
// stop its yamllint and pip children itself, remove what it half-made, and fail with outcome "error".
import { describe, expect, it } from '@jest/globals';
import { access, readdir, readFile, readlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { waitFor } from '@hub-image-actions/local-world/net';
import { makeTempDir } from '@hub-image-actions/local-world/tmp';
import { writeCorpus } from '../bench/corpus.ts';
import { e2eScratch, failureOf } from './plain-yamllint.js';

const { dirs, runs, yamllint } = e2eScratch();

interface Child {
  pid: number;
  ppid: number;
}

/** Processes whose command line contains `marker` and, when given, whose working directory is `cwd`. */
async function processesWith(marker: string, cwd?: string): Promise<Child[]> {
  const found: Child[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(marker)) continue;
      if (cwd !== undefined && (await readlink(`/proc/${entry}/cwd`)) !== cwd) continue;
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      found.push({ pid: Number(entry), ppid });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The action ended by itself (a failed step, not 143 for the signal), after `children` Python children ended. */
function expectCancelled(run: ActionRun, children: number): void {
  expect(run.exitCode).toBe(1);
  expect(run.outputs['outcome']).toBe('error');
  expect(failureOf(run)).toBe('yamllint-runner action failed: cancelled (SIGTERM)');
  const ended = Array.from({ length: children }, () => 'python[0-9.]* ended by SIGTERM').join(', ');
  expect(run.log).toMatch(
    new RegExp(`SIGTERM: stopped; the child processes that were running have ended: ${ended}\\.`),
  );
}

describe('SIGTERM to the action only', () => {
  it('while yamllint lints: its children end, then the step fails with outcome error', async () => {
    const ws = await makeTempDir('yamllint-cancel');
    dirs.push(ws);
    await writeCorpus(ws, { files: 1500, seed: 5, maxBlocks: 8 });
    const running = runAction({
      action: 'yamllint-runner',
      workspace: ws,
      inputs: { 'yamllint-version': yamllint.version, jobs: '2' },
    });
    const children = await waitFor(
      'two yamllint processes linting',
      async () => {
        const found = await processesWith('python', ws);
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const [action] = new Set(children.map((child) => child.ppid));
    expect(action).toBeDefined();
    process.kill(action ?? 0, 'SIGTERM');
    const run = await running;
    runs.push(run);
    expectCancelled(run, 2);
    expect(run.log).not.toContain('yamllint crashed');
    for (const child of children) expect(alive(child.pid)).toBe(false);
  });

  it('while pip installs yamllint: pip ends and the half-made virtual environment is removed', async () => {
    // An index that accepts connections and never answers keeps pip busy until the cancel.
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const ws = await makeTempDir('yamllint-cancel-pip');
      const runnerTemp = await makeTempDir('yamllint-cancel-rt');
      dirs.push(ws, runnerTemp);
      const venv = join(runnerTemp, 'hub-image-actions-yamllint', '1.28.0');
      const running = runAction({
        action: 'yamllint-runner',
        workspace: ws,
        runnerTemp,
        inputs: { 'yamllint-version': '1.28.0' },
        env: {
          PIP_INDEX_URL: `http://127.0.0.1:${port}/simple`,
          PIP_CONFIG_FILE: '/dev/null',
          PIP_DEFAULT_TIMEOUT: '600',
          PIP_RETRIES: '0',
        },
      });
      const pip = await waitFor(
        'pip asking the index',
        async () => {
          const found = await processesWith(`${venv}/bin/python`);
          return sockets.size > 0 && found.length > 0 ? found : undefined;
        },
        { timeoutMs: 120_000 },
      );
      process.kill(pip[0]?.ppid ?? 0, 'SIGTERM');
      const run = await running;
      runs.push(run);
      expectCancelled(run, 1);
      await expect(access(venv)).rejects.toThrow();
      for (const child of pip) expect(alive(child.pid)).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
