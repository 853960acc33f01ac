import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Builder } from '@docker/actions-toolkit/lib/buildx/builder.js';
import {
  builderProblem,
  jobDockerConfig,
  parseBuilderInspect,
  planForBuilder,
  privateConfigJson,
} from '../src/buildx.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

describe('parseBuilderInspect', () => {
  // What `docker buildx inspect` printed: buildx v0.25.0 on Debian's dockerd (docker driver), the same buildx with a
  // remote builder on buildkitd v0.23.2, and the docker-container builder docker/setup-buildx-action makes.
  it.each([
    ['buildx-inspect-docker.txt', { name: 'default', driver: 'docker', status: 'running' }],
    ['buildx-inspect-remote.txt', { name: 'hia-remote', driver: 'remote', status: 'running' }],
    [
      'buildx-inspect-docker-container.txt',
      { name: 'builder-3f2c', driver: 'docker-container', status: 'inactive' },
    ],
  ])("reads %s as Docker's own toolkit does", (file, expected) => {
    const text = fixture(file);
    expect(parseBuilderInspect(text)).toEqual(expected);
    // @docker/actions-toolkit's parser (too big to bundle, see the README) is the oracle.
    const oracle = Builder.parseInspect(text);
    expect({ name: oracle.name, driver: oracle.driver, status: oracle.nodes[0]?.status }).toEqual(expected);
  });

  it('gives nothing for what is not an inspect listing', () => {
    expect(parseBuilderInspect('ERROR: no builder "nope" found\n')).toBeUndefined();
    expect(parseBuilderInspect('')).toBeUndefined();
  });
});

describe('planForBuilder', () => {
  it.each([
    [
      { name: 'default', driver: 'docker', status: 'running' },
      { usable: true, load: false },
    ],
    [
      { name: 'ci', driver: 'docker-container', status: 'inactive' },
      { usable: true, load: true },
    ],
    [
      { name: 'k', driver: 'kubernetes', status: 'running' },
      { usable: true, load: true },
    ],
    [
      { name: 'r', driver: 'remote', status: undefined },
      { usable: true, load: true },
    ],
    [{ name: 'broken', driver: 'docker-container', status: 'error: failed to start' }, { usable: false }],
  ])('%j', (builder, expected) => {
    expect(planForBuilder(builder)).toMatchObject(expected);
  });

  it('names the builder, its driver and the fix when it cannot build', () => {
    const plan = planForBuilder({
      name: 'broken',
      driver: 'docker-container',
      status: 'error: failed to start',
    });
    expect(plan).toEqual({
      usable: false,
      problem: 'the buildx builder "broken" (driver docker-container, error: failed to start) cannot build',
      fix: expect.stringContaining('docker buildx inspect --bootstrap broken'),
    });
  });
});

describe('builderProblem', () => {
  it('names the builder BUILDX_BUILDER asked for, and how to make it', () => {
    expect(builderProblem('ERROR: no builder "ci" found\n', 'ci')).toEqual({
      problem: 'the buildx builder "ci" that BUILDX_BUILDER names is not usable: no builder "ci" found',
      fix: expect.stringContaining('docker buildx create --name ci'),
    });
  });
});

describe("privateConfigJson: a private docker config that still sees the job's plugins", () => {
  const job = jobDockerConfig({ HOME: '/home/runner' });

  it.each<[string, string | undefined, string[]]>([
    ['no job config', undefined, ['/home/runner/.docker/cli-plugins']],
    [
      'extra plugin dirs',
      '{"cliPluginsExtraDirs": ["/opt/plugins", "/home/runner/.docker/cli-plugins"]}',
      ['/home/runner/.docker/cli-plugins', '/opt/plugins'],
    ],
    ['a config that is not JSON', '{', ['/home/runner/.docker/cli-plugins']],
  ])('%s', (_name, text, dirs) => {
    expect(JSON.parse(privateConfigJson(job, text, 'registry.example'))).toEqual({
      auths: { 'registry.example': {} },
      cliPluginsExtraDirs: dirs,
    });
  });

  it('finds the job config in DOCKER_CONFIG, and the builders in BUILDX_CONFIG', () => {
    expect(jobDockerConfig({ HOME: '/h', DOCKER_CONFIG: '/cfg' })).toEqual({
      dir: '/cfg',
      buildxDir: '/cfg/buildx',
    });
    expect(jobDockerConfig({ HOME: '/h', BUILDX_CONFIG: '/bx' })).toEqual({
      dir: '/h/.docker',
      buildxDir: '/bx',
    });
  });
});
