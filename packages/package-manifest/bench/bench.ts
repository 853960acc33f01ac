// Benchmarks of package-manifest, run side by side on this machine:
//   node --experimental-transform-types packages/package-manifest/bench/bench.ts [--runs N]
// (transform, not strip: registry-client uses parameter properties)
// 1. A realistic image is built once (and kept as hia-bench/package-manifest:<generator hash>): the harness's Debian
//    image plus 600 conda packages (conda-meta records with their file lists), 150 pip-only packages, 700 Debian
//    packages in dpkg's status and 100 installed R packages, each with package files beside its metadata, and 200 MiB
//    of incompressible shared libraries.
// 2. The manifest of that local image, read each way (medians of N runs): the in-container walker, docker image save,
//    docker export, and docker create + docker cp of the metadata directories (known here; a real image's would first
//    have to be found). Then the same from the image's layers in a registry (streamed), and the docker push it is
//    compared with.
// 3. The diff of two such manifests plus its Markdown.
// Needs the end-to-end set-up (docker engine, docker-registry, base images).
import '@hub-image-actions/local-world/resolve-ts-imports';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const pm = await import('../src/index.js');
type PackageManifest = import('../src/index.js').PackageManifest;
const rc = await import('../../registry-client/src/index.js');
const { docker, imageExists, runCommand, ensureDockerEngine, stopStartedEngine } =
  await import('@hub-image-actions/local-world/docker-engine');
const { ensureBaseImages, PYTHON_IMAGE } = await import('@hub-image-actions/local-world/base-images');
const { TestRegistry } = await import('@hub-image-actions/local-world/registry');
const { median } = await import('@hub-image-actions/local-world/stats');

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(args.runs);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);

const ENV = 'srv/conda/envs/notebook';
const SP = `${ENV}/lib/python3.11/site-packages`;
const R_LIB = 'usr/local/lib/R/site-library';
/** Bump when `generate` changes what it writes: the image is rebuilt. */
const GENERATOR_VERSION = 1;
const COUNTS = { conda: 600, condaPython: 300, pip: 150, dpkg: 700, r: 100 };

/** Deterministic pseudo-random numbers, so the image (and its hash) is the same on every run. */
function* numbers(seed: string): Generator<number> {
  for (let i = 0; ; i += 1) {
    const hash = createHash('sha256').update(`${seed}:${i}`).digest();
    for (let k = 0; k < hash.length; k += 4) yield hash.readUInt32LE(k) / 2 ** 32;
  }
}

