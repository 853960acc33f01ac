import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PYTHON_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker } from '@hub-image-actions/local-world/docker-engine';
import { Fixture } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;

beforeAll(async () => {
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

// The RUN step writes the time, so its layer can only be byte-identical across builds when it came from the cache.
const DOCKERFILE = `FROM ${PYTHON_IMAGE}
RUN date +%s%N > /built-at && useradd --create-home --uid 1000 jovyan
COPY --chown=1000:1000 . /srv/repo
USER 1000
`;

async function layers(ref: string): Promise<string[]> {
  return JSON.parse(
    (await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])).stdout,
  ) as string[];
}

describe('layer cache', () => {
  it("takes unchanged layers from the parent commit's image in the registry", async () => {
    const image = fx.image('cache');
    const { dir, sha: parent } = await fx.repo({
      Dockerfile: DOCKERFILE,
      '.dockerignore': '.git\n',
      'data.txt': 'v1\n',
    });
    const first = await fx.run({ workspace: dir, sha: parent, image });
    expect(first.run.exitCode).toBe(0);
    const parentRef = first.run.outputs['image-ref'] ?? '';
    const parentLayers = await layers(parentRef);
    await fx.push(parentRef, image, (first.run.outputs['tags'] ?? '').split('\n'));
    // Nothing local: the cache must come from the registry.
    await fx.forgetLocally([parentRef, `${image}:${(first.run.outputs['tags'] ?? '').split('\n')[1]}`]);

    const sha = await fx.commit(dir, { 'data.txt': 'v2\n' });
    const { run, builds } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    const argv = builds[0] ?? [];
    expect(argv.filter((arg) => arg.startsWith('--cache-from'))).toEqual([`--cache-from=${parentRef}`]);
    expect(run.log).toContain(`Cache candidate ${parentRef} (parent commit): exists`);
    expect(run.log).toContain(
      `Cache candidate ${image}:${sha.slice(0, 12)} (current tag): not in the registry`,
    );
    // BuildKit reads the cache image's inline cache metadata from the registry; nothing is pulled first.
    expect(run.log).toContain(`importing cache manifest from ${parentRef}`);
    expect(run.log).not.toContain('Pulling');

    const built = await layers(run.outputs['image-ref'] ?? '');
    // Base layer and the RUN layer are the parent's own; the COPY layer is new.
    expect(built.slice(0, 2)).toEqual(parentLayers.slice(0, 2));
    expect(built[2]).not.toBe(parentLayers[2]);
    expect(run.summary).toMatch(
      new RegExp(
        `\\| Layer cache \\| 2 of 3 layers taken from the cache images \\(base layers included\\); \\d+ of \\d+ build steps cached; from \`${parentRef.replace(/[.]/g, '\\.')}\``,
      ),
    );
    expect(run.log).toMatch(/^#(\d+) \[2\/3\] RUN date[^\n]*\n(?:#\1 [^\n]*\n)*?#\1 CACHED$/m);
  });

  it('says why there is no cache when neither the parent nor the current tag is in the registry', async () => {
    const image = fx.image('nocache');
    const { dir, sha } = await fx.repo({ Dockerfile: DOCKERFILE });
    const { run, builds } = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(0);
    expect(builds[0]?.some((arg) => arg.startsWith('--cache-from'))).toBe(false);
    expect(run.summary).toContain(
      `| Layer cache | no cache image: the current tag's image (${sha.slice(0, 12)}) is not in the registry |`,
    );
  });

  it('uses cache-from exactly as given', async () => {
    const image = fx.image('given');
    const { dir, sha } = await fx.repo({ Dockerfile: DOCKERFILE });
    const cacheFrom = `${fx.registry.host}/hub/elsewhere:v1`;
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image,
      inputs: { 'cache-from': cacheFrom, test: 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(builds[0]?.filter((arg) => arg.startsWith('--cache-from'))).toEqual([`--cache-from=${cacheFrom}`]);
  });
});
