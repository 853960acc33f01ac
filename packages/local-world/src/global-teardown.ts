import './resolve-ts-imports.ts';

/** Stops the dockerd global setup started, if it started one; an engine that was already running stays. */
export default async function globalTeardown(): Promise<void> {
  const { stopStartedEngine } = await import('./docker-engine.js');
  const stopped = await stopStartedEngine();
  if (stopped !== undefined) console.log(`[harness] stopped dockerd (pid ${stopped.pid})`);
}
