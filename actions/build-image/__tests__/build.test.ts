import { describe, expect, it } from '@jest/globals';
import type { ProcessRunner, RunOptions, RunResult } from '@hub-image-actions/process';
import { BuildFailedError, buildImage, type BuildRequest } from '../src/build.js';
import { Docker } from '../src/docker.js';
import { INPUTS_HASH_LABEL } from '../src/repo2docker-argv.js';

const HASH = `sha256:${'a'.repeat(64)}`;
const REF = 'reg.example/hub/base:abc123abc123';

interface Call {
  command: string;
  args: readonly string[];
  options: RunOptions | undefined;
}

/** A runner that answers each program from a script, feeding its output through onLine like the real one. */
function scripted(
  answers: (command: string, args: readonly string[]) => Partial<RunResult> & { lines?: string[] },
) {
  const calls: Call[] = [];
  const runner: ProcessRunner = {
    async run(command, args, options) {
      calls.push({ command, args, options });
      const answer = answers(command, args);
      for (const line of answer.lines ?? []) options?.onLine?.(line, 'stderr');
      return {
        exitCode: 0,
        signal: null,
        timedOut: false,
        stdout: '',
        stderr: (answer.lines ?? []).join('\n'),
        ...answer,
      };
    },
  };
  return { runner, calls };
}

const inspect = (labels: Record<string, string>) =>
  JSON.stringify({
    Id: 'sha256:built',
    Size: 4096,
    RootFS: { Layers: ['sha256:l1', 'sha256:l2'] },
    Config: { Labels: labels },
  });

function request(
  runner: ProcessRunner,
  change: Partial<BuildRequest> = {},
): { deps: Parameters<typeof buildImage>[0]; request: BuildRequest } {
  const printed: string[] = [];
  let now = 1_000;
  return {
    deps: {
      runner,
      docker: new Docker(runner, {}),
      clock: { now: () => (now += 500), sleep: async () => undefined },
      log: { info: () => undefined, warning: () => undefined },
      print: (line) => printed.push(line),
      shielded: (work) => work(),
    },
    request: {
      repo2docker: { path: '/opt/r2d/bin/repo2docker', version: '2026.4.0', origin: 'path' },
      engine: {
        client: '28.2.2',
        server: '28.2.2',
        buildx: 'v0.25.0',
        buildxProblem: undefined,
        rootDir: undefined,
      },
      load: false,
      hash: HASH,
      forceRebuild: false,
      existing: undefined,
      cacheLayers: [['sha256:l1']],
      cwd: '/work/repo',
      env: { DOCKER_CONFIG: '/tmp/cfg' },
      argv: {
        imageRef: REF,
        userId: 1000,
        userName: 'jovyan',
        targetRepoDir: '/srv/repo',
        cacheFrom: [],
        labels: [[INPUTS_HASH_LABEL, HASH]],
        buildArgs: [],
        appendix: undefined,
        subdir: undefined,
        platform: 'linux/amd64',
        inlineCache: true,
        extraArgs: [],
        repoDir: '/work/repo',
      },
      ...change,
    },
  };
}

