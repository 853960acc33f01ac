import './resolve-ts-imports.ts';

/** Runs once before the e2e tests: a docker engine that answers, then the base images tests build on. */
export default async function globalSetup(): Promise<void> {
  const { ensureDockerEngine } = await import('./docker-engine.js');
  const { ensureBaseImages } = await import('./base-images.js');
  const started = Date.now();
  const dockerd = await ensureDockerEngine();
  if (dockerd !== undefined) console.log(`[harness] started dockerd (pid ${dockerd.pid}) at ${dockerd.host}`);
  await ensureBaseImages();
  console.log(`[harness] global setup took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
