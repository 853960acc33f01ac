import './resolve-ts-imports.ts';

/**
 * Runs once before the e2e tests: the run's own directory (what its tests start is recorded there), a docker engine
 * that answers, then the base images tests build on.
 */
export default async function globalSetup(): Promise<void> {
  const { openRun } = await import('./processes.js');
  const { ensureDockerEngine, stopStartedEngine } = await import('./docker-engine.js');
  const { ensureBaseImages } = await import('./base-images.js');
  const started = Date.now();
  const { leftByEndedRuns } = await openRun();
  for (const left of leftByEndedRuns) {
    console.log(`[harness] stopped ${left.what} (pid ${left.pid}), left by a test run that did not finish`);
  }
  const engine = await ensureDockerEngine();
  if (engine !== undefined) {
    const how = engine.joined ? 'joined the dockerd another test run started' : 'started dockerd';
    console.log(`[harness] ${how} (pid ${engine.pid}) at ${engine.host}, data in ${engine.paths.dataRoot}`);
  }
  try {
    await ensureBaseImages();
  } catch (error) {
    // Jest skips global teardown when global setup fails.
    await stopStartedEngine();
    throw error;
  }
  console.log(`[harness] global setup took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
