// Benchmarks of push-to-gar, run against the harness registry on loopback with the committed bundle:
//   node actions/push-to-gar/bench/push-bench.ts [runs]
// 1. Tag from digest: the whole action run (node start to exit) adding one tag to a digest the registry holds.
// 2. Retry cost: a push with one 503 on the manifest PUT against the same push without it; the extra time is set
//    against the backoff the action reports in its log.
// 3. Overhead: from starting the action to its `docker push` call (a docker shim on PATH stamps the call), with a
//    given access token so no token is minted.
import '@hub-image-actions/local-world/resolve-ts-imports';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';

const { TestRegistry } = await import('@hub-image-actions/local-world/registry');
const { FaultProxy } = await import('@hub-image-actions/local-world/fault-proxy');
const { docker, removeImages, ensureDockerEngine, stopStartedEngine } =
  await import('@hub-image-actions/local-world/docker-engine');
const { BUSYBOX_IMAGE, ensureBusyboxImage } = await import('@hub-image-actions/local-world/base-images');
const { runAction, cleanupRun } = await import('@hub-image-actions/local-world/action-runner');
const { makeTempDir, removeDir } = await import('@hub-image-actions/local-world/tmp');
const { median } = await import('@hub-image-actions/local-world/stats');

const RUNS = Number(process.argv[2] ?? 11);
const ACCESS_USER = 'oauth2accesstoken';

function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

// A dockerd started here (when `docker info` failed) is stopped at the end, as the tests do.
const startedEngine = await ensureDockerEngine();
await ensureBusyboxImage();
const registry = await TestRegistry.start();
const proxy = await FaultProxy.start(registry.url);
const token = `ya29.bench-${randomBytes(24).toString('base64url')}`;
await registry.setUser(ACCESS_USER, token);
const work = await makeTempDir('push-bench');
const images: string[] = [];

// A docker on PATH that stamps each call (and which one is `docker … push`), then runs the real docker.
const shimDir = join(work, 'shim');
const stampFile = join(work, 'docker-calls');
const realDocker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim();
await mkdir(shimDir, { recursive: true });
await writeFile(
  join(shimDir, 'docker'),
  `#!/bin/sh\necho "$(date +%s%N) $3" >> '${stampFile}'\nexec '${realDocker}' "$@"\n`,
);
await chmod(join(shimDir, 'docker'), 0o755);

async function freshImage(): Promise<string> {
  const ref = `hia-bench/push-${randomBytes(4).toString('hex')}:src`;
  await docker(['build', '--quiet', '--tag', ref, '-'], {
    stdin: `FROM ${BUSYBOX_IMAGE}\nRUN echo ${randomBytes(16).toString('hex')} > /unique\n`,
    env: { DOCKER_BUILDKIT: '0' },
  });
  images.push(ref);
  return ref;
}

async function run(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const started = performance.now();
  const result = await runAction({
    action: 'push-to-gar',
    inputs: { 'access-token': token, ...inputs },
    env,
  });
  const wallMs = performance.now() - started;
  await cleanupRun(result);
  if (result.exitCode !== 0) throw new Error(`push-to-gar failed:\n${result.maskedLog}`);
  return { result, wallMs, startedAtEpochMs: Date.now() - wallMs };
}

const rows: string[][] = [];
try {
  const repository = `bench/images/img-${randomBytes(3).toString('hex')}`;
  const target = `${proxy.host}/${repository}`;
  const first = await run({ image: target, tags: 'base', source: await freshImage() });
  const digest = first.result.outputs['digest'] ?? '';

  // 1. Tag from digest.
  const tagTimes: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    tagTimes.push((await run({ image: target, tags: `t${i}`, 'source-digest': digest })).wallMs);
  }

  // 2. Retry cost, the two kinds of run interleaved.
  const plain: number[] = [];
  const faulted: number[] = [];
  const backoffs: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    plain.push((await run({ image: target, tags: `plain${i}`, source: await freshImage() })).wallMs);
    proxy.addRule({ method: 'PUT', path: /\/manifests\//, action: { status: 503 }, times: 1 });
    const retried = await run({ image: target, tags: `retried${i}`, source: await freshImage() });
    proxy.clearRules();
    faulted.push(retried.wallMs);
    const reported = /Retrying in ([0-9.]+) (ms|s)\b/.exec(retried.result.log);
    if (reported === null) throw new Error('the retried push reported no backoff');
    backoffs.push(Number(reported[1]) * (reported[2] === 's' ? 1000 : 1));
  }
  const extra = faulted.map((value, i) => value - (plain[i] ?? 0));
  const beyond = extra.map((value, i) => value - (backoffs[i] ?? 0));

  // 3. Overhead to the docker push call.
  const overheads: number[] = [];
  const firstCalls: number[] = [];
  const path = `${shimDir}:${process.env['PATH'] ?? ''}`;
  for (let i = 0; i < RUNS; i += 1) {
    const source = await freshImage();
    await rm(stampFile, { force: true });
    const before = Date.now();
    await run({ image: target, tags: `o${i}`, source }, { PATH: path });
    const calls = (await readFile(stampFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => {
        const [ns = '0', arg = ''] = line.split(' ');
        return { at: Number(BigInt(ns) / 1_000_000n) - before, push: arg === 'push' };
      });
    firstCalls.push(calls[0]?.at ?? NaN);
    overheads.push(calls.find((call) => call.push)?.at ?? NaN);
  }

  const met = (ok: boolean): string => (ok ? 'yes' : 'no');
  const line = (name: string, values: number[], target = '', ok = ''): string[] => [
    name,
    ms(median(values)),
    `${ms(Math.min(...values))} – ${ms(Math.max(...values))}`,
    target,
    ok,
  ];
  rows.push(
    line(
      'Tag from digest: whole action run, one new tag',
      tagTimes,
      '< 1000 ms',
      met(median(tagTimes) < 1000),
    ),
    line('Push, no fault: whole action run', plain),
    line('Push, one 503 on the manifest PUT: whole action run', faulted),
    line('Retry: backoff the action reported', backoffs),
    line('Retry: extra time over the push without the fault', extra),
    line('Retry: extra time beyond the reported backoff', beyond, '≤ 500 ms', met(median(beyond) <= 500)),
    line('Overhead: action start to its first docker call (Node, bundle, inputs)', firstCalls),
    line(
      'Overhead: action start to the docker push call (no minting)',
      overheads,
      '< 300 ms',
      met(median(overheads) < 300),
    ),
  );
  console.log(
    `push-to-gar benchmark: ${RUNS} runs of each, registry on loopback (Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)})\n`,
  );
  console.log('| Measure | Median | Range | Target | Met |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  await removeImages(images);
  await proxy.stop();
  await registry.stop();
  if (startedEngine !== undefined) await stopStartedEngine();
  await removeDir(work);
}
