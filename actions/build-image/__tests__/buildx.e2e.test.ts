// build-image with the buildx a job really has: a plugin installed per user (docker/setup-buildx-action with a
// `version`), and a builder whose driver is not the engine's own (what setup-buildx-action creates by default). These
// need a real buildx: where there is none (this project's CI machine) they are skipped, and HIA_REAL_TOOLS=1 fails
// instead. The builder test needs HIA_BUILDX_BUILDER: a builder of another driver (docker-container, remote, …),
// with DOCKER_CONFIG (or BUILDX_CONFIG) where buildx keeps it.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { imageExists } from '@hub-image-actions/local-world/docker-engine';
import { repo2dockerUnderTest } from '@hub-image-actions/local-world/repo2docker-double';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

const tool = repo2dockerUnderTest();
const realTools = process.env['HIA_REAL_TOOLS'] === '1';

/** Where docker finds the buildx plugin with the tools' environment; undefined when there is none. */
function buildxPluginPath(): string | undefined {
  const result = spawnSync('docker', ['info', '--format', '{{json .ClientInfo.Plugins}}'], {
    env: { ...process.env, ...tool.env },
    encoding: 'utf8',
  });
  const plugins = JSON.parse(result.stdout.trim() || 'null') as Array<{
    Name?: string;
    Path?: string;
  }> | null;
  return plugins?.find((plugin) => plugin.Name === 'buildx' && plugin.Path)?.Path;
}

const plugin = buildxPluginPath();
const builderName = process.env['HIA_BUILDX_BUILDER'];
if (realTools && (plugin === undefined || builderName === undefined)) {
  throw new Error(
    `HIA_REAL_TOOLS=1 needs ${plugin === undefined ? 'the buildx plugin' : ''}${plugin === undefined && builderName === undefined ? ' and ' : ''}${builderName === undefined ? 'HIA_BUILDX_BUILDER, a builder whose driver is not docker' : ''}`,
  );
}
const withBuildx = plugin === undefined ? it.skip : it;
const withBuilder = plugin === undefined || builderName === undefined ? it.skip : it;

let fx: Fixture;

beforeAll(async () => {
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

describe('build-image with the buildx of the job', () => {
  withBuildx(
    'keeps a buildx installed only in ~/.docker/cli-plugins visible under its private docker config',
    async () => {
      const home = await fx.tempDir('home');
      await mkdir(join(home, '.docker', 'cli-plugins'), { recursive: true });
      await symlink(plugin ?? '', join(home, '.docker', 'cli-plugins', 'docker-buildx'));
      const { dir, sha } = await fx.repo(imageRepo());
      // An auth input: the pulls log in through a private DOCKER_CONFIG under RUNNER_TEMP.
      const { run } = await fx.run({
        workspace: dir,
        sha,
        image: fx.image('per-user-buildx'),
        inputs: { test: 'false' },
        env: { HOME: home, DOCKER_CONFIG: undefined, REPO2DOCKER_DOUBLE_NO_BUILDX: 'fail' },
      });
      expect(run.log).toContain('Logged in to');
      expect(run.log).toMatch(/^buildx: v?\d/m);
      expect(run.exitCode).toBe(0);
      expect(run.outputs['built']).toBe('true');
    },
  );

  withBuilder(
    "adds --load for a builder that is not the engine's own, so the image lands in the engine",
    async () => {
      // A builder that is not the engine's own cannot see the engine's images: the repository needs no base image.
      const { dir, sha } = await fx.repo({
        Dockerfile: 'FROM scratch\nCOPY hello.txt /hello.txt\n',
        'hello.txt': 'hi\n',
      });
      const { run, builds } = await fx.run({
        workspace: dir,
        sha,
        image: fx.image('builder'),
        inputs: { test: 'false' },
        env: { BUILDX_BUILDER: builderName },
      });
      expect(run.log).toMatch(
        new RegExp(`buildx builder "${builderName}" \\(driver (?!docker\\b)[\\w-]+.*passing --load`),
      );
      expect(builds[0]).toContain('--DockerEngine.extra_buildx_build_args=--load');
      expect(run.exitCode).toBe(0);
      expect(await imageExists(run.outputs['image-ref'] ?? '')).toBe(true);
    },
  );

  withBuildx('refuses a builder that does not exist before building, naming it and the fix', async () => {
    const { dir, sha } = await fx.repo(imageRepo());
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('no-builder'),
      env: { BUILDX_BUILDER: 'hia-no-such-builder' },
    });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /the buildx builder "hia-no-such-builder" that BUILDX_BUILDER names is not usable: no builder "hia-no-such-builder" found\. Create it \(`docker buildx create --name hia-no-such-builder`/,
    );
  });
});
