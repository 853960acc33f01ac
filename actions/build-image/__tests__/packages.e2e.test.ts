// What changed inside the image: build-image records the packages of what it builds and compares them with the image
// it replaces, read from the registry (here from its layers: nothing stored a manifest with it); push-to-gar stores
// the manifest with the pushed image and shows the diff.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { PYTHON_IMAGE } from '@hub-image-actions/local-world/base-images';
import { runAction } from '@hub-image-actions/local-world/action-runner';
import { parseManifest, storedManifestOf, type ManifestDiff } from '@hub-image-actions/package-manifest';
import { referrersTag, RegistryClient } from '@hub-image-actions/registry-client';
import { Fixture } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;

beforeAll(async () => {
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

const DOCKERFILE = `FROM ${PYTHON_IMAGE}
RUN useradd --create-home --uid 1000 jovyan
COPY site/ /usr/local/lib/python3.11/dist-packages/
COPY conda-meta/ /srv/conda/envs/notebook/conda-meta/
COPY --chown=1000:1000 Dockerfile /srv/repo/
USER 1000
`;

const condaRecord = (name: string, version: string) =>
  JSON.stringify({
    name,
    version,
    build: 'py311_0',
    build_number: 0,
    channel: 'https://conda.anaconda.org/conda-forge/linux-64',
    subdir: 'linux-64',
    files: [],
  });

const distInfo = (name: string, version: string) => ({
  [`site/${name.replace(/-/g, '_')}-${version}.dist-info/METADATA`]: `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
  [`site/${name.replace(/-/g, '_')}-${version}.dist-info/INSTALLER`]: 'pip\n',
});

describe('packages: what changed inside the image', () => {
  it("records what the image holds and what changed against the parent commit's image, read from its layers", async () => {
    const image = fx.image('packages');
    const { dir, sha: first } = await fx.repo({
      Dockerfile: DOCKERFILE,
      ...distInfo('hia-demo', '1.4.0'),
      'conda-meta/numpy-1.26.4-py311_0.json': condaRecord('numpy', '1.26.4'),
    });
    const parent = await fx.run({ workspace: dir, sha: first, image, inputs: { test: 'false' } });
    expect(parent.run.exitCode).toBe(0);
    await fx.push(
      parent.run.outputs['local-image'] ?? '',
      image,
      (parent.run.outputs['tags'] ?? '').split('\n'),
    );

    const second = await fx.commit(dir, {
      'site/hia_demo-1.4.0.dist-info/METADATA': null,
      'site/hia_demo-1.4.0.dist-info/INSTALLER': null,
      'conda-meta/numpy-1.26.4-py311_0.json': null,
      'conda-meta/numpy-2.1.0-py311_0.json': condaRecord('numpy', '2.1.0'),
      'conda-meta/pandas-2.2.3-py311_0.json': condaRecord('pandas', '2.2.3'),
    });
    const { run } = await fx.run({ workspace: dir, sha: second, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      'packages-added': '1',
      'packages-removed': '1',
      'packages-upgraded': '1',
      'packages-downgraded': '0',
      'packages-major': '1',
    });
    const manifest = parseManifest(await readFile(run.outputs['package-manifest'] ?? '', 'utf8'));
    expect(manifest.conda[0]).toMatchObject({
      prefix: '/srv/conda/envs/notebook',
      packages: [
        expect.objectContaining({ name: 'numpy', version: '2.1.0' }),
        expect.objectContaining({ name: 'pandas' }),
      ],
    });
    expect(manifest.dpkg.some((p) => p.name === 'python3')).toBe(true);
    const diff = JSON.parse(await readFile(run.outputs['packages-diff'] ?? '', 'utf8')) as ManifestDiff;
    const changes = diff.groups.flatMap((g) =>
      g.changes.map((c) => [g.manager, c.name, c.kind, c.before ?? '', c.after ?? '', c.major]),
    );
    expect(changes).toEqual(
      expect.arrayContaining([
        ['conda', 'numpy', 'upgraded', '1.26.4', '2.1.0', true],
        ['conda', 'pandas', 'added', '', '2.2.3', false],
        ['pip', 'hia-demo', 'removed', '1.4.0', '', false],
      ]),
    );
    expect(changes).toHaveLength(3);
    expect(run.summary).toContain('What this commit changes in the image');
    expect(run.summary).toMatch(
      /\| Packages \| against the parent commit's image \([0-9a-f]{12}\), read from its layers/,
    );
    expect(run.summary).toContain('numpy');
    expect(run.log).toMatch(
      /Against the parent commit's image .*: packages: 1 upgraded \(1 major\), 1 added, 1 removed/,
    );
    // What was read from the parent's layers is now stored with it: the next reader makes a few small requests.
    expect(run.log).toMatch(
      /The compared image's package manifest, read from its layers: stored with \S+@sha256:[0-9a-f]{64} \(tag-schema\)/,
    );
    const reader = new RegistryClient({
      registry: fx.registry.host,
      credentials: async () => fx.registry.admin,
    });
    const parentStored = await storedManifestOf(
      reader,
      image.slice(fx.registry.host.length + 1),
      first.slice(0, 12),
    );
    expect(parentStored).toMatchObject({ found: true, source: 'stored' });

    // push-to-gar, handed both files as image-main.yml hands them, stores the manifest with the image and shows the
    // diff against the parent commit's image; a later reader finds it through the referrers tag.
    const pushed = await runAction({
      action: 'push-to-gar',
      workspace: dir,
      runnerTemp: run.runnerTemp,
      inputs: {
        image,
        tags: run.outputs['tags'] ?? '',
        source: run.outputs['local-image'] ?? '',
        'access-token': fx.token,
        'package-manifest': run.outputs['package-manifest'] ?? '',
        'packages-diff': run.outputs['packages-diff'] ?? '',
      },
    });
    expect(pushed.exitCode).toBe(0);
    const digest = pushed.outputs['digest'] ?? '';
    const repository = image.slice(fx.registry.host.length + 1);
    const client = new RegistryClient({
      registry: fx.registry.host,
      credentials: async () => fx.registry.admin,
    });
    expect(await storedManifestOf(client, repository, second.slice(0, 12))).toMatchObject({
      found: true,
      source: 'stored',
      imageDigest: digest,
      manifest,
    });
    expect(await fx.registry.tags(repository)).toContain(referrersTag(digest));
    expect(pushed.summary).toContain(
      `What this push changes in the image, against the parent commit's image (${first.slice(0, 12)})`,
    );
    expect(pushed.summary).toMatch(/\| numpy \| \*\*upgraded \(major\)\*\* \| 1\.26\.4 \| 2\.1\.0 \|/);
    expect(pushed.summary).toMatch(/hia-demo \| removed/);

    // A pull request compares with its base branch's head instead (built again: the push above stored the inputs tag,
    // whose reuse would not read the base image's layers).
    const pr = await fx.run({
      workspace: dir,
      sha: second,
      image,
      inputs: { test: 'false', tag: 'pr-7', 'force-rebuild': 'true' },
      event: {
        name: 'pull_request',
        payload: { pull_request: { number: 7, head: { sha: second }, base: { sha: first } } },
      },
    });
    expect(pr.run.exitCode).toBe(0);
    expect(pr.run.summary).toContain('What this pull request changes in the image');
    expect(pr.run.summary).toContain(`against the pull request base's image (${first.slice(0, 12)})`);
  });

  it('says why there is no comparison, and that an image without package metadata has an empty manifest', async () => {
    const { dir, sha } = await fx.repo({
      Dockerfile: 'FROM hia-test/busybox:1\nCOPY hello.txt /hello.txt\n',
      'hello.txt': 'hi\n',
    });
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('empty'),
      inputs: { test: 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain(
      '| Packages | against not compared: the commit has no parent to compare with |',
    );
    expect(run.summary).toContain('its manifest is empty');
    expect(parseManifest(await readFile(run.outputs['package-manifest'] ?? '', 'utf8')).empty).toBe(true);
  });

  it('records nothing with packages: false', async () => {
    const { dir, sha } = await fx.repo({ Dockerfile: 'FROM hia-test/busybox:1\n' });
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('off'),
      inputs: { test: 'false', packages: 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.groups).not.toContain('Packages: what changed in the image');
    expect(run.outputs['package-manifest']).toBe('');
  });
});
