import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BUSYBOX_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker, imageExists, imageLabels } from '@hub-image-actions/local-world/docker-engine';
import { repo2dockerUnderTest } from '@hub-image-actions/local-world/repo2docker-double';
import { Fixture, imageRepo, repositoryOf } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;
let image: string;
let dir: string;
let firstSha: string;
let firstDigest: string;
let firstHash: string;

beforeAll(async () => {
  fx = await Fixture.start();
  image = fx.image('reuse');
  const repo = await fx.repo(
    imageRepo({
      'environment.yml': 'name: base\ndependencies: [python=3.11, numpy]\n',
      '.dockerignore': 'notes/\n.git\nrepo2docker_config.py\n',
      'notes/meeting.md': 'agenda\n',
      'repo2docker_config.py': "c.Repo2Docker.labels = {'org.example.config': 'one'}\n",
    }),
  );
  dir = repo.dir;
  firstSha = repo.sha;
  const { run, builds } = await fx.run({ workspace: dir, sha: firstSha, image });
  expect(run.exitCode).toBe(0);
  expect(builds).toHaveLength(1);
  firstHash = run.outputs['inputs-hash'] ?? '';
  // What push-to-gar does after a successful build: push every tag the action listed.
  firstDigest = await fx.push(
    run.outputs['local-image'] ?? '',
    image,
    (run.outputs['tags'] ?? '').split('\n'),
  );
  await fx.forgetLocally([run.outputs['image-ref'] ?? '']);
});

afterAll(async () => {
  await fx?.stop();
});

describe('reuse: the registry image built from the same inputs', () => {
  it('is reused by a second run with identical inputs: no build, its digest out, nothing local needed', async () => {
    const { run, builds } = await fx.run({ workspace: dir, sha: firstSha, image });
    expect(run.exitCode).toBe(0);
    expect(builds).toEqual([]);
    expect(run.outputs).toMatchObject({
      built: 'false',
      'reused-digest': firstDigest,
      'local-image': '',
      'image-id': '',
      'inputs-hash': firstHash,
      tests: 'skipped',
      'repo2docker-version': '2026.4.0',
    });
    expect(Number(run.outputs['size-bytes'])).toBeGreaterThan(0);
    expect(run.summary).toContain(`| Result | **Reused** \`${firstDigest}\``);
    expect(run.annotations).toContainEqual(
      expect.objectContaining({ level: 'notice', title: 'No build needed' }),
    );
    expect(await imageExists(run.outputs['image-ref'] ?? '')).toBe(false);
  });

  it('is reused for a new commit that changes only a file .dockerignore leaves out', async () => {
    const sha = await fx.commit(dir, { 'notes/meeting.md': 'new agenda\n' });
    const { run, builds } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(0);
    expect(builds).toEqual([]);
    expect(run.outputs['reused-digest']).toBe(firstDigest);
    expect(run.outputs['tags']).toBe(`${sha.slice(0, 12)}\ninputs-${firstHash.slice(7, 31)}`);
  });

  it('is not reused when an input file changes: the image is built', async () => {
    const sha = await fx.commit(dir, {
      'environment.yml': 'name: base\ndependencies: [python=3.11, pandas]\n',
    });
    const { run, builds } = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.outputs['built']).toBe('true');
    expect(run.outputs['inputs-hash']).not.toBe(firstHash);
    expect(run.summary).toMatch(/\*\*Built\*\*: no image in the registry was built from these inputs/);
  });

  it('is not reused when repo2docker_config.py changes, though .dockerignore keeps it out of the image', async () => {
    const sha = await fx.commit(dir, {
      'repo2docker_config.py': "c.Repo2Docker.labels = {'org.example.config': 'two'}\n",
    });
    const { run, builds } = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.outputs['inputs-hash']).not.toBe(firstHash);
    expect(run.log).toContain('also read by repo2docker and hashed: repo2docker_config.py');
    expect(run.summary).toMatch(
      /\| Inputs hash \| `sha256:[0-9a-f]{64}`: the build context, `repo2docker_config\.py` and/,
    );
    if (repo2dockerUnderTest().kind === 'real') {
      // The real repo2docker executed it from where the action ran it (the double does not run Python).
      expect(await imageLabels(run.outputs['image-ref'] ?? '')).toMatchObject({
        'org.example.config': 'two',
      });
    }
  });

  // The double can claim another version; the real tool on PATH is the pinned one.
  it('is not reused when the repo2docker version changes', async () => {
    const { run, builds } = await fx.run({
      workspace: dir,
      sha: firstSha,
      image,
      inputs: { 'repo2docker-version': '2026.05.0' },
      env: { REPO2DOCKER_DOUBLE_VERSION: '2026.05.0' },
      double: true,
    });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.outputs['inputs-hash']).not.toBe(firstHash);
    expect(run.outputs['repo2docker-version']).toBe('2026.5.0');
  });

  it('is skipped with force-rebuild, and a local image with the same tag is not taken as the build', async () => {
    const { run: first } = await fx.run({
      workspace: dir,
      sha: firstSha,
      image,
      inputs: { 'force-rebuild': 'true' },
    });
    expect(first.exitCode).toBe(0);
    const localId = first.outputs['image-id'];
    // The same tag exists locally now; force-rebuild must still make repo2docker build, not reuse it.
    const { run, builds } = await fx.run({
      workspace: dir,
      sha: firstSha,
      image,
      inputs: { 'force-rebuild': 'true' },
    });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.log).not.toContain('Reusing existing image');
    expect(run.log).toContain('Untagging the local');
    expect(run.outputs).toMatchObject({
      built: 'true',
      'inputs-hash': first.outputs['inputs-hash'],
      'reused-digest': '',
    });
    expect(run.log).toContain(`force-rebuild: not looking for ${image}:inputs-`);
    expect(localId).toMatch(/^sha256:/);
  });

  it('never trusts an inputs tag whose image carries another hash: builds, warns, and leaves that tag out', async () => {
    const sha = await fx.commit(dir, { 'apt.txt': 'curl\n' });
    const probe = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    const hash = probe.run.outputs['inputs-hash'] ?? '';
    const inputsTag = `inputs-${hash.slice(7, 31)}`;
    // Someone pushes an unrelated image under that tag (or a 96-bit prefix clashes).
    await docker(['tag', BUSYBOX_IMAGE, `${image}:decoy`]);
    const decoyDigest = await fx.push(`${image}:decoy`, image, [inputsTag]);
    const { run, builds } = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.outputs['built']).toBe('true');
    expect(run.outputs['tags']).toBe(sha.slice(0, 12));
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(
          new RegExp(`${inputsTag} exists in the registry but its image carries inputs hash`),
        ),
      }),
    );
    expect(await fx.registry.manifestDigest(repositoryOf(image), inputsTag)).toBe(decoyDigest);
  });

  it('builds without reuse or cache when the registry refuses anonymous reads, and says how to fix it', async () => {
    const { run, builds } = await fx.run({
      workspace: dir,
      sha: firstSha,
      image,
      anonymous: true,
      inputs: { test: 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(/refused anonymous reads \(401\); give one of the auth inputs/),
      }),
    );
  });
});
