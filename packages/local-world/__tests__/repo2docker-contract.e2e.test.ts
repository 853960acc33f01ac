// What repo2docker 2026.04.0 does, as the actions rely on it. These run against the real repo2docker when it is on
// PATH at the pinned version with buildx (HIA_REAL_TOOLS=1 demands it), else against the double: both must pass, so
// the double cannot drift from the real tool on anything asserted here.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../src/base-images.js';
import { TestRegistry } from '../src/registry.js';
import { doubleEnv, PINNED_REPO2DOCKER, repo2dockerUnderTest } from '../src/repo2docker-double.js';
import { makeTempDir, removeDir } from '../src/tmp.js';
import { docker, makeRepo as makeRepoIn, run, type Result } from './repo2docker-tests.js';

jest.setTimeout(180_000);

const tool = repo2dockerUnderTest();

/** repo2docker found through PATH, as the actions find it. */
function repo2docker(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return run('repo2docker', args, { ...tool.env, ...env });
}

const suffix = randomBytes(4).toString('hex');
const images: string[] = [];
const dirs: string[] = [];
const makeRepo = (files: Record<string, string>) => makeRepoIn(files, dirs);

function imageName(purpose: string): string {
  const name = `hia-r2d-contract/${purpose}:${suffix}`;
  images.push(name);
  return name;
}

async function labels(name: string): Promise<Record<string, string>> {
  return JSON.parse(
    await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', name]),
  ) as Record<string, string>;
}

const USER = ['--user-id', '1000', '--user-name', 'jovyan'];
const BUILD = ['--no-run', ...USER];
const dockerfileRepo = (extra = '') =>
  makeRepo({ Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo ${suffix} > /built\nCOPY . /srv/repo\n${extra}` });

beforeAll(async () => {
  await ensureBusyboxImage();
});

afterAll(async () => {
  for (const image of images) await run('docker', ['rmi', '-f', image]);
  for (const dir of dirs) await removeDir(dir);
});

describe(`repo2docker ${PINNED_REPO2DOCKER} (${tool.kind}): the command line`, () => {
  it('prints its version as pip spells it, before parsing anything else', async () => {
    const result = await repo2docker(['--version', '--no-such-flag']);
    expect(result).toMatchObject({ code: 0, stdout: '2026.4.0\n' });
  });

  it('refuses what argparse refuses, with exit code 2 and its usage', async () => {
    const repo = await dockerfileRepo();
    const cases: Array<[string[], string]> = [
      [['--no', repo], 'ambiguous option: --no could match --no-build, --no-run, --no-clean, --no-push'],
      [['--user-id=abc', repo], "argument --user-id: invalid int value: 'abc'"],
      [
        ['--image-name=Bad_Name', repo],
        "argument --image-name: 'Bad_Name' is not a valid docker image name.",
      ],
      [['--debug=1', repo], "argument --debug: ignored explicit argument '1'"],
      [['--no-run'], 'the following arguments are required: repo, cmd'],
    ];
    for (const [args, message] of cases) {
      const result = await repo2docker(args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/^usage: repo2docker \[-h\] \[--help-all\] \[--version\]/);
      expect(result.stderr).toContain(`repo2docker: error: ${message}`);
    }
  });

  it('hands unknown options to traitlets: a value-less one exits 2, the others warn or pass silently', async () => {
    const repo = await dockerfileRepo();
    const noValue = await repo2docker([...BUILD, '--no-build', '--nope', repo]);
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('usage: repo2docker [-h] [extra_args ...]');
    expect(noValue.stderr).toContain('repo2docker: error: argument --nope: expected one argument');

    const alias = await repo2docker([...BUILD, '--no-build', '--nope=1', repo]);
    expect(alias.code).toBe(0);
    expect(alias.stderr).toContain("Unrecognized alias: 'nope', it will have no effect.");

    const trait = await repo2docker([...BUILD, '--no-build', '--Repo2Docker.nope=1', repo]);
    expect(trait.code).toBe(0);
    expect(trait.stderr).toContain('Config option `nope` not recognized by `Repo2Docker`.');

    const otherClass = await repo2docker([...BUILD, '--no-build', '--NoSuchClass.x=1', repo]);
    expect(otherClass.code).toBe(0);
    expect(otherClass.stderr).not.toContain('NoSuchClass');
  });

  it('treats everything after the repository as the command to run', async () => {
    const repo = await dockerfileRepo();
    const result = await repo2docker([...BUILD, '--no-build', repo, '--nope', '--image-name=Bad_Name']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`FROM ${BUSYBOX_IMAGE}`);
  });

  it('prints the Dockerfile with --no-build and builds nothing; binder/ is where it looks first', async () => {
    const repo = await makeRepo({
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo root\n`,
      'binder/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo binder\n`,
    });
    const name = imageName('no-build');
    const result = await repo2docker([...BUILD, '--no-build', '--image-name', name, repo]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('RUN echo binder');
    expect(result.stdout).not.toContain('RUN echo root');
    expect(result.stderr).toContain(`Using local repo ${repo}.`);
    expect((await run('docker', ['image', 'inspect', name])).code).not.toBe(0);
  });

  it('refuses a removed option and an unknown engine', async () => {
    const repo = await dockerfileRepo();
    const memory = await repo2docker([...BUILD, '--build-memory-limit', '1G', repo]);
    expect(memory.code).toBe(255);
    expect(memory.stderr).toContain('--build-memory-limit is no longer supported');

    const engine = await repo2docker([...BUILD, '--engine', 'podman', repo]);
    expect(engine.code).toBe(1);
    expect(engine.stderr).toContain(
      "Container engine initialization error: Container engine 'podman' not found. Available engines: docker",
    );
  });

  it('refuses uid 0 before anything else when it runs as root, else takes its own uid', async () => {
    const repo = await dockerfileRepo();
    const result = await repo2docker(['--no-run', '--user-id', '0', '--no-build', repo]);
    if (process.geteuid?.() === 0) {
      const root = await repo2docker(['--no-run', '--user-id', '0', '--user-name', 'jovyan', repo]);
      expect(root.code).toBe(1);
      expect(root.stdout).toMatch(/^Root as the primary user in the image is not permitted\.\n/);
    }
    // A dry run is never refused: nothing is built.
    expect(result.code).toBe(0);
  });
});