describe('buildImage', () => {
  it('runs repo2docker in the repository with the build env, and reports the image and the cache it used', async () => {
    const { runner, calls } = scripted((command) =>
      command === 'docker'
        ? { stdout: inspect({ [INPUTS_HASH_LABEL]: HASH }) }
        : {
            lines: ['#5 [2/3] RUN apt-get install', '#5 CACHED', '#6 [3/3] COPY . /srv/repo', '#6 DONE 0.1s'],
          },
    );
    const { deps, request: r } = request(runner, { load: true });
    const outcome = await buildImage(deps, r);
    const build = calls.find((c) => c.command === '/opt/r2d/bin/repo2docker');
    expect(build?.options).toMatchObject({ cwd: '/work/repo', env: { DOCKER_CONFIG: '/tmp/cfg' } });
    expect(build?.args.slice(-2)).toEqual(['--DockerEngine.extra_buildx_build_args=--load', '/work/repo']);
    expect(outcome).toMatchObject({
      image: { id: 'sha256:built', layers: ['sha256:l1', 'sha256:l2'] },
      reusedLocally: false,
      stats: { steps: 2, cachedSteps: 1 },
      layersFromCache: 1,
      durationMs: 500,
      warnings: [],
    });
  });

  it.each([
    [
      'lets repo2docker reuse a local image with these inputs',
      { [INPUTS_HASH_LABEL]: HASH },
      false,
      true,
      false,
    ],
    [
      'untags a local image with other inputs first',
      { [INPUTS_HASH_LABEL]: 'sha256:other' },
      false,
      false,
      true,
    ],
    [
      'untags a local image with these inputs under force-rebuild',
      { [INPUTS_HASH_LABEL]: HASH },
      true,
      false,
      true,
    ],
  ])('%s', async (_name, labels, forceRebuild, reusedLocally, untagged) => {
    const { runner, calls } = scripted((command) =>
      command === 'docker' ? { stdout: inspect({ [INPUTS_HASH_LABEL]: HASH }) } : {},
    );
    const existing = { id: 'sha256:old', size: 1, layers: [], labels, repoTags: [], repoDigests: [] };
    const { deps, request: r } = request(runner, { existing, forceRebuild });
    const outcome = await buildImage(deps, r);
    expect(outcome.reusedLocally).toBe(reusedLocally);
    expect(calls.some((c) => c.args.join(' ') === `image rm ${REF}`)).toBe(untagged);
  });

  it("names BuildKit's failing step and its last lines, without a stack trace", async () => {
    const { runner } = scripted(() => ({
      exitCode: 1,
      lines: [
        '#7 [2/2] RUN pip install -r requirements.txt',
        '#7 sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
        '#7 1.204 ERROR: No matching distribution found for numpy==9',
        '#7 ERROR: executor failed running [/bin/sh -c pip install -r requirements.txt]: exit code: 1',
        "subprocess.CalledProcessError: Command '['docker', 'buildx', 'build']' returned non-zero exit status 1.",
      ],
    }));
    const { deps, request: r } = request(runner);
    const failure = await buildImage(deps, r).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(BuildFailedError);
    expect((failure as BuildFailedError).failure).toEqual({
      title: 'Build failed at [2/2] RUN pip install -r requirements.txt',
      lines: [
        'ERROR: No matching distribution found for numpy==9',
        'ERROR: executor failed running [/bin/sh -c pip install -r requirements.txt]: exit code: 1',
      ],
    });
  });

  it('says what to install when the build could not find buildx, in the version spelling of the tool', async () => {
    const { runner } = scripted(() => ({
      exitCode: 1,
      lines: [
        'docker: unknown command: docker buildx',
        "RuntimeError: The buildx plugin must be installed: Command '['docker', 'buildx', 'version']' returned non-zero exit status 1.",
      ],
    }));
    const { deps, request: r } = request(runner, {
      repo2docker: { path: 'repo2docker', version: '2026.04.0', origin: 'path' },
      engine: {
        client: '28.2.2',
        server: '28.2.2',
        buildx: undefined,
        buildxProblem: 'docker lists no buildx plugin',
        rootDir: undefined,
      },
    });
    const failure = (await buildImage(deps, r).catch((error: unknown) => error)) as BuildFailedError;
    expect(failure.failure.title).toBe('buildx is missing');
    expect(failure.message).toMatch(
      /^repo2docker 2026\.4\.0 builds with `docker buildx build`, and this runner's docker \(28\.2\.2\) has no usable buildx plugin \(docker lists no buildx plugin; the build said: docker: unknown command: docker buildx\)/,
    );
    expect(failure.message).toContain('docker-buildx-plugin');
  });

  it('is a bug, not a user mistake, when repo2docker succeeds and no image is in the engine', async () => {
    const { runner } = scripted((command) =>
      command === 'docker' ? { exitCode: 1, stderr: `Error: No such image: ${REF}` } : {},
    );
    const { deps, request: r } = request(runner);
    const failure = await buildImage(deps, r).catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(BuildFailedError);
    expect((failure as Error).message).toBe(`repo2docker succeeded, but ${REF} is not in the local engine`);
  });

  it('warns when the built image lacks the inputs hash label, so later runs cannot reuse it', async () => {
    const { runner } = scripted((command) => (command === 'docker' ? { stdout: inspect({}) } : {}));
    const { deps, request: r } = request(runner);
    expect((await buildImage(deps, r)).warnings).toEqual([
      `${REF} does not carry the ${INPUTS_HASH_LABEL} label, so later runs cannot reuse it`,
    ]);
  });
});
