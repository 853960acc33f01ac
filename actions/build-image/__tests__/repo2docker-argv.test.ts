import { describe, expect, it } from '@jest/globals';
// The double's parser behaves like repo2docker's argparse parser; parsing our argv with it checks the contract.
// @ts-expect-error: a plain .mjs module of the test double, without type declarations
import { parseArgs, traitArgs } from '@hub-image-actions/local-world/repo2docker-double/lib/args.mjs';
import {
  extraArgsProblems,
  formatCommand,
  INPUTS_HASH_LABEL,
  repo2dockerArgv,
  type Repo2DockerPlan,
} from '../src/repo2docker-argv.js';

const NAME = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image';
const SHA = '8b48b4867330c0ffee1234567890abcdef123456';
const HASH = `sha256:${'ab'.repeat(32)}`;

const base: Repo2DockerPlan = {
  imageRef: `${NAME}:8b48b4867330`,
  userId: 1000,
  userName: 'jovyan',
  targetRepoDir: '/srv/repo',
  cacheFrom: [],
  labels: [
    ['repo2docker.repo', 'https://github.com/cal-icor/base-user-image'],
    ['repo2docker.ref', SHA],
    [INPUTS_HASH_LABEL, HASH],
  ],
  buildArgs: [],
  appendix: undefined,
  subdir: undefined,
  platform: 'linux/amd64',
  inlineCache: true,
  load: false,
  extraArgs: [],
  repoDir: '/home/runner/work/repo',
};

interface Parsed {
  run: boolean | undefined;
  push: boolean | undefined;
  userId: number;
  userName: string;
  targetRepoDir: string;
  imageName: string;
  cacheFrom: string[];
  labels: string[];
  buildArgs: string[];
  appendix?: string;
  subdir?: string;
  repo: string;
  cmd: string[];
  extra: string[];
}

const parse = (argv: string[]) => {
  const args = parseArgs(argv) as Parsed;
  return { ...args, traits: (traitArgs(args.extra) as { traits: unknown }).traits };
};

