// The template's image repository (a conda environment.yml) built by the real repo2docker, tested, pushed, then
// rebuilt after a postBuild-only change with the parent's image as cache. It needs the real tools and the network
// (micromamba, conda-forge, PyPI), so it runs in its own jest project: `.github/workflows/ci.yml`'s real-tools job, or
// `bash scripts/test-real-tools.sh --network` on any machine that has both.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cp } from 'node:fs/promises';
import { resolve } from 'node:path';
import { RegistryClient } from '@hub-image-actions/registry-client';
import { repo2dockerUnderTest } from '@hub-image-actions/local-world/repo2docker-double';
import { Fixture, git, repositoryOf } from './fixture.js';

jest.setTimeout(60 * 60_000);

const TEMPLATE = resolve(import.meta.dirname, '..', '..', '..', 'templates', 'image-repo');

let fx: Fixture;

beforeAll(async () => {
  if (repo2dockerUnderTest().kind !== 'real')
    throw new Error('the template test needs the real repo2docker and buildx');
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

/** Each layer's compressed size in the registry, by digest (docker push writes one image manifest per tag). */
async function layerSizes(image: string, tag: string): Promise<Map<string, number>> {
  const client = new RegistryClient({
    registry: fx.registry.host,
    credentials: async () => ({ username: fx.registry.admin.username, password: fx.registry.admin.password }),
  });
  const manifest = await client.getManifest(repositoryOf(image), tag);
  if (manifest === undefined) throw new Error(`${image}:${tag} is not in the registry`);
  const { layers } = JSON.parse(manifest.body.toString('utf8')) as {
    layers: Array<{ digest: string; size: number }>;
  };
  return new Map(layers.map((layer) => [layer.digest, layer.size]));
}

describe('the template image repository, with the real repo2docker', () => {
  it('builds, tests and, after a postBuild-only change, reuses at least 90% of the image bytes from the cache', async () => {
    const repo = await fx.tempDir('template');
    await cp(TEMPLATE, repo, { recursive: true });
    await git(repo, ['init', '-q', '-b', 'main']);
    const first = await fx.commit(repo, {});
    const image = fx.image('template');

    const built = await fx.run({ workspace: repo, sha: first, image, timeoutMs: 40 * 60_000 });
    expect(built.run.exitCode).toBe(0);
    expect(built.run.outputs).toMatchObject({ built: 'true', tests: 'passed' });
    const tags = (built.run.outputs['tags'] ?? '').split('\n');
    await fx.push(built.run.outputs['local-image'] ?? '', image, tags);

    const second = await fx.commit(repo, {
      'postBuild*': '#!/bin/bash\nset -e\necho "course setup done" > "$HOME/.setup-done"\n',
    });
    const rebuilt = await fx.run({
      workspace: repo,
      sha: second,
      image,
      inputs: { test: 'false' },
      timeoutMs: 40 * 60_000,
    });
    expect(rebuilt.run.exitCode).toBe(0);
    expect(rebuilt.run.log).toContain(`importing cache manifest from ${image}:${first.slice(0, 12)}`);
    await fx.push(rebuilt.run.outputs['local-image'] ?? '', image, [second.slice(0, 12)]);

    const parent = await layerSizes(image, first.slice(0, 12));
    const child = await layerSizes(image, second.slice(0, 12));
    const total = [...child.values()].reduce((sum, size) => sum + size, 0);
    const reused = [...child]
      .filter(([digest]) => parent.has(digest))
      .reduce((sum, [, size]) => sum + size, 0);
    const share = reused / total;
    process.stdout.write(
      [
        '',
        '| postBuild-only change | layers | compressed bytes |',
        '| --- | --- | --- |',
        `| new image | ${child.size} | ${total} |`,
        `| reused from the parent's image | ${[...child.keys()].filter((d) => parent.has(d)).length} | ${reused} (${(share * 100).toFixed(1)}%) |`,
        '',
      ].join('\n'),
    );
    expect(share).toBeGreaterThanOrEqual(0.9);
  });
});
