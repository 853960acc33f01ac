import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  attachArtifact,
  imageLayers,
  readArtifact,
  RegistryClient,
  streamBlob,
} from '@hub-image-actions/registry-client';
import {
  diffManifests,
  manifestFromLayers,
  manifestFromLocalImage,
  PACKAGE_MANIFEST_ARTIFACT_TYPE,
  parseManifest,
  renderDiffMarkdown,
  serializeManifest,
  summarizeDiff,
  type PackageManifest,
} from '../src/index.js';
import { BUSYBOX_IMAGE, PYTHON_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker, removeImages } from '@hub-image-actions/local-world/docker-engine';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { fixture } from './layers.js';

const ENV = '/srv/conda/envs/notebook';
const SP = `${ENV}/lib/python3.11/site-packages`;
const REPO = 'proj/images/manifested';
let registry: TestRegistry;
let context: string;
const suffix = `${process.pid}-${Date.now()}`;
const local = {
  a: `hia-test/manifest-a:${suffix}`,
  b: `hia-test/manifest-b:${suffix}`,
  c: `hia-test/manifest-c:${suffix}`,
};
const remote = (tag: string) => `${registry.host}/${REPO}:${tag}`;

const conda = (name: string, version: string, build: string) =>
  JSON.stringify({
    build,
    channel: 'https://conda.anaconda.org/conda-forge/linux-64',
    files: [`lib/python3.11/site-packages/${name}-${version}.dist-info/METADATA`],
    name,
    paths_data: { paths: [], paths_version: 1 },
    version,
  });

async function build(tag: string, dockerfile: string): Promise<void> {
  await writeFile(join(context, 'Dockerfile'), dockerfile);
  await docker(['build', '-q', '-t', tag, context], { env: { DOCKER_BUILDKIT: '0' } });
}

beforeAll(async () => {
  registry = await TestRegistry.start();
  context = await mkdtemp(join(tmpdir(), 'hia-manifest-e2e-'));
  await mkdir(join(context, 'files'));
  const put = (name: string, content: string | Buffer) => writeFile(join(context, 'files', name), content);
  await put('numpy-1.json', conda('numpy', '1.26.4', 'py311h64a7726_0'));
  await put('numpy-2.json', conda('numpy', '2.0.1', 'py311h_0'));
  await put('python.json', conda('python', '3.11.8', 'hab00c5b_0_cpython'));
  await put('ggplot2', fixture('DESCRIPTION-ggplot2'));
  await put('evil.js', 'process.stderr.write("the image ran code\\n"); process.exit(3);\n');
  await put(
    'status',
    'Package: secretly-read\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: all\n',
  );
  const dist = (name: string, version: string, installer: string) =>
    `mkdir -p ${SP}/${name}-${version}.dist-info && ` +
    `printf 'Metadata-Version: 2.1\\nName: ${name}\\nVersion: ${version}\\n' > ${SP}/${name}-${version}.dist-info/METADATA && ` +
    `printf '${installer}\\n' > ${SP}/${name}-${version}.dist-info/INSTALLER`;
  // A: a conda env with pip on top, and an extra Debian stanza.
  await build(
    local.a,
    [
      `FROM ${PYTHON_IMAGE}`,
      `COPY files/numpy-1.json ${ENV}/conda-meta/numpy-1.26.4-py311h64a7726_0.json`,
      `COPY files/python.json ${ENV}/conda-meta/python-3.11.8-hab00c5b_0_cpython.json`,
      `RUN ${dist('numpy', '1.26.4', 'conda')} && ${dist('rich', '13.7.1', 'pip')} && ` +
        `printf '\\nPackage: hia-extra\\nStatus: install ok installed\\nVersion: 1:2.0-1\\nArchitecture: all\\n' >> /var/lib/dpkg/status`,
    ].join('\n'),
  );
  // B on top of A: numpy 1 → 2 (files removed: whiteouts), rich removed, an R package added, hia-extra upgraded.
  await build(
    local.b,
    [
      `FROM ${local.a}`,
      `RUN rm -r ${ENV}/conda-meta/numpy-1.26.4-py311h64a7726_0.json ${SP}/numpy-1.26.4.dist-info ${SP}/rich-13.7.1.dist-info && ` +
        `${dist('numpy', '2.0.1', 'conda')} && ${dist('Flask', '3.0.3', 'uv')} && ` +
        `sed -i 's/^Version: 1:2.0-1$/Version: 1:2.1-1/' /var/lib/dpkg/status`,
      `COPY files/numpy-2.json ${ENV}/conda-meta/numpy-2.0.1-py311h_0.json`,
      'COPY files/ggplot2 /usr/local/lib/R/site-library/ggplot2/DESCRIPTION',
    ].join('\n'),
  );
  // C: busybox, metadata readable only by root, a user without a shell, an environment that would run the image's code.
  await build(
    local.c,
    [
      `FROM ${BUSYBOX_IMAGE}`,
      'COPY files/status /var/lib/dpkg/status',
      'COPY files/evil.js /evil.js',
      'RUN chmod 600 /var/lib/dpkg/status && rm /bin/sh',
      'ENV NODE_OPTIONS="--require /evil.js" LD_PRELOAD=/nonexistent.so',
      'USER 65534',
      'ENTRYPOINT ["/evil-entrypoint"]',
    ].join('\n'),
  );
});

