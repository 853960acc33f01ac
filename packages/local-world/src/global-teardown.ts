import './resolve-ts-imports.ts';

/**
 * Stops whatever the run's tests left running (a test that failed before its `stop()`, a worker that was killed),
 * then lets go of the harness's dockerd: it stops when no other run uses it. An engine that was already running stays.
 */
export default async function globalTeardown(): Promise<void> {
  const { closeRun, RUN_DIR_VARIABLE } = await import('./processes.js');
  const { stopStartedEngine } = await import('./docker-engine.js');
  const runDir = process.env[RUN_DIR_VARIABLE];
  if (runDir !== undefined) {
    for (const left of await closeRun(runDir)) {
      console.log(`[harness] stopped ${left.what} (pid ${left.pid}), which a test left running`);
    }
  }
  const stopped = await stopStartedEngine();
  if (stopped !== undefined) console.log(`[harness] stopped dockerd (pid ${stopped.pid})`);
}
