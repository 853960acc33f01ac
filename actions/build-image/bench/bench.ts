// Benchmarks of the bundled build-image action, run side by side on this machine:
//   node actions/build-image/bench/bench.ts [--runs N] [--overhead-runs N]
// 1. The reuse path against the build path on the same repository: each round builds the image (a fresh build
//    arg makes it cold), pushes it as push-to-gar would, then runs again with the same inputs, which reuses it.
//    The repository is a Dockerfile image repo whose build installs Debian packages (like an apt.txt), so the
//    build does real work; a second, toy repository shows the floor (a build that does almost nothing).
// 2. Overhead: from `node dist/index.js` to the moment repo2docker is called to build (a shim on PATH records it).
// 3. Bundle size: the JavaScript the runner loads (dist/*.js).
// 4. Packages on the reuse path: the toy image is built, pushed by the bundled push-to-gar with its package manifest
//    (so the manifest is in the registry), then reused with `packages: true` and `packages: false`, alternating
//    (medians of --packages-runs, default 7). `--packages-only` measures this alone.
// Needs the same machine set-up as the end-to-end tests (docker engine, docker-registry, base images).
import '@hub-image-actions/local-world/resolve-ts-imports';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { runAction, cleanupRun } = await import('@hub-image-actions/local-world/action-runner');
const { docker, removeImages, runCommand, ensureDockerEngine, stopStartedEngine } =
  await import('@hub-image-actions/local-world/docker-engine');
const { ensureBaseImages, PYTHON_IMAGE } = await import('@hub-image-actions/local-world/base-images');
const { TestRegistry } = await import('@hub-image-actions/local-world/registry');
const { doubleEnv, pathWithDouble, REPO2DOCKER_DOUBLE } =
  await import('@hub-image-actions/local-world/repo2docker-double');
