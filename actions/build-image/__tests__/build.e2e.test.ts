import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { imageLabels, imageId, docker } from '@hub-image-actions/local-world/docker-engine';
import { PYTHON_IMAGE } from '@hub-image-actions/local-world/base-images';
import {
  REQUEST_FILE_IN_IMAGE,
  type Repo2DockerRequest,
} from '@hub-image-actions/local-world/repo2docker-double';
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
COPY --chown=1000:1000 . /srv/repo
USER 1000
WORKDIR /srv/repo
`;

describe('build-image builds with repo2docker', () => {
  it('builds a Dockerfile repository with exactly the contract argv, labels and outputs', async () => {
    const image = fx.image('dockerfile');
    const { dir, sha } = await fx.repo({ Dockerfile: DOCKERFILE, 'README.md': 'hello\n' });
    const { run, builds } = await fx.run({ workspace: dir, sha, image });
    expect(run.log).not.toMatch(/unexpected error/);
    expect(run.exitCode).toBe(0);
    const tag = sha.slice(0, 12);
    const hash = run.outputs['inputs-hash'] ?? '';
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inputsTag = `inputs-${hash.slice(7, 31)}`;
    expect(builds).toHaveLength(1);
    expect(builds[0]).toEqual([
      '--no-run',
      '--user-id=1000',
      '--user-name=jovyan',
      '--target-repo-dir=/srv/repo',
      `--image-name=${image}:${tag}`,
      '--label=repo2docker.repo=https://github.com/hub-test/image-repo',
      `--label=repo2docker.ref=${sha}`,
      `--label=hub-image-actions.inputs-hash=${hash}`,
      '--Repo2Docker.platform=linux/amd64',
      '--DockerEngine.extra_buildx_build_args=--cache-to=type=inline',
      dir,
    ]);
    expect(run.outputs).toMatchObject({
      image,
      tag,
      'image-ref': `${image}:${tag}`,
      built: 'true',
      'local-image': `${image}:${tag}`,
      'reused-digest': '',
      'repo2docker-version': '2026.4.0',
      tests: 'skipped',
      tags: `${tag}\n${inputsTag}`,
      IMAGE_SHA_NAME: `${image}:${tag}`,
      IMAGE_SHA_TAG: tag,
    });
    expect(run.outputs['image-id']).toBe(await imageId(`${image}:${tag}`));
    expect(Number(run.outputs['size-bytes'])).toBeGreaterThan(1_000_000);
    // One spelling of the version: the tool's own (pip's), in the output and the label alike.
    expect(await imageLabels(`${image}:${tag}`)).toMatchObject({
      'repo2docker.version': '2026.4.0',
      'repo2docker.ref': sha,
      'repo2docker.repo': 'https://github.com/hub-test/image-repo',
      'hub-image-actions.inputs-hash': hash,
    });
    expect(run.groups).toEqual([
      'Docker engine',
      'Build context',
      'Registry: reuse and cache',
      'repo2docker',
      'Build',
      'Packages: what changed in the image',
    ]);
    // The first commit has no parent image to compare with; its manifest is there for push-to-gar.
    expect(run.outputs['package-manifest']).toMatch(
      /\/build-image-packages-[0-9a-f]+\/package-manifest\.json$/,
    );
    expect(run.outputs).toMatchObject({ 'packages-diff': '', 'packages-added': '' });
    expect(run.summary).toContain(`### build-image: \`${image}:${tag}\``);
    expect(run.summary).toMatch(
      /\| Result \| \*\*Built\*\*: no image in the registry was built from these inputs \|/,
    );
    expect(run.summary).toMatch(
      /\| Versions \| repo2docker 2026\.4\.0, docker .* \(engine\), .*, buildx (?:not installed|v?\d[\w.+-]*) \|/,
    );
    expect(run.summary).toMatch(/\| Disk \| workspace .*free before, .* after/);
  });

  // The real repo2docker needs the network for an environment.yml repository (its conda job is in ci.yml); the double
  // builds a stand-in image that records what it was asked.
  it('builds an environment.yml repository: the double records what repo2docker was asked', async () => {
    const image = fx.image('conda');
    const { dir, sha } = await fx.repo({
      'environment.yml': 'name: x\ndependencies: [python=3.11]\n',
      'postBuild*': '#!/bin/sh\necho post\n',
    });
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image,
      inputs: {
        appendix: 'RUN echo appended > /tmp/appendix',
        'build-args': 'PIP_INDEX_URL=https://mirror.example/simple',
        labels: 'org.example.team=data8',
      },
      double: true,
    });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    const ref = run.outputs['image-ref'] ?? '';
    const request = JSON.parse(
      (await docker(['run', '--rm', '--entrypoint', 'cat', ref, REQUEST_FILE_IN_IMAGE])).stdout,
    ) as Repo2DockerRequest;
    expect(request).toMatchObject({
      buildpack: 'CondaBuildPack',
      userName: 'jovyan',
      userId: 1000,
      targetRepoDir: '/srv/repo',
      appendix: 'RUN echo appended > /tmp/appendix',
      platform: 'linux/amd64',
      cacheFrom: [],
    });
    expect(request.buildArgs).toMatchObject({
      PIP_INDEX_URL: 'https://mirror.example/simple',
      REPO_DIR: '/srv/repo',
    });
    expect(request.labels).toMatchObject({
      'repo2docker.ref': sha,
      'org.example.team': 'data8',
      'hub-image-actions.inputs-hash': run.outputs['inputs-hash'],
    });
    expect((await docker(['run', '--rm', '--entrypoint', 'cat', ref, '/tmp/appendix'])).stdout).toBe(
      'appended\n',
    );
    expect((await docker(['run', '--rm', '--entrypoint', 'ls', ref, '/srv/repo'])).stdout).toBe(
      'environment.yml\npostBuild\n',
    );
  });

  it('shows the failing step and its last lines in the error annotation and the summary', async () => {
    const image = fx.image('broken');
    const { dir, sha } = await fx.repo({
      Dockerfile: `FROM ${PYTHON_IMAGE}\nRUN echo "resolving environment" && echo "conflict: numpy<1 and numpy>2" && exit 3\n`,
    });
    const { run } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(1);
    const error = run.annotations.find((a) => a.level === 'error');
    expect(error?.message).toMatch(
      /^build-image action failed: Build failed at \[2\/2\] RUN echo "resolving environment"/,
    );
    expect(error?.message).toContain('conflict: numpy<1 and numpy>2');
    expect(error?.message).toMatch(/ERROR: .*exit code: 3/);
    expect(error?.message).not.toMatch(/\n\s+at /); // a user's build failure, not a bug: no stack trace
    expect(run.summary).toContain('#### Build failed at [2/2] RUN echo');
    expect(run.summary).toMatch(/````?text\n(.|\n)*conflict: numpy<1 and numpy>2/);
    expect(run.outputs).toMatchObject({ built: 'false', tests: 'skipped', 'local-image': '' });
  });

  it('streams the build log in a group where the build cannot issue workflow commands', async () => {
    const image = fx.image('commands');
    const { dir, sha } = await fx.repo({
      Dockerfile: `FROM ${PYTHON_IMAGE}\nRUN echo "::error::injected by the build" && echo "::set-output name=forged::yes"\n`,
    });
    const { run } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('::error::injected by the build');
    expect(run.annotations.filter((a) => a.message.includes('injected'))).toEqual([]);
    expect(run.outputs['forged']).toBeUndefined();
    const buildGroup = run.log.slice(run.log.indexOf('::group::Build\n'));
    expect(buildGroup.indexOf('injected by the build')).toBeLessThan(buildGroup.indexOf('::endgroup::'));
  });
});