afterAll(async () => {
  await removeImages([local.c, local.b, local.a, remote('a'), remote('b')]);
  await registry?.stop();
  if (context) await rm(context, { recursive: true, force: true });
});

const packageNames = (manifest: PackageManifest) => ({
  conda: manifest.conda.flatMap((env) => env.packages.map((p) => `${env.prefix} ${p.name} ${p.version}`)),
  pip: manifest.pip.flatMap((env) =>
    env.packages.map((p) => `${env.path} ${p.name} ${p.version} ${p.installer}`),
  ),
  r: manifest.r.flatMap((lib) => lib.packages.map((p) => `${lib.path} ${p.name} ${p.version}`)),
  extra: manifest.dpkg.filter((p) => p.name === 'hia-extra').map((p) => p.version),
});

describe('manifests of real images', () => {
  const manifests: Record<string, PackageManifest> = {};

  it('reads a local image the same way with the walker, docker save and docker export', async () => {
    for (const [name, image] of [
      ['a', local.a],
      ['b', local.b],
    ] as const) {
      const walked = await manifestFromLocalImage(image);
      expect(walked.method).toBe('walker');
      expect(walked.fallbackReason).toBeUndefined();
      for (const method of ['save', 'export'] as const) {
        expect({ method, manifest: (await manifestFromLocalImage(image, { method })).manifest }).toEqual({
          method,
          manifest: walked.manifest,
        });
      }
      manifests[name] = walked.manifest;
    }
    expect(packageNames(manifests['a']!)).toMatchObject({
      conda: [`${ENV} numpy 1.26.4`, `${ENV} python 3.11.8`],
      r: [],
      extra: ['1:2.0-1'],
    });
    // conda's numpy is not a pip package; pip's rich is
    expect(packageNames(manifests['a']!).pip.filter((line) => line.startsWith(SP))).toEqual([
      `${SP} rich 13.7.1 pip`,
    ]);
    expect(packageNames(manifests['b']!)).toMatchObject({
      conda: [`${ENV} numpy 2.0.1`, `${ENV} python 3.11.8`],
      r: ['/usr/local/lib/R/site-library ggplot2 3.5.1'],
      extra: ['1:2.1-1'],
    });
    expect(packageNames(manifests['b']!).pip).toContain(`${SP} Flask 3.0.3 uv`);
    expect(packageNames(manifests['b']!).pip.join('\n')).not.toContain('rich');
    // the base image's real Debian packages and Python
    expect(manifests['a']!.dpkg.length).toBeGreaterThan(100);
    expect(manifests['a']!.dpkg.map((p) => p.name)).toContain('python3');
    expect(manifests['a']!.runtimes).toContainEqual({ name: 'python', version: '3.11.8', location: ENV });
    expect(manifests['a']!.warnings).toEqual([]);
  });

  it('reads an image without conda or Python: an empty manifest that says so', async () => {
    const { manifest, method } = await manifestFromLocalImage(BUSYBOX_IMAGE);
    expect(method).toBe('walker');
    expect(manifest.empty).toBe(true);
    expect(manifest.warnings).toEqual([expect.stringContaining('no package metadata found')]);
  });

  it('reads an image whose files only root may read, with no shell, and runs none of its code', async () => {
    const { manifest, method } = await manifestFromLocalImage(local.c);
    expect(method).toBe('walker');
    expect(manifest.dpkg).toEqual([{ name: 'secretly-read', version: '1.0-1', architecture: 'all' }]);
  });

  it('stores the manifests as referrers, rebuilds one from registry layers, and diffs them', async () => {
    const dockerConfig = await mkdtemp(join(tmpdir(), 'hia-manifest-docker-'));
    const env = { DOCKER_CONFIG: dockerConfig };
    try {
      await docker(['login', '-u', registry.admin.username, '--password-stdin', registry.host], {
        stdin: registry.admin.password,
        env,
      });
      for (const name of ['a', 'b'] as const) {
        await docker(['tag', local[name], remote(name)]);
        await docker(['push', '-q', remote(name)], { env });
      }
    } finally {
      await rm(dockerConfig, { recursive: true, force: true });
    }
    const client = new RegistryClient({ registry: registry.host, credentials: async () => registry.admin });

    // B was pushed without a manifest: build it from its layers in the registry, streamed.
    const layers = await imageLayers(client, REPO, 'b');
    expect(layers?.layers.length).toBeGreaterThan(2);
    const fromRegistry = await manifestFromLayers(
      layers!.layers.map((layer) => streamBlob(client, REPO, layer.digest, { maxBytes: 1024 ** 3 })),
    );
    expect(fromRegistry).toEqual(manifests['b']);

    const stored: Record<string, PackageManifest> = {};
    for (const name of ['a', 'b'] as const) {
      const subject = (await client.headManifest(REPO, name))!;
      const content = Buffer.from(serializeManifest(manifests[name]!));
      const first = await attachArtifact(client, REPO, subject, {
        artifactType: PACKAGE_MANIFEST_ARTIFACT_TYPE,
        content,
      });
      expect(first.written).toBe(true);
      const again = await attachArtifact(client, REPO, subject, {
        artifactType: PACKAGE_MANIFEST_ARTIFACT_TYPE,
        content,
      });
      expect(again).toEqual({ ...first, written: false });
      const read = await readArtifact(client, REPO, subject.digest, PACKAGE_MANIFEST_ARTIFACT_TYPE);
      stored[name] = parseManifest(read!.content.toString('utf8'));
    }
    expect(stored).toEqual({ a: manifests['a'], b: manifests['b'] });

    const diff = diffManifests(stored['a']!, stored['b']!);
    const changes = diff.groups.flatMap((group) =>
      group.changes.map(
        (c) =>
          `${group.manager} ${c.kind} ${c.name} ${c.before ?? ''}→${c.after ?? ''}${c.major ? ' major' : ''}`,
      ),
    );
    expect(changes.sort()).toEqual(
      [
        'conda upgraded numpy 1.26.4→2.0.1 major',
        'dpkg upgraded hia-extra 1:2.0-1→1:2.1-1',
        'pip added Flask →3.0.3',
        'pip removed rich 13.7.1→',
        'r added ggplot2 →3.5.1',
      ].sort(),
    );
    expect(summarizeDiff(diff)).toBe('packages: 2 upgraded (1 major), 2 added, 1 removed');
    expect(renderDiffMarkdown(diff).markdown).toContain('**numpy** 1.26.4 → 2.0.1');
  });
});