describe(`repo2docker ${PINNED_REPO2DOCKER} (${tool.kind}): the engine`, () => {
  it('says the docker client "must be installed" when no engine answers', async () => {
    const repo = await dockerfileRepo();
    const result = await repo2docker([...BUILD, '--image-name', imageName('no-engine'), repo], {
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Cannot connect to the Docker daemon');
    expect(result.stderr).toMatch(
      /RuntimeError: The docker commandline client must be installed: Command '\['docker', 'version'\]' returned non-zero exit status 1\.\n$/,
    );
  });

  it('needs the buildx plugin, and says so after docker does', async () => {
    const emptyConfig = await makeTempDir('r2d-no-plugins');
    dirs.push(emptyConfig);
    const hidden = (await run('docker', ['buildx', 'version'], { DOCKER_CONFIG: emptyConfig })).code !== 0;
    // Where buildx is installed system-wide it cannot be hidden from the real tool: the double shows the message.
    const env = hidden ? { DOCKER_CONFIG: emptyConfig } : { ...doubleEnv(), DOCKER_CONFIG: emptyConfig };
    const result = await run(
      'repo2docker',
      [...BUILD, '--image-name', imageName('no-buildx'), await dockerfileRepo()],
      { ...tool.env, ...env, REPO2DOCKER_DOUBLE_NO_BUILDX: 'fail' },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown command:? "?docker buildx|'buildx' is not a docker command/);
    expect(result.stderr).toMatch(
      /RuntimeError: The buildx plugin must be installed: Command '\['docker', 'buildx', 'version'\]' returned non-zero exit status 1\.\n$/,
    );
  });
});

describe(`repo2docker ${PINNED_REPO2DOCKER} (${tool.kind}): builds`, () => {
  it('builds a Dockerfile repository with BuildKit into the local engine, with its labels and build args', async () => {
    const repo = await makeRepo({
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nARG NB_USER\nARG NB_UID\nARG EXTRA\nRUN echo "$NB_USER $NB_UID $EXTRA" > /args\nCOPY . /srv/repo\n`,
      'kept.txt': 'kept\n',
      'secret.env': 'TOKEN=x\n',
      '.dockerignore': 'secret.env\n',
    });
    const name = imageName('dockerfile');
    const result = await repo2docker([
      ...BUILD,
      '--image-name',
      name,
      '--label',
      'team=hub',
      '--build-arg',
      'EXTRA=yes',
      '--Repo2Docker.platform=linux/amd64',
      repo,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Using DockerBuildPack builder');
    expect(result.stderr).toMatch(/^#\d+ \[2\/3\] RUN echo "jovyan 1000 yes" > \/args$/m);
    expect(result.stderr).not.toMatch(/^Step \d+\/\d+ :/m);
    expect(await labels(name)).toEqual({
      'repo2docker.version': '2026.4.0',
      'repo2docker.repo': 'local',
      'repo2docker.ref': 'None',
      team: 'hub',
    });
    expect(await docker(['run', '--rm', name, 'cat', '/args'])).toBe('jovyan 1000 yes\n');
    expect(await docker(['run', '--rm', name, 'ls', '/srv/repo'])).toBe('Dockerfile\nkept.txt\n');
  });

  it('labels the ref it was given, and lets a --label override its own', async () => {
    const repo = await dockerfileRepo();
    const name = imageName('labels');
    const result = await repo2docker([
      ...BUILD,
      '--ref',
      'main',
      '--label',
      'repo2docker.repo=https://github.com/hub/image',
      '--image-name',
      name,
      repo,
    ]);
    expect(result.code).toBe(0);
    expect(await labels(name)).toMatchObject({
      'repo2docker.ref': 'main',
      'repo2docker.repo': 'https://github.com/hub/image',
    });
  });

  it('skips the build when the image name exists locally, whatever the repository holds now', async () => {
    const repo = await dockerfileRepo();
    const name = imageName('reuse');
    expect((await repo2docker([...BUILD, '--image-name', name, repo])).code).toBe(0);
    await writeFile(join(repo, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nRUN exit 3\n`);
    const again = await repo2docker([...BUILD, '--image-name', name, repo]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(
      new RegExp(`Reusing existing image \\(${name.replace(/[/.]/g, '\\$&')}\\), not building\\.$`),
    );
  });

  it("fails a failing step with BuildKit's error and an uncaught CalledProcessError", async () => {
    const repo = await dockerfileRepo('RUN echo about-to-fail && exit 3\n');
    const result = await repo2docker([...BUILD, '--image-name', imageName('fails'), repo]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^#\d+ \[4\/4\] RUN echo about-to-fail && exit 3$/m);
    expect(result.stderr).toMatch(/^#\d+ ERROR: .*exit code: 3$/m);
    expect(result.stderr).toMatch(
      /subprocess\.CalledProcessError: Command '\['docker', 'buildx', 'build', '--progress', 'plain'/,
    );
  });

  it('says a missing subdirectory does not exist', async () => {
    const repo = await dockerfileRepo();
    const result = await repo2docker([
      ...BUILD,
      '--subdir',
      'missing',
      '--image-name',
      imageName('subdir'),
      repo,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Subdirectory missing does not exist');
    expect(result.stderr).toContain(`FileNotFoundError: Could not find ${join(repo, 'missing')}`);
  });

  it('hands --cache-from and the extra buildx arguments to the build, appending repeated ones', async () => {
    const repo = await dockerfileRepo();
    const first = imageName('cache-source');
    const inline = ['--DockerEngine.extra_buildx_build_args=--cache-to=type=inline'];
    expect((await repo2docker([...BUILD, ...inline, '--image-name', first, repo])).code).toBe(0);
    await writeFile(join(repo, 'changed.txt'), 'changed\n');
    const second = imageName('cache-user');
    const result = await repo2docker([
      ...BUILD,
      ...inline,
      '--DockerEngine.extra_buildx_build_args=--build-arg=SECOND=1',
      '--cache-from',
      first,
      '--image-name',
      second,
      repo,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`importing cache manifest from ${first}`);
    expect(result.stderr).not.toContain('Pulling');
    // The unchanged step's layer is the cache image's.
    const layers = async (image: string) =>
      JSON.parse(
        await docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', image]),
      ) as string[];
    expect((await layers(second)).slice(0, 2)).toEqual((await layers(first)).slice(0, 2));
  });

  it('refuses --push without --no-run after picking the buildpack', async () => {
    const result = await repo2docker([
      ...USER,
      '--push',
      '--image-name',
      imageName('push-run'),
      await dockerfileRepo(),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Using DockerBuildPack builder');
    expect(result.stderr).toContain('ValueError: Setting push=True and load=True is currently not supported');
  });
});

describe(`repo2docker ${PINNED_REPO2DOCKER} (${tool.kind}): --push`, () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await TestRegistry.start();
  });

  afterAll(async () => {
    await registry.stop();
  });

  /** A HOME whose ~/.docker/config.json is the one the tool's DOCKER_CONFIG holds (it may name buildx's folder). */
  async function homeWithDockerConfig(): Promise<string> {
    const home = await makeTempDir('r2d-home');
    dirs.push(home);
    await mkdir(join(home, '.docker'));
    const source = tool.env['DOCKER_CONFIG'];
    const config = source ? await readFile(join(source, 'config.json'), 'utf8').catch(() => '{}') : '{}';
    await writeFile(join(home, '.docker', 'config.json'), config);
    return home;
  }

  it('logs in with CONTAINER_ENGINE_REGISTRY_CREDENTIALS and pushes from the build', async () => {
    const name = `${registry.host}/r2d/pushed:${suffix}`;
    images.push(name);
    const credentials = JSON.stringify({ registry: registry.host, ...registry.admin });
    const result = await repo2docker([...BUILD, '--push', '--image-name', name, await dockerfileRepo()], {
      CONTAINER_ENGINE_REGISTRY_CREDENTIALS: credentials,
      HOME: await homeWithDockerConfig(),
      DOCKER_CONFIG: undefined,
    });
    expect(`${result.stdout}${result.stderr}`).toContain('Login Succeeded');
    expect(result.code).toBe(0);
    expect(await registry.manifestDigest('r2d/pushed', suffix)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('fails with IsADirectoryError when DOCKER_CONFIG is set with those credentials (repo2docker takes it for the file)', async () => {
    const config = join(await homeWithDockerConfig(), '.docker');
    const credentials = JSON.stringify({ registry: registry.host, ...registry.admin });
    const result = await repo2docker(
      [...BUILD, '--push', '--image-name', `${registry.host}/r2d/refused:${suffix}`, await dockerfileRepo()],
      { CONTAINER_ENGINE_REGISTRY_CREDENTIALS: credentials, DOCKER_CONFIG: config },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`IsADirectoryError: [Errno 21] Is a directory: '${config}'`);
  });
});