describe('repo2dockerArgv: the command line of DOMAIN.md, exactly', () => {
  it.each<[string, Partial<Repo2DockerPlan>, string[]]>([
    [
      'the pipeline defaults',
      {},
      [
        '--no-run',
        '--user-id=1000',
        '--user-name=jovyan',
        '--target-repo-dir=/srv/repo',
        `--image-name=${NAME}:8b48b4867330`,
        '--label=repo2docker.repo=https://github.com/cal-icor/base-user-image',
        `--label=repo2docker.ref=${SHA}`,
        `--label=${INPUTS_HASH_LABEL}=${HASH}`,
        '--Repo2Docker.platform=linux/amd64',
        '--DockerEngine.extra_buildx_build_args=--cache-to=type=inline',
        '/home/runner/work/repo',
      ],
    ],
    [
      'cache images, in order',
      { cacheFrom: [`${NAME}:0be26ba905cb`, `${NAME}:8b48b4867330`] },
      [
        '--no-run',
        '--user-id=1000',
        '--user-name=jovyan',
        '--target-repo-dir=/srv/repo',
        `--image-name=${NAME}:8b48b4867330`,
        `--cache-from=${NAME}:0be26ba905cb`,
        `--cache-from=${NAME}:8b48b4867330`,
        '--label=repo2docker.repo=https://github.com/cal-icor/base-user-image',
        `--label=repo2docker.ref=${SHA}`,
        `--label=${INPUTS_HASH_LABEL}=${HASH}`,
        '--Repo2Docker.platform=linux/amd64',
        '--DockerEngine.extra_buildx_build_args=--cache-to=type=inline',
        '/home/runner/work/repo',
      ],
    ],
    [
      'user labels after ours, build args, appendix, subdir, another user and platform, no buildx, extra args',
      {
        userId: 1001,
        userName: 'student',
        targetRepoDir: '/home/student/repo',
        labels: [
          [INPUTS_HASH_LABEL, HASH],
          ['org.opencontainers.image.source', 'https://example.org/x'],
        ],
        buildArgs: [['PIP_INDEX_URL', 'https://mirror.example/simple']],
        appendix: 'RUN echo "hi" && \\\n    echo there',
        subdir: 'images/gpu',
        platform: 'linux/arm64',
        inlineCache: false,
        extraArgs: ['--Repo2Docker.base_image=docker.io/library/buildpack-deps:noble', '--debug'],
      },
      [
        '--no-run',
        '--user-id=1001',
        '--user-name=student',
        '--target-repo-dir=/home/student/repo',
        `--image-name=${NAME}:8b48b4867330`,
        `--label=${INPUTS_HASH_LABEL}=${HASH}`,
        '--label=org.opencontainers.image.source=https://example.org/x',
        '--build-arg=PIP_INDEX_URL=https://mirror.example/simple',
        '--appendix=RUN echo "hi" && \\\n    echo there',
        '--subdir=images/gpu',
        '--Repo2Docker.platform=linux/arm64',
        '--Repo2Docker.base_image=docker.io/library/buildpack-deps:noble',
        '--debug',
        '/home/runner/work/repo',
      ],
    ],
    [
      "a builder that is not the engine's own: --load after the inline cache",
      { load: true },
      [
        '--no-run',
        '--user-id=1000',
        '--user-name=jovyan',
        '--target-repo-dir=/srv/repo',
        `--image-name=${NAME}:8b48b4867330`,
        '--label=repo2docker.repo=https://github.com/cal-icor/base-user-image',
        `--label=repo2docker.ref=${SHA}`,
        `--label=${INPUTS_HASH_LABEL}=${HASH}`,
        '--Repo2Docker.platform=linux/amd64',
        '--DockerEngine.extra_buildx_build_args=--cache-to=type=inline',
        '--DockerEngine.extra_buildx_build_args=--load',
        '/home/runner/work/repo',
      ],
    ],
  ])('%s', (_name, change, expected) => {
    expect(repo2dockerArgv({ ...base, ...change })).toEqual(expected);
  });

  it('means to repo2docker what the pipeline asks for (parsed like argparse does)', () => {
    const parsed = parse(
      repo2dockerArgv({
        ...base,
        cacheFrom: [`${NAME}:0be26ba905cb`],
        buildArgs: [['A', '-starts-with-dash']],
        appendix: '--not-an-option',
        subdir: 'sub',
        load: true,
      }),
    );
    expect(parsed).toMatchObject({
      run: false,
      push: undefined,
      userId: 1000,
      userName: 'jovyan',
      targetRepoDir: '/srv/repo',
      imageName: `${NAME}:8b48b4867330`,
      cacheFrom: [`${NAME}:0be26ba905cb`],
      labels: [
        'repo2docker.repo=https://github.com/cal-icor/base-user-image',
        `repo2docker.ref=${SHA}`,
        `${INPUTS_HASH_LABEL}=${HASH}`,
      ],
      buildArgs: ['A=-starts-with-dash'],
      appendix: '--not-an-option',
      subdir: 'sub',
      repo: '/home/runner/work/repo',
      cmd: [],
      traits: { platform: 'linux/amd64', extraBuildxBuildArgs: ['--cache-to=type=inline', '--load'] },
    });
  });
});

describe('extraArgsProblems', () => {
  it.each([
    ['--push', /never pushes/],
    ['--image-name=x', /use the "image and tag" input/],
    ['--image=x', /abbreviates --image-name/],
    ['--user-id=0', /use the "user-id" input/],
    ['--label=a=b', /use the "labels" input/],
    ['--build-memory-limit=2G', /removed it/],
    ['--Repo2Docker.platform=linux/arm64', /use the "platform" input/],
    ['--Repo2Docker.user_id=0', /use the "user-id" input/],
    ['--no-build', /builds nothing/],
  ])('refuses %s', (arg, message) => {
    const problems = extraArgsProblems([arg]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each([
    ['--debug'],
    ['--Repo2Docker.base_image=x/y:z'],
    ['--engine=docker'],
    ['--DockerEngine.extra_buildx_build_args=--pull'],
  ])('allows %s', (arg) => {
    expect(extraArgsProblems([arg])).toEqual([]);
  });
});

describe('formatCommand', () => {
  it('quotes what a reader could misread, and nothing else', () => {
    expect(formatCommand('repo2docker', ['--no-run', '--appendix=RUN a b', '/r'])).toBe(
      'repo2docker --no-run "--appendix=RUN a b" /r',
    );
  });
});
