import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitFor } from '../src/net.js';
import {
  closeRun,
  groupMembers,
  identify,
  isRunning,
  listProcesses,
  openRun,
  RUN_DIR_VARIABLE,
  stillRuns,
  trackProcess,
} from '../src/processes.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

const savedRunDir = process.env[RUN_DIR_VARIABLE];
afterEach(() => {
  if (savedRunDir === undefined) delete process.env[RUN_DIR_VARIABLE];
  else process.env[RUN_DIR_VARIABLE] = savedRunDir;
});

/** Starts fixtures/abandoned-services.ts as a worker of the run in `runDir`; resolves with the pids it reports. */
async function abandonedServices(runDir: string) {
  const fixture = join(import.meta.dirname, 'fixtures', 'abandoned-services.ts');
  const hooks = join(import.meta.dirname, '..', 'src', 'resolve-ts-imports.ts');
  const worker = spawn(
    process.execPath,
    ['--no-warnings', '--experimental-transform-types', '--import', hooks, fixture],
    {
      env: { ...process.env, [RUN_DIR_VARIABLE]: runDir },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const line = await createInterface({ input: worker.stdout })[Symbol.asyncIterator]().next();
  if (line.done === true) throw new Error(`the fixture ended: ${stderr}`);
  const services = JSON.parse(line.value) as { registry: number; backend: number; registryUrl: string };
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  return { worker, services, exited };
}

const gone = (pid: number) => waitFor(`pid ${pid} to end`, async () => (isRunning(pid) ? undefined : true));
/** A killed group's members end a moment after its leader: wait for the last, as closeRun would see them. */
const groupGone = (pgid: number) =>
  waitFor(`process group ${pgid} to end`, async () =>
    listProcesses().some((p) => p.pgrp === pgid) ? undefined : true,
  );

describe('what a test run starts never outlives it', () => {
  it('global teardown stops the services of a worker that was killed before their stop()', async () => {
    const runDir = await makeTempDir('run');
    try {
      const { worker, services, exited } = await abandonedServices(runDir);
      worker.kill('SIGKILL');
      await exited;
      // Orphans now: nothing else would ever stop them.
      expect(isRunning(services.registry)).toBe(true);
      expect(isRunning(services.backend)).toBe(true);

      const stopped = await closeRun(runDir);
      expect(stopped.map(({ pid, what }) => ({ pid, what })).sort((a, b) => a.pid - b.pid)).toEqual(
        [
          { pid: services.registry, what: `docker-registry at ${services.registryUrl}` },
          {
            pid: services.backend,
            what: expect.stringMatching(/^git http-backend of the git server at http/),
          },
        ].sort((a, b) => a.pid - b.pid),
      );
      expect(isRunning(services.registry)).toBe(false);
      expect(isRunning(services.backend)).toBe(false);
      expect(existsSync(runDir)).toBe(false);
    } finally {
      await removeDir(runDir);
    }
  });

  it('a worker that exits without stop() takes its services with it', async () => {
    const runDir = await makeTempDir('run');
    try {
      const { worker, services, exited } = await abandonedServices(runDir);
      worker.stdin.write('exit\n');
      await exited;
      await gone(services.registry);
      await groupGone(services.backend);
      expect(await closeRun(runDir)).toEqual([]);
    } finally {
      await removeDir(runDir);
    }
  });

  it('a new run stops what a run that ended without its teardown left, and keeps away from live runs', async () => {
    const runs = join(tmpdir(), 'hia-runs');
    const ended = join(runs, `${2 ** 22 + 1}-1`); // beyond Linux's largest pid: that run is over
    const leftover = spawn('sleep', ['60']);
    const leftoverId = identify(leftover.pid ?? 0);
    mkdirSync(join(ended, 'processes'), { recursive: true });
    writeFileSync(
      join(ended, 'processes', `${leftover.pid}.json`),
      JSON.stringify({ ...leftoverId, what: 'sleep', group: false }),
    );
    const me = identify(process.pid);
    const live = join(runs, `${me?.pid}-${me?.startTime}`);
    try {
      const { runDir, leftByEndedRuns } = await openRun();
      expect(runDir).toBe(live);
      expect(process.env[RUN_DIR_VARIABLE]).toBe(live);
      expect(leftByEndedRuns).toContainEqual({ ...leftoverId, what: 'sleep', group: false });
      expect(isRunning(leftover.pid ?? 0)).toBe(false);
      expect(existsSync(ended)).toBe(false);
      expect(existsSync(live)).toBe(true);
    } finally {
      leftover.kill('SIGKILL');
      await removeDir(ended);
      await removeDir(live);
    }
  });
});

describe('process identity', () => {
  it('names a process by pid and start time, and tells a group and its members', async () => {
    const leader = spawn('sh', ['-c', 'sleep 60 & wait'], { detached: true, stdio: 'ignore' });
    try {
      const id = identify(leader.pid ?? 0);
      expect(id?.pid).toBe(leader.pid);
      expect(stillRuns(id ?? { pid: 0, startTime: 0 })).toBe(true);
      expect(stillRuns({ pid: leader.pid ?? 0, startTime: (id?.startTime ?? 0) - 1 })).toBe(false);
      await waitFor('the member', async () =>
        groupMembers(id ?? { pid: 0, startTime: 0 }).length === 2 ? true : undefined,
      );
      // A group started before the leader is not taken for its group.
      expect(groupMembers({ pid: leader.pid ?? 0, startTime: (id?.startTime ?? 0) + 1_000_000 })).toEqual([]);
    } finally {
      process.kill(-(leader.pid ?? 0), 'SIGKILL');
    }
  });

  it('tracks a process group in the run directory until it exits', async () => {
    const runDir = await makeTempDir('run');
    process.env[RUN_DIR_VARIABLE] = runDir;
    const child = spawn('sh', ['-c', 'sleep 60 & sleep 60'], { detached: true, stdio: 'ignore' });
    try {
      trackProcess(child, 'two sleeps', { group: true });
      const record = join(runDir, 'processes', `${child.pid}.json`);
      expect(existsSync(record)).toBe(true);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(child.pid ?? 0, 'SIGKILL'); // the leader only: its background sleep lives on
      await exited;
      // Its record goes, and what the leader left goes with it.
      expect(existsSync(record)).toBe(false);
      await waitFor('the group to end', async () =>
        groupMembers({ pid: child.pid ?? 0, startTime: 0 }).length === 0 ? true : undefined,
      );
    } finally {
      await removeDir(runDir);
    }
  });
});