const { median } = await import('@hub-image-actions/local-world/stats');

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'overhead-runs': { type: 'string', default: '15' },
    'packages-runs': { type: 'string', default: '7' },
    'packages-only': { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const OVERHEAD_RUNS = Number(args['overhead-runs']);
const PACKAGES_RUNS = Number(args['packages-runs']);
const ACTION_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const seconds = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function git(dir: string, argv: string[]): Promise<string> {
  return (await runCommand('git', ['-C', dir, ...argv])).stdout.trim();
}

async function makeRepo(files: Record<string, string>): Promise<{ dir: string; sha: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hia-bench-repo-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  await git(dir, ['init', '-q', '-b', 'main']);
  await git(dir, ['add', '-A']);
  await git(dir, ['-c', 'user.name=b', '-c', 'user.email=b@example.invalid', 'commit', '-qm', 'bench']);
  return { dir, sha: await git(dir, ['rev-parse', 'HEAD']) };
}

const loadBefore = loadavg()[0] ?? 0;
// A dockerd started here (when `docker info` failed) is stopped at the end, as the tests do.
const startedEngine = await ensureDockerEngine();
await ensureBaseImages();
const registry = await TestRegistry.start();
const token = `ya29.bench-${Date.now()}`;
await registry.setUser('oauth2accesstoken', token);
const pushConfig = await mkdtemp(join(tmpdir(), 'hia-bench-docker-'));
await docker(['login', '-u', registry.admin.username, '--password-stdin', registry.host], {
  stdin: registry.admin.password,
  env: { DOCKER_CONFIG: pushConfig },
});
const cleanup: Array<() => Promise<void>> = [];
const images = new Set<string>();

async function run(workspace: string, sha: string, image: string, inputs: Record<string, string>, env = {}) {
  const started = performance.now();
  const result = await runAction({
    action: ACTION_DIR,
    workspace,
    inputs: { image, 'access-token': token, ...inputs },
    env: { ...doubleEnv(), GITHUB_SHA: sha, GITHUB_SERVER_URL: 'https://github.com', ...env },
    timeoutMs: 600_000,
  });
  const ms = performance.now() - started;
  cleanup.push(() => cleanupRun(result));
  return { result, ms };
}

/** Build (cold: a fresh nonce), push like push-to-gar, then the same inputs again (reuse). */
async function sideBySide(
  label: string,
  files: Record<string, string>,
): Promise<{ build: number[]; reuse: number[] }> {
  const repo = await makeRepo(files);
  cleanup.push(() => rm(repo.dir, { recursive: true, force: true }));
  const image = `${registry.host}/bench/${label}-${Date.now().toString(36)}`;
  const build: number[] = [];
  const reuse: number[] = [];
  for (let round = 0; round < RUNS; round += 1) {
    const inputs = { 'build-args': `BENCH_NONCE=${Date.now()}-${round}`, test: 'false' };
    const built = await run(repo.dir, repo.sha, image, inputs);
    if (built.result.exitCode !== 0 || built.result.outputs['built'] !== 'true') {
      throw new Error(`${label}: the build run failed:\n${built.result.log.slice(-3000)}`);
    }
    const local = built.result.outputs['local-image'] ?? '';
    for (const tag of (built.result.outputs['tags'] ?? '').split('\n')) {
      const target = `${image}:${tag}`;
      images.add(target);
      if (target !== local) await docker(['tag', local, target]);
      await docker(['push', '--quiet', target], { env: { DOCKER_CONFIG: pushConfig } });
    }
    const reused = await run(repo.dir, repo.sha, image, inputs);
    if (reused.result.exitCode !== 0 || reused.result.outputs['built'] !== 'false') {
      throw new Error(`${label}: the reuse run did not reuse:\n${reused.result.log.slice(-3000)}`);
    }
    build.push(built.ms);
    reuse.push(reused.ms);
    log(`${label} round ${round + 1}: build ${seconds(built.ms)}, reuse ${seconds(reused.ms)}`);
  }
  return { build, reuse };
}

/**
 * Time from spawning `node dist/index.js` to the build call of repo2docker, recorded by a stand-in first on PATH
 * (it answers --version through the double, then records the build call and stops). `pipLayout` lays it out as
 * pip installs repo2docker (a console script next to its interpreter, a dist-info folder with the version), as on a
 * runner; without it, the action must run the program to learn its version, and the double is a Node program.
 */
async function overhead(pipLayout: boolean): Promise<number[]> {
  const repo = await makeRepo({
    'environment.yml': 'name: base\ndependencies: [python=3.11, numpy]\n',
    'README.md': 'x\n',
  });
  const prefix = await mkdtemp(join(tmpdir(), 'hia-bench-shim-'));
  cleanup.push(() => rm(repo.dir, { recursive: true, force: true }));
  cleanup.push(() => rm(prefix, { recursive: true, force: true }));
  const callLog = join(prefix, 'calls.log');
  const bin = join(prefix, 'bin');
  await mkdir(bin, { recursive: true });
  let interpreter = '/bin/sh';
  if (pipLayout) {
    interpreter = join(bin, 'python');
    await symlink('/bin/sh', interpreter);
    await mkdir(
      join(prefix, 'lib', 'python3.12', 'site-packages', 'jupyter_repo2docker-2026.04.0.dist-info'),
      {
        recursive: true,
      },
    );
  }
  await writeFile(
    join(bin, 'repo2docker'),
    `#!${interpreter}\n[ "$1" = "--version" ] && exec '${REPO2DOCKER_DOUBLE}' "$@"\ndate +%s%N >> '${callLog}'\nexit 3\n`,
  );
  await chmod(join(bin, 'repo2docker'), 0o755);
  const image = `${registry.host}/bench/overhead-${Date.now().toString(36)}`;
  const times: number[] = [];
  for (let i = 0; i < OVERHEAD_RUNS + 1; i += 1) {
    await rm(callLog, { force: true });
    const result = await runAction({
      action: ACTION_DIR,
      workspace: repo.dir,
      inputs: { image, 'access-token': token, test: 'false' },
      env: { PATH: `${bin}:${pathWithDouble()}`, GITHUB_SHA: repo.sha },
      timeoutMs: 60_000,
    });
    cleanup.push(() => cleanupRun(result));
    const calledAt = Number((await readFile(callLog, 'utf8')).trim().split('\n')[0]) / 1e6;
    if (i > 0) times.push(calledAt - result.spawnedAt); // the first run warms the page cache
  }
  return times;
}

async function bundleBytes(): Promise<number> {
  const dist = join(ACTION_DIR, 'dist');
  let total = 0;
  for (const name of await readdir(dist))
    if (name.endsWith('.js')) total += (await stat(join(dist, name))).size;
  return total;
}

/** The reuse path with and without `packages`, side by side, on an image pushed with its manifest. */
async function packagesOnReuse(): Promise<{ on: number[]; off: number[] }> {
  const repo = await makeRepo({ 'environment.yml': 'name: base\ndependencies: [python=3.11, numpy]\n' });
  cleanup.push(() => rm(repo.dir, { recursive: true, force: true }));
  const image = `${registry.host}/bench/packages-${Date.now().toString(36)}`;
  const inputs = { test: 'false', 'build-args': `BENCH_NONCE=${Date.now()}` };
  const built = await run(repo.dir, repo.sha, image, { ...inputs, packages: 'true' });
  const manifest = built.result.outputs['package-manifest'] ?? '';
  if (built.result.exitCode !== 0 || manifest === '')
    throw new Error(`packages: the build run failed:\n${built.result.log.slice(-3000)}`);
  for (const tag of (built.result.outputs['tags'] ?? '').split('\n')) images.add(`${image}:${tag}`);
  const pushed = await runAction({
    action: resolve(ACTION_DIR, '..', 'push-to-gar'),
    workspace: repo.dir,
    runnerTemp: built.result.runnerTemp,
    inputs: {
      image,
      tags: built.result.outputs['tags'] ?? '',
      source: built.result.outputs['local-image'] ?? '',
      'access-token': token,
      'package-manifest': manifest,
    },
  });
  if (pushed.exitCode !== 0 || (pushed.outputs['package-manifest-artifact'] ?? '') === '')
    throw new Error(`packages: push-to-gar did not store the manifest:\n${pushed.log.slice(-3000)}`);
  const on: number[] = [];
  const off: number[] = [];
  for (let round = 0; round < PACKAGES_RUNS; round += 1) {
    for (const packages of round % 2 === 0 ? ['true', 'false'] : ['false', 'true']) {
      const reused = await run(repo.dir, repo.sha, image, { ...inputs, packages });
      if (reused.result.exitCode !== 0 || reused.result.outputs['built'] !== 'false')
        throw new Error(`packages: the reuse run did not reuse:\n${reused.result.log.slice(-3000)}`);
      if (packages === 'true' && (reused.result.outputs['package-manifest'] ?? '') === '')
        throw new Error(`packages: the reuse run read no manifest:\n${reused.result.log.slice(-3000)}`);
      (packages === 'true' ? on : off).push(reused.ms);
    }
    log(
      `packages round ${round + 1}: reuse with ${seconds(on.at(-1) ?? 0)}, without ${seconds(off.at(-1) ?? 0)}`,
    );
  }
  return { on, off };
}

function packagesRows(p: { on: number[]; off: number[] }): string[][] {
  const added = median(p.on) - median(p.off);
  return [
    ['Reuse path, toy repo, `packages: false`', seconds(median(p.off)), String(p.off.length), '', ''],
    [
      'Reuse path, same, `packages: true` (the manifest stored with the image is read)',
      seconds(median(p.on)),
      String(p.on.length),
      '',
      `${((median(p.on) / median(p.off)) * 100).toFixed(0)}% of \`packages: false\``,
    ],
    [
      'Added by `packages` on the reuse path (difference of the medians)',
      seconds(added),
      '',
      '< 100 ms',
      added < 100 ? 'met' : 'NOT met',
    ],
  ];
}

function printTable(rows: string[][]): void {
  const table = [
    '| Measure | Median | Runs | Target | Result |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
  process.stdout.write(`${table}\n`);
  process.stdout.write(
    `\nMachine: ${cpus().length} cores, load average ${loadBefore.toFixed(1)} before and ${(loadavg()[0] ?? 0).toFixed(1)} after; node ${process.version}.\n`,
  );
}

try {
  if (args['packages-only']) {
    printTable(packagesRows(await packagesOnReuse()));
  } else {
    const apt = await sideBySide('apt', {
      Dockerfile: [
        `FROM ${PYTHON_IMAGE}`,
        'ARG BENCH_NONCE',
        'RUN echo "$BENCH_NONCE" > /bench-nonce && apt-get update -qq && apt-get install -y -qq --no-install-recommends git wget > /dev/null && rm -rf /var/lib/apt/lists/*',
        'RUN useradd --create-home --uid 1000 jovyan',
        'COPY --chown=1000:1000 . /srv/repo',
        'USER 1000',
        '',
      ].join('\n'),
      'environment.yml': 'name: base\ndependencies: [python=3.11, numpy, pandas]\n',
      'apt.txt': 'git\nwget\n',
    });
    const toy = await sideBySide('toy', { 'environment.yml': 'name: base\ndependencies: [python=3.11]\n' });
    const reach = await overhead(true);
    const reachDouble = await overhead(false);
    const bytes = await bundleBytes();

    const ratio = (r: { build: number[]; reuse: number[] }) => median(r.reuse) / median(r.build);
    const rows = [
      [
        'Build path, apt repo (Dockerfile installing Debian packages)',
        seconds(median(apt.build)),
        String(RUNS),
        '',
        '',
      ],
      [
        'Reuse path, same repo and inputs',
        seconds(median(apt.reuse)),
        String(RUNS),
        '< 10% of the build path',
        `${(ratio(apt) * 100).toFixed(1)}% ${ratio(apt) < 0.1 ? 'met' : 'NOT met'}`,
      ],
      [
        'Build path, toy repo (the double builds in ~1 s; the floor, not a real image)',
        seconds(median(toy.build)),
        String(RUNS),
        '',
        '',
      ],
      [
        'Reuse path, toy repo',
        seconds(median(toy.reuse)),
        String(RUNS),
        '',
        `${(ratio(toy) * 100).toFixed(1)}% of its build path`,
      ],
      [
        'Overhead: `node dist/index.js` to the repo2docker build call (repo2docker installed by pip)',
        seconds(median(reach)),
        String(reach.length),
        '< 300 ms',
        median(reach) < 300 ? 'met' : 'NOT met',
      ],
      [
        'Overhead, when repo2docker must be run to learn its version (the double, a Node program)',
        seconds(median(reachDouble)),
        String(reachDouble.length),
        '',
        '',
      ],
      [
        'Bundle size (dist/*.js)',
        `${(bytes / 1024 / 1024).toFixed(2)} MiB`,
        '',
        '< 2 MB',
        bytes < 2_000_000 ? 'met' : 'NOT met',
      ],
    ];
    printTable([...rows, ...packagesRows(await packagesOnReuse())]);
  }
} finally {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
  await removeImages([...images]).catch(() => undefined);
  await rm(pushConfig, { recursive: true, force: true });
  await registry.stop();
  if (startedEngine !== undefined) await stopStartedEngine();
}