function condaRecord(name: string, version: string, build: string, files: string[]): string {
  return `${JSON.stringify(
    {
      arch: 'x86_64',
      build,
      build_number: 0,
      channel: 'https://conda.anaconda.org/conda-forge/linux-64',
      constrains: [],
      depends: ['libgcc-ng >=12', 'python >=3.11,<3.12.0a0', 'python_abi 3.11.* *_cp311'],
      extracted_package_dir: `/srv/conda/pkgs/${name}-${version}-${build}`,
      features: '',
      files,
      fn: `${name}-${version}-${build}.conda`,
      license: 'BSD-3-Clause',
      link: { source: `/srv/conda/pkgs/${name}-${version}-${build}`, type: 1 },
      md5: createHash('md5').update(name).digest('hex'),
      name,
      package_tarball_full_path: `/srv/conda/pkgs/${name}-${version}-${build}.conda`,
      paths_data: {
        paths: files.map((path) => ({
          _path: path,
          path_type: 'hardlink',
          sha256: createHash('sha256').update(path).digest('hex'),
          size_in_bytes: 4096,
        })),
        paths_version: 1,
      },
      requested_spec: '',
      sha256: createHash('sha256').update(name).digest('hex'),
      size: 123456,
      subdir: 'linux-64',
      timestamp: 1707307600000,
      track_features: '',
      url: `https://conda.anaconda.org/conda-forge/linux-64/${name}-${version}-${build}.conda`,
      version,
    },
    null,
    2,
  )}\n`;
}

const metadata = (name: string, version: string) =>
  `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: ${name} for the benchmark\nRequires-Python: >=3.9\n` +
  `Classifier: Programming Language :: Python :: 3\nRequires-Dist: numpy>=1.22\n\n${`A long description. `.repeat(250)}\n`;

/** Writes the image's files into `dir/rootfs` (one COPY each for conda, pip, R, dpkg and the bulk). */
async function generate(dir: string): Promise<void> {
  const random = numbers('package-manifest-bench');
  const next = () => random.next().value as number;
  const files = new Map<string, string | Buffer>();
  const add = (path: string, content: string | Buffer) => files.set(path, content);
  const packageFiles = (root: string, count: number) => {
    const written: string[] = [];
    for (let f = 0; f < count; f += 1) {
      const path = `${root}/module_${f}.py`;
      add(path, `# generated\n${'x = 1\n'.repeat(200 + Math.floor(next() * 1500))}`);
      written.push(path);
    }
    return written;
  };
  for (let i = 0; i < COUNTS.conda; i += 1) {
    const name = i === 0 ? 'python' : `conda-pkg-${i}`;
    const version =
      i === 0
        ? '3.11.9'
        : `${1 + Math.floor(next() * 3)}.${Math.floor(next() * 20)}.${Math.floor(next() * 10)}`;
    const build = `py311h${createHash('md5').update(name).digest('hex').slice(0, 7)}_0`;
    const owned: string[] = [];
    if (i > 0 && i <= COUNTS.condaPython) {
      const dist = `${SP}/${name.replace(/-/g, '_')}-${version}.dist-info`;
      add(`${dist}/METADATA`, metadata(name, version));
      add(`${dist}/INSTALLER`, 'conda\n');
      add(`${dist}/RECORD`, `${name}/__init__.py,,\n`);
      owned.push(`${dist}/METADATA`, `${dist}/INSTALLER`, `${dist}/RECORD`);
      owned.push(...packageFiles(`${SP}/${name.replace(/-/g, '_')}`, 5 + Math.floor(next() * 30)));
    } else {
      owned.push(...packageFiles(`${ENV}/share/${name}`, 2 + Math.floor(next() * 10)));
    }
    // Big records exist (python's lists thousands of files): a few records list many files.
    const listed =
      i % 50 === 0 ? [...owned, ...Array.from({ length: 3000 }, (_, k) => `lib/${name}/f${k}.py`)] : owned;
    add(
      `${ENV}/conda-meta/${name}-${version}-${build}.json`,
      condaRecord(
        name,
        version,
        build,
        listed.map((p) => p.slice(ENV.length + 1)),
      ),
    );
  }
  for (let i = 0; i < COUNTS.pip; i += 1) {
    const name = `pip_pkg_${i}`;
    const version = `${Math.floor(next() * 5)}.${Math.floor(next() * 30)}.${Math.floor(next() * 10)}`;
    const dist = `${SP}/${name}-${version}.dist-info`;
    add(`${dist}/METADATA`, metadata(name, version));
    add(`${dist}/INSTALLER`, 'pip\n');
    add(`${dist}/RECORD`, `${name}/__init__.py,,\n`);
    packageFiles(`${SP}/${name}`, 5 + Math.floor(next() * 30));
  }
  for (let i = 0; i < 10; i += 1) {
    add(
      `${ENV}/share/jupyter/labextensions/lab-ext-${i}/package.json`,
      JSON.stringify({ name: `lab-ext-${i}`, version: '1.0.0' }),
    );
    packageFiles(`${ENV}/share/jupyter/labextensions/lab-ext-${i}/static`, 20);
  }
  for (let i = 0; i < COUNTS.r; i += 1) {
    const name = `rpkg${i}`;
    add(
      `${R_LIB}/${name}/DESCRIPTION`,
      `Package: ${name}\nVersion: ${Math.floor(next() * 4)}.${Math.floor(next() * 9)}-${Math.floor(next() * 5)}\nTitle: Generated\n` +
        `Description: ${'Words. '.repeat(60)}\nLicense: MIT\nNeedsCompilation: yes\nBuilt: R 4.4.1; x86_64-pc-linux-gnu; 2024-07-01 10:00:00 UTC; unix\n`,
    );
    add(`${R_LIB}/${name}/Meta/package.rds`, randomBytes(2048));
    add(`${R_LIB}/${name}/NAMESPACE`, 'export(f)\n');
    packageFiles(`${R_LIB}/${name}/R`, 10);
    packageFiles(`${R_LIB}/${name}/help`, 10);
  }
  const stanzas: string[] = [];
  for (let i = 0; i < COUNTS.dpkg - 134; i += 1) {
    stanzas.push(
      `Package: bench-lib-${i}\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 1024\n` +
        `Maintainer: Debian <debian@example.org>\nArchitecture: amd64\nMulti-Arch: same\nSource: bench-src-${i}\n` +
        `Version: ${Math.floor(next() * 3)}:${Math.floor(next() * 9)}.${Math.floor(next() * 99)}-${1 + Math.floor(next() * 5)}+deb12u1\n` +
        `Depends: libc6 (>= 2.34)\nDescription: generated library ${i}\n ${'A longer description line.\n '.repeat(8)}.\n last line\n`,
    );
  }
  add('bench/dpkg-extra', `\n${stanzas.join('\n')}`);
  for (let i = 0; i < 200; i += 1) add(`usr/local/lib/bulk/libbulk${i}.so`, randomBytes(1024 * 1024));
  for (const [path, content] of files) {
    await mkdir(dirname(join(dir, 'rootfs', path)), { recursive: true });
    await writeFile(join(dir, 'rootfs', path), content);
  }
}

