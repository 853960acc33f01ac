// Shared set-up of the push-to-gar end-to-end tests: a registry behind a fault proxy, fake Google endpoints whose
// tokens the registry accepts, and small unique images built from the harness busybox.
import { afterAll, beforeAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { BUSYBOX_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker, imageId, removeImages } from '@hub-image-actions/local-world/docker-engine';
import { FakeGoogle } from '@hub-image-actions/local-world/fake-google';
import { FaultProxy } from '@hub-image-actions/local-world/fault-proxy';
import { findLeaks, type Leak } from '@hub-image-actions/local-world/leak-checker';
import { waitFor } from '@hub-image-actions/local-world/net';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import {
  cleanupRun,
  runAction,
  type ActionRun,
  type RunActionOptions,
} from '@hub-image-actions/local-world/action-runner';

export interface Services {
  registry: TestRegistry;
  proxy: FaultProxy;
  google: FakeGoogle;
}

export async function startServices(): Promise<Services> {
  const registry = await TestRegistry.start();
  const proxy = await FaultProxy.start(registry.url);
  const google = await FakeGoogle.start({ registry });
  return { registry, proxy, google };
}

export async function stopServices(services: Partial<Services>): Promise<void> {
  await services.google?.stop();
  await services.proxy?.stop();
  await services.registry?.stop();
}

/**
 * The services of a suite: started before its tests (handed to `started`), stopped after them, with the runs and
 * images the suite made.
 */
export function useServices(started: (services: Services) => void): void {
  let services: Partial<Services> = {};
  beforeAll(async () => {
    services = await startServices();
    started(services as Services);
  });
  afterAll(async () => {
    await cleanupRuns();
    await removeBuiltImages();
    await stopServices(services);
  });
}

const images: string[] = [];

/** A small image with content of its own (one new layer), named `hia-test/push-…:src`. */
export async function buildImage(label: string): Promise<{ ref: string; id: string }> {
  const ref = `hia-test/push-${label}-${randomBytes(4).toString('hex')}:src`;
  await docker(['build', '--quiet', '--tag', ref, '-'], {
    stdin: `FROM ${BUSYBOX_IMAGE}\nRUN echo ${randomBytes(16).toString('hex')} > /unique\n`,
    env: { DOCKER_BUILDKIT: '0' },
  });
  images.push(ref);
  return { ref, id: await imageId(ref) };
}

/** Also removes any `host/path:tag` names a test gave images, listed in `extra`. */
export async function removeBuiltImages(extra: readonly string[] = []): Promise<void> {
  await removeImages([...extra, ...images.splice(0)]);
}

export function uniqueRepository(label: string): string {
  return `hub-images/user-images/${label}-${randomBytes(3).toString('hex')}`;
}

export function keylessEnv(google: FakeGoogle): Record<string, string> {
  return {
    ...google.oidcEnv(),
    HUB_IMAGE_ACTIONS_STS_URL: google.stsUrl,
    HUB_IMAGE_ACTIONS_IAM_CREDENTIALS_URL: google.iamCredentialsUrl,
  };
}

const runs: ActionRun[] = [];

/** Runs the bundled action (main only); `cleanupRuns` removes its workspace and RUNNER_TEMP. */
export async function push(options: Omit<RunActionOptions, 'action'>): Promise<ActionRun> {
  const run = await runAction({ action: 'push-to-gar', recordArgvOf: ['docker'], ...options });
  runs.push(run);
  return run;
}

export async function cleanupRuns(): Promise<void> {
  for (const run of runs.splice(0)) await cleanupRun(run);
}

export interface HeldPush {
  /** The action's node process, to signal it alone as the runner does. */
  pid: number;
  run: Promise<ActionRun>;
  repository: string;
  image: { ref: string; id: string };
}

/**
 * Starts a push of a new image (tag v1, the service-account key) through the fault proxy, whose first request
 * matching `at` is held until `until` settles (never, by default). Resolves once that request is held: the push is
 * under way, and the test decides what happens next.
 */
export async function pushHeld(
  s: Services,
  label: string,
  at: { method: string; path: RegExp },
  options: { until?: Promise<unknown>; watchChildren?: boolean } = {},
): Promise<HeldPush> {
  const image = await buildImage(label);
  const repository = uniqueRepository(label);
  const rule = s.proxy.addRule({
    ...at,
    action: { until: options.until ?? new Promise(() => undefined) },
    times: 1,
  });
  s.proxy.clearLog();
  let pid = 0;
  const run = push({
    inputs: {
      image: `${s.proxy.host}/${repository}`,
      tags: 'v1',
      source: image.ref,
      'credentials-json': s.google.serviceAccountKey().json,
    },
    onSpawn: (spawned) => (pid = spawned),
    ...(options.watchChildren ? { watchChildren: true } : {}),
  });
  const what = `the ${at.method} ${String(at.path)} to be held`;
  await Promise.race([
    waitFor(what, async () => (rule.hits > 0 ? true : undefined), { timeoutMs: 60_000 }),
    run.then((ended) => {
      throw new Error(`the push ended (exit code ${ended.exitCode}) before ${what}:\n${ended.log}`);
    }),
  ]);
  return { pid, run, repository, image };
}

/** The requests the proxy saw, as `METHOD path status [fault]`. */
export function requests(proxy: FaultProxy): string[] {
  return proxy.log.map((e) => `${e.method} ${e.path} ${e.status ?? '-'}${e.fault ? ` [${e.fault}]` : ''}`);
}

/** Every secret `google` has handed out, plus the key and its private key. */
export function secretsOf(google: FakeGoogle): Record<string, string> {
  const key = google.serviceAccountKey();
  const found: Record<string, string> = {
    'key JSON': key.json,
    'private key': key.privateKeyPem,
    'a line of the private key': key.privateKeyPem.split('\n')[1] ?? '',
  };
  google.issued.forEach((token, index) => (found[`${token.kind} token #${index}`] = token.value));
  return found;
}

/** Searches everything runs leave: log, outputs, state, summary, child argv, files in workspace and RUNNER_TEMP. */
export async function leaksOf(google: FakeGoogle, runs: ActionRun[]): Promise<Leak[]> {
  const texts: Record<string, string> = {};
  runs.forEach((run, i) => {
    texts[`log ${i}`] = run.log;
    texts[`outputs ${i}`] = JSON.stringify(run.outputs);
    texts[`state ${i}`] = JSON.stringify(run.state);
    texts[`env ${i}`] = JSON.stringify(run.exportedEnv);
    texts[`summary ${i}`] = run.summary;
    texts[`argv ${i}`] = run.argv.map((argv) => argv.join(' ')).join('\n');
  });
  const paths = [...new Set(runs.flatMap((run) => [run.workspace, run.runnerTemp]))];
  return findLeaks(secretsOf(google), { texts, paths });
}

/** The docker config directories the action left under the run's RUNNER_TEMP. */
export async function dockerConfigsLeft(run: ActionRun): Promise<string[]> {
  const names = await readdir(run.runnerTemp).catch(() => []);
  return names.filter((name) => name.startsWith('hub-image-actions-docker-'));
}