const DOCKERFILE = [
  `FROM ${PYTHON_IMAGE}`,
  'COPY rootfs/usr/local/lib/bulk /usr/local/lib/bulk',
  `COPY rootfs/${ENV} /${ENV}`,
  `COPY rootfs/${R_LIB} /${R_LIB}`,
  'COPY rootfs/bench/dpkg-extra /tmp/dpkg-extra',
  'RUN cat /tmp/dpkg-extra >> /var/lib/dpkg/status && rm /tmp/dpkg-extra',
].join('\n');

async function realisticImage(): Promise<string> {
  const hash = createHash('sha256')
    .update(`${GENERATOR_VERSION} ${JSON.stringify(COUNTS)} ${DOCKERFILE}`)
    .digest('hex')
    .slice(0, 12);
  const image = `hia-bench/package-manifest:${hash}`;
  if (await imageExists(image)) return image;
  log(`building ${image} (once)`);
  const dir = await mkdtemp(join(tmpdir(), 'hia-bench-manifest-'));
  try {
    await generate(dir);
    await writeFile(join(dir, 'Dockerfile'), DOCKERFILE);
    await docker(['build', '-q', '-t', image, dir], { env: { DOCKER_BUILDKIT: '0' } });
    return image;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

async function samples<T>(runs: number, work: () => Promise<T>): Promise<{ median: number; value: T }> {
  const times: number[] = [];
  let value: T | undefined;
  for (let i = 0; i < runs; i += 1) {
    const result = await timed(work);
    times.push(result.ms);
    value = result.value;
  }
  return { median: median(times), value: value as T };
}

/** docker create + docker cp of the directories this image keeps its metadata in (known here, not in general). */
async function viaCopy(image: string) {
  const created = (await docker(['create', '--network=none', image, '/none'])).stdout.trim();
  try {
    const view = new pm.ImageFileView();
    const cli = pm.systemDocker();
    for (const path of [
      '/var/lib/dpkg/status',
      `/${ENV}/conda-meta`,
      `/${SP}`,
      `/${R_LIB}`,
      `/${ENV}/share/jupyter/labextensions`,
    ]) {
      const command = cli.stream(['cp', `${created}:${path}`, '-']);
      view.commit(await pm.readLayer(view, command.stdout, dirname(path)));
      await command.finished;
    }
    view.finish();
    return pm.buildManifest(view);
  } finally {
    await docker(['rm', '--force', created]);
  }
}

/** Pushes the image to a fresh registry (timed), then reads its manifest from the layers there. */
async function fromRegistry(image: string, same: (manifest: PackageManifest) => boolean) {
  const registry = await TestRegistry.start();
  try {
    const dockerConfig = await mkdtemp(join(tmpdir(), 'hia-bench-docker-'));
    const env = { DOCKER_CONFIG: dockerConfig };
    const remote = `${registry.host}/bench/realistic:v1`;
    await docker(['login', '-u', 'admin', '--password-stdin', registry.host], {
      stdin: registry.admin.password,
      env,
    });
    await docker(['tag', image, remote]);
    const pushMs = (await timed(() => docker(['push', '-q', remote], { env }))).ms;
    await docker(['image', 'rm', remote]);
    await rm(dockerConfig, { recursive: true, force: true });
    const client = new rc.RegistryClient({
      registry: registry.host,
      credentials: async () => registry.admin,
    });
    const fromLayers = await samples(RUNS, async () => {
      const layers = await rc.imageLayers(client, 'bench/realistic', 'v1');
      return pm.manifestFromLayers(
        layers!.layers.map((layer) => rc.streamBlob(client, 'bench/realistic', layer.digest)),
      );
    });
    // The reuse path: the manifest is already stored with the image.
    const subject = (await client.headManifest('bench/realistic', 'v1'))!;
    const content = Buffer.from(pm.serializeManifest(fromLayers.value));
    const artifactType = pm.PACKAGE_MANIFEST_ARTIFACT_TYPE;
    await rc.attachArtifact(client, 'bench/realistic', subject, { artifactType, content });
    const stored = await samples(RUNS * 4, async () => {
      const read = await rc.readArtifact(client, 'bench/realistic', subject.digest, artifactType);
      return pm.parseManifest(read!.content.toString('utf8'));
    });
    return {
      pushMs,
      layersMs: fromLayers.median,
      layersSame: same(fromLayers.value),
      storedMs: stored.median,
      storedSame: same(stored.value),
    };
  } finally {
    await registry.stop();
  }
}

async function main(): Promise<void> {
  const startedEngine = await ensureDockerEngine();
  await ensureBaseImages();
  const image = await realisticImage();
  const size = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
  log(`image ${image}: ${pm.formatBytes(size)}; ${RUNS} runs each`);

  // The floor under the walker: the same container and Node.js doing nothing.
  const lddOutput = (await runCommand('ldd', [process.execPath])).stdout;
  const idleArgs = pm.walkerRunArgs(image, process.execPath, pm.parseLdd(lddOutput)).slice(0, -3);
  const idle = await samples(RUNS, () => docker([...idleArgs, '-e', '0']));
  const walker = await samples(RUNS, () => pm.manifestFromLocalImage(image, { method: 'walker' }));
  const save = await samples(RUNS, () => pm.manifestFromLocalImage(image, { method: 'save' }));
  const exported = await samples(RUNS, () => pm.manifestFromLocalImage(image, { method: 'export' }));
  const copy = await samples(RUNS, () => viaCopy(image));
  const copySame = JSON.stringify(copy.value) === JSON.stringify(walker.value.manifest);
  const manifest = walker.value.manifest;
  const same = (other: typeof manifest) => JSON.stringify(other) === JSON.stringify(manifest);
  const count = {
    conda: manifest.conda.reduce((n, env) => n + env.packages.length, 0),
    pip: manifest.pip.reduce((n, env) => n + env.packages.length, 0),
    dpkg: manifest.dpkg.length,
    r: manifest.r.reduce((n, lib) => n + lib.packages.length, 0),
  };

  const { pushMs, layersMs, layersSame, storedMs, storedSame } = await fromRegistry(image, same);

  // A second manifest: a third of each manager's packages moved up, some down, 50 added and 50 removed per group.
  const bump = (version: string, i: number) =>
    i % 3 === 0
      ? version.replace(
          /^(\d+:)?(\d+)/,
          (_, epoch = '', major) => `${epoch}${Number(major) + (i % 9 === 0 ? 1 : 0)}`,
        ) + '.1'
      : version;
  const changed: typeof manifest = JSON.parse(JSON.stringify(manifest));
  for (const env of changed.conda)
    env.packages = env.packages.slice(50).map((p, i) => ({ ...p, version: bump(p.version, i) }));
  for (const env of changed.pip)
    env.packages = env.packages.map((p, i) => ({ ...p, version: bump(p.version, i) }));
  changed.dpkg = changed.dpkg.map((p, i) => ({ ...p, version: bump(p.version, i) }));
  changed.r = changed.r.map((lib) => ({
    ...lib,
    packages: lib.packages.map((p, i) => ({ ...p, version: bump(p.version, i) })),
  }));
  changed.conda[0]?.packages.push(
    ...Array.from({ length: 50 }, (_, i) => ({
      name: `new-${i}`,
      version: '1.0',
      build: '0',
      channel: 'conda-forge',
    })),
  );
  const diffRuns: number[] = [];
  let rendered = { markdown: '', omittedChanges: 0 };
  let diff = pm.diffManifests(manifest, changed);
  for (let i = 0; i < 20; i += 1) {
    const started = performance.now();
    diff = pm.diffManifests(manifest, changed, { compressed: { before: size, after: size + 1e8 } });
    rendered = pm.renderDiffMarkdown(diff, { fullDiffLocation: '`packages-diff.json`' });
    diffRuns.push(performance.now() - started);
  }

  const row = (what: string, value: string, note = '') => console.log(`| ${what} | ${value} | ${note} |`);
  console.log(
    `\nImage: ${count.conda} conda, ${count.pip} pip-only, ${count.dpkg} Debian and ${count.r} R packages; ${pm.formatBytes(size)} uncompressed.`,
  );
  console.log(
    `Machine: ${cpus().length} cores, load ${loadavg()[0]?.toFixed(1)}; medians of ${RUNS} runs.\n`,
  );
  console.log('| What | Median | Notes |\n| --- | ---: | --- |');
  row('Local image: walker (host Node.js in a `--network=none` container)', ms(walker.median), 'the default');
  row('… of which the container and Node.js doing nothing', ms(idle.median), 'the floor of the walker');
  row(
    'Local image: `docker image save` streamed',
    ms(save.median),
    `${(save.median / walker.median).toFixed(1)}× the walker; same manifest: ${same(save.value.manifest)}`,
  );
  row(
    'Local image: `docker create` + `docker export` streamed',
    ms(exported.median),
    `${(exported.median / walker.median).toFixed(1)}× the walker; same manifest: ${same(exported.value.manifest)}`,
  );
  row(
    'Local image: `docker create` + `docker cp` of the 5 metadata directories',
    ms(copy.median),
    `${(copy.median / walker.median).toFixed(1)}× the walker, with the directories known in advance; same manifest: ${copySame}`,
  );
  row('Registry: layers streamed from the registry', ms(layersMs), `same manifest: ${layersSame}`);
  row(
    'Registry: the stored manifest read back (reuse path)',
    ms(storedMs),
    `referrers tag, artifact manifest, blob; same manifest: ${storedSame}`,
  );
  row(
    '`docker push` of the image (cold registry), for scale',
    ms(pushMs),
    `walker = ${((walker.median / pushMs) * 100).toFixed(1)}% of it`,
  );
  row(
    `Diff (${diff.counts.total} changes) + Markdown (${pm.formatBytes(Buffer.byteLength(rendered.markdown))}, ${rendered.omittedChanges} left out)`,
    ms(median(diffRuns)),
    'median of 20',
  );
  if (startedEngine !== undefined) await stopStartedEngine();
}

await main();
