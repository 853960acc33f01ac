import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, PYTHON_IMAGE, ensureBusyboxImage, ensurePythonImage } from '../src/base-images.js';
import { freePort, waitFor } from '../src/net.js';
import { TestRegistry } from '../src/registry.js';
import {
  REPO2DOCKER_DOUBLE,
  REPO2DOCKER_DOUBLE_DEFAULT_VERSION,
  REQUEST_FILE_IN_IMAGE,
  pathWithDouble,
  readInvocations,
  type Repo2DockerRequest,
} from '../src/repo2docker-double.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

// Builds take seconds with a warm layer cache, longer on a fresh engine; jest's default is 5 s.
jest.setTimeout(120_000);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, ...options.env })) {
      if (value !== undefined) env[key] = value;
    }
    const child = spawn(command, [...args], { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

/** The double found through PATH, like the actions find repo2docker. */
function repo2docker(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return run('repo2docker', args, { env: { PATH: pathWithDouble(), ...env } });
}

async function docker(args: readonly string[]): Promise<string> {
  const result = await run('docker', args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

const suffix = randomBytes(4).toString('hex');
const images: string[] = [];
const containers: string[] = [];
const dirs: string[] = [];

function imageName(purpose: string): string {
  const name = `hia-r2d-test/${purpose}:${suffix}`;
  images.push(name);
  return name;
}

async function imageExists(name: string): Promise<boolean> {
  return (await run('docker', ['image', 'inspect', name])).code === 0;
}

async function labels(name: string): Promise<Record<string, string>> {
  return JSON.parse(
    await docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', name]),
  ) as Record<string, string>;
}

/** Writes `files` (path → content; a trailing `*` on the path marks it executable) into a fresh temp dir. */
async function makeRepo(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('r2d-repo');
  dirs.push(dir);
  for (const [rawPath, content] of Object.entries(files)) {
    const executable = rawPath.endsWith('*');
    const path = join(dir, executable ? rawPath.slice(0, -1) : rawPath);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
    if (executable) await chmod(path, 0o755);
  }
  return dir;
}

async function gitCommitAll(dir: string): Promise<string> {
  const git = (args: string[]) => run('git', ['-C', dir, ...args]);
  await git(['init', '-q']);
  await git(['add', '-A']);
  await git(['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-qm', 'init']);
  return (await git(['rev-parse', 'HEAD'])).stdout.trim();
}

const BUILD_FLAGS = ['--no-run', '--user-id', '1000', '--user-name', 'jovyan'];

beforeAll(async () => {
  await ensureBusyboxImage();
  await ensurePythonImage();
}, 30 * 60_000);

afterAll(async () => {
  for (const container of containers) await run('docker', ['rm', '-f', container]);
  for (const image of images) await run('docker', ['rmi', '-f', image]);
  for (const dir of dirs) await removeDir(dir);
});

describe('repo2docker double: command line', () => {
  it('prints its version, from REPO2DOCKER_DOUBLE_VERSION when set, also on the system Node (20)', async () => {
    expect(await repo2docker(['--version'])).toMatchObject({
      code: 0,
      stdout: `${REPO2DOCKER_DOUBLE_DEFAULT_VERSION}\n`,
    });
    expect(await repo2docker(['--version'], { REPO2DOCKER_DOUBLE_VERSION: '2025.08.0' })).toMatchObject({
      code: 0,
      stdout: '2025.08.0\n',
    });
    const systemNode = await run('/usr/bin/node', [REPO2DOCKER_DOUBLE, '--version']);
    expect(systemNode).toMatchObject({ code: 0, stdout: `${REPO2DOCKER_DOUBLE_DEFAULT_VERSION}\n` });
  });

  it.each([
    [['--build-memory-limit', '2G', '--no-run', '.'], 'unrecognized arguments: --build-memory-limit'],
    [['--no-run', '--bogus=1', '.'], 'unrecognized arguments: --bogus=1'],
    [['--Repo2Docker.user_id=0', '.'], 'unrecognized arguments: --Repo2Docker.user_id=0'],
    [['--no-run'], 'the following arguments are required: repo'],
    [['--no-run', '.', '--image-name'], ''],
    [['--image-name'], 'argument --image-name: expected one argument'],
    [['--user-id', 'abc', '.'], "argument --user-id: invalid int value: 'abc'"],
    [
      ['--image-name', 'Upper/Case', '.'],
      "argument --image-name: 'Upper/Case' is not a valid docker image name.",
    ],
    [['--no-run=yes', '.'], "argument --no-run: ignored explicit argument 'yes'"],
    [['--no', '.'], 'ambiguous option: --no could match --no-build, --no-run'],
  ])('rejects %j like argparse (exit 2, usage, error line)', async (args, message) => {
    const result = await repo2docker(args, { REPO2DOCKER_DOUBLE_LOG: undefined });
    if (message === '') {
      // Options after the repo belong to the command to run (argparse REMAINDER), as in repo2docker.
      expect(result.code).not.toBe(2);
      expect(result.stderr).toContain('arguments after the repository are the command to run: --image-name');
      return;
    }
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^usage: repo2docker \[-h\]/);
    expect(result.stderr).toContain(`\nrepo2docker: error: ${message}`);
  });

  it('accepts every flag the actions use, in --flag value and --flag=value forms', async () => {
    const repo = await makeRepo({ 'requirements.txt': 'pytest\n' });
    const result = await repo2docker([
      '--no-build',
      '--no-run',
      '--push',
      '--debug',
      '--image-name=us-central1-docker.pkg.dev/proj-123/user-images/base:8b48b4867330',
      '--user-id=1000',
      '--user-name',
      'jovyan',
      '--target-repo-dir',
      '/srv/repo',
      '--appendix=RUN echo appended',
      '--label',
      'repo2docker.repo=https://github.com/o/r',
      '--label=extra=1',
      '--build-arg',
      'A=1',
      '--build-arg=B=2',
      '--cache-from',
      'us-central1-docker.pkg.dev/proj-123/user-images/base',
      '--cache-from=other',
      '--subdir=.',
      '--engine',
      'docker',
      '--ref',
      'main',
      '--Repo2Docker.platform=linux/amd64',
      '--Repo2Docker.base_image=example.invalid/base:1',
      '--DockerEngine.extra_buildx_build_args=--cache-to=type=inline',
      repo,
    ]);
    expect(result.stderr).not.toContain('error');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('FROM example.invalid/base:1\n');
    expect(result.stdout).toContain('RUN echo appended');
    expect(result.stdout).toContain('LABEL "repo2docker.repo"="https://github.com/o/r"');
    expect(result.stdout).toContain('LABEL "repo2docker.ref"="main"');
  });

  it('refuses uid 0 with repo2docker message', async () => {
    const repo = await makeRepo({ 'requirements.txt': '' });
    const result = await repo2docker(['--no-run', '--user-id', '0', '--user-name', 'root', repo]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Root as the primary user in the image is not permitted.');
  });

  it('refuses --push without --no-run, like repo2docker with buildx', async () => {
    const repo = await makeRepo({ 'requirements.txt': '' });
    const result = await repo2docker([
      '--push',
      '--user-id',
      '1000',
      '--image-name',
      imageName('push-run'),
      repo,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Setting push=True and load=True is currently not supported');
  });

  it('fails with "Check if docker is running on the host." when the engine does not answer', async () => {
    const repo = await makeRepo({ 'requirements.txt': '' });
    const result = await repo2docker([...BUILD_FLAGS, repo], {
      DOCKER_HOST: `unix://${join(tmpdir(), `hia-no-docker-${suffix}.sock`)}`,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Check if docker is running on the host.');
  });

  it('--no-build prints the Dockerfile and builds nothing; binder/ wins over the root', async () => {
    const repo = await makeRepo({
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo root dockerfile\n`,
      'binder/environment.yml': 'dependencies: [python]\n',
    });
    const name = imageName('no-build');
    const generated = await repo2docker(['--no-build', '--user-id', '1000', '--image-name', name, repo]);
    expect(generated.code).toBe(0);
    expect(generated.stdout).toContain(`FROM ${PYTHON_IMAGE}\n`);
    expect(generated.stdout).not.toContain('root dockerfile');
    expect(await imageExists(name)).toBe(false);

    const dockerRepo = await makeRepo({ '.binder/Dockerfile': `FROM ${BUSYBOX_IMAGE}\nRUN echo binder\n` });
    const printed = await repo2docker(['--no-build', dockerRepo]);
    expect(printed).toMatchObject({ code: 0, stdout: `FROM ${BUSYBOX_IMAGE}\nRUN echo binder\n` });

    const both = await makeRepo({ 'binder/apt.txt': '', '.binder/apt.txt': '' });
    const clash = await repo2docker(['--no-build', both]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain("contains both a 'binder' and a '.binder' directory");
  });

  it('clones a git URL and checks out --ref, labelling the URL', async () => {
    const repo = await makeRepo({ 'requirements.txt': 'first\n' });
    const first = await gitCommitAll(repo);
    await writeFile(join(repo, 'apt.txt'), 'curl\n');
    await run('git', ['-C', repo, 'add', '-A']);
    await run('git', [
      '-C',
      repo,
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@example.invalid',
      'commit',
      '-qm',
      'two',
    ]);
    const url = `file://${repo}`;
    const result = await repo2docker(['--no-build', '--user-id', '1000', '--ref', first, url]);
    expect(result.stderr).toContain('Picked Git content provider.');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`LABEL "repo2docker.repo"="${url}"`);
    expect(result.stdout).toContain(`LABEL "repo2docker.ref"="${first}"`);
    const missing = await repo2docker(['--no-build', '--ref', 'no-such-ref', url]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Failed to check out ref no-such-ref');
  });

  it('logs each invocation with argv, cwd, DOCKER_CONFIG and DOCKER_HOST', async () => {
    const logDir = await makeTempDir('r2d-log');
    dirs.push(logDir);
    const logFile = join(logDir, 'calls.jsonl');
    await repo2docker(['--version'], { REPO2DOCKER_DOUBLE_LOG: logFile, DOCKER_CONFIG: '/tmp/cfg' });
    await repo2docker(['--nope', '.'], { REPO2DOCKER_DOUBLE_LOG: logFile, DOCKER_CONFIG: undefined });
    const calls = await readInvocations(logFile);
    expect(calls).toEqual([
      {
        argv: ['--version'],
        cwd: process.cwd(),
        env: { DOCKER_CONFIG: '/tmp/cfg', DOCKER_HOST: process.env['DOCKER_HOST'] ?? null },
      },
      {
        argv: ['--nope', '.'],
        cwd: process.cwd(),
        env: { DOCKER_CONFIG: null, DOCKER_HOST: process.env['DOCKER_HOST'] ?? null },
      },
    ]);
    expect(await readInvocations(join(logDir, 'missing.jsonl'))).toEqual([]);
  });
});

describe('repo2docker double: builds', () => {
  it('builds a Dockerfile repo with labels, build args and .dockerignore honoured', async () => {
    const repo = await makeRepo({
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nARG GREETING\nCOPY . /app\nRUN echo "$GREETING" > /greeting\n`,
      'keep.txt': 'kept\n',
      'secret.txt': 'do not ship\n',
      '.dockerignore': 'secret.txt\n',
    });
    const head = await gitCommitAll(repo);
    const name = imageName('dockerfile');
    const result = await repo2docker([
      ...BUILD_FLAGS,
      '--image-name',
      name,
      '--label',
      'repo2docker.repo=https://github.com/o/r',
      '--label',
      'team=hubs',
      '--build-arg',
      'GREETING=hello from build-arg',
      repo,
    ]);
    expect(result.stderr).toContain('Using DockerBuildPack builder');
    expect(result.code).toBe(0);
    expect(await labels(name)).toMatchObject({
      'repo2docker.version': REPO2DOCKER_DOUBLE_DEFAULT_VERSION,
      'repo2docker.repo': 'https://github.com/o/r',
      'repo2docker.ref': head,
      team: 'hubs',
    });
    const inside = await docker(['run', '--rm', name, 'sh', '-c', 'cat /greeting; ls -A /app']);
    expect(inside).toContain('hello from build-arg\n');
    expect(inside).toContain('keep.txt');
    expect(inside).not.toContain('secret.txt');
  });

  it('builds an environment.yml repo into an image that records the request', async () => {
    const repo = await makeRepo({
      'environment.yml': 'dependencies: [python=3.11]\n',
      'apt.txt': 'curl\n',
      'postBuild*': '#!/bin/sh\necho post\n',
      'notebooks/intro.ipynb': '{}\n',
      'gha-creds-1234.json': '{"secret": true}\n',
      '.dockerignore': 'gha-creds-*.json\n',
      '.containerignore': 'notebooks/scratch*\n',
      'notebooks/scratch.txt': 'scratch\n',
    });
    const name = imageName('conda');
    const result = await repo2docker([
      ...BUILD_FLAGS,
      '--target-repo-dir',
      '/srv/repo',
      '--image-name',
      name,
      '--ref',
      'abc123',
      '--build-arg',
      'EXTRA=1',
      '--appendix',
      'RUN echo appendix-ran > /tmp/appendix',
      repo,
    ]);
    expect(result.stderr).toContain('Using CondaBuildPack builder');
    expect(result.code).toBe(0);
    const request = JSON.parse(
      await docker(['run', '--rm', name, 'cat', REQUEST_FILE_IN_IMAGE]),
    ) as Repo2DockerRequest;
    expect(request).toMatchObject({
      imageName: name,
      ref: 'abc123',
      userName: 'jovyan',
      userId: 1000,
      targetRepoDir: '/srv/repo',
      buildpack: 'CondaBuildPack',
      appendix: 'RUN echo appendix-ran > /tmp/appendix',
      baseImage: PYTHON_IMAGE,
      buildArgs: { NB_USER: 'jovyan', NB_UID: '1000', REPO_DIR: '/srv/repo', EXTRA: '1' },
    });
    expect(request.configFiles.sort()).toEqual(['apt.txt', 'environment.yml', 'postBuild']);
    expect(request.argv.at(-1)).toBe(repo);

    const listing = await docker([
      'run',
      '--rm',
      name,
      'sh',
      '-c',
      'id -u; pwd; echo "$REPO_DIR"; cat /tmp/appendix; find /srv/repo -mindepth 1 -printf "%u:%g %m %P\\n" | sort',
    ]);
    const [uid, cwd, repoDir, appendix, ...files] = listing.trim().split('\n');
    expect([uid, cwd, repoDir, appendix]).toEqual(['1000', '/srv/repo', '/srv/repo', 'appendix-ran']);
    expect(files).toEqual(
      expect.arrayContaining([
        'jovyan:jovyan 644 environment.yml',
        'jovyan:jovyan 755 postBuild',
        'jovyan:jovyan 644 notebooks/intro.ipynb',
      ]),
    );
    expect(files.join('\n')).not.toContain('gha-creds');
    expect(files.join('\n')).not.toContain('scratch');
    // Nothing the double adds goes into the user's repo.
    expect((await readdir(repo)).sort()).toEqual(
      [
        '.containerignore',
        '.dockerignore',
        'apt.txt',
        'environment.yml',
        'gha-creds-1234.json',
        'notebooks',
        'postBuild',
      ].sort(),
    );
  });

  it('skips the build when the image already exists', async () => {
    const repo = await makeRepo({ 'requirements.txt': '' });
    const name = imageName('existing');
    await docker(['tag', BUSYBOX_IMAGE, name]);
    const before = await docker(['image', 'inspect', '--format', '{{.Id}}', name]);
    const result = await repo2docker([...BUILD_FLAGS, '--image-name', name, repo]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Reusing existing image (${name}), not building.`);
    expect(await docker(['image', 'inspect', '--format', '{{.Id}}', name])).toBe(before);
  });

  it('exits non-zero when a Dockerfile step fails, with the failing step in the last lines', async () => {
    // The failing step comes right after FROM: a failed legacy build keeps earlier steps as dangling images.
    const repo = await makeRepo({ Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo step output && exit 7\n` });
    const name = imageName('failing');
    const result = await repo2docker([...BUILD_FLAGS, '--image-name', name, repo]);
    expect(result.code).toBe(1);
    const tail = result.stderr.trimEnd().split('\n').slice(-4).join('\n');
    expect(result.stderr).toContain('step output');
    expect(tail).toContain("The command '/bin/sh -c echo step output && exit 7' returned a non-zero code: 7");
    expect(await imageExists(name)).toBe(false);
  });

  it('in strict buildx mode fails with what the docker CLI says about buildx', async () => {
    const buildx = await run('docker', ['buildx', 'version']);
    expect(buildx.code).not.toBe(0); // this machine has no buildx
    const repo = await makeRepo({ 'requirements.txt': '' });
    const result = await repo2docker([...BUILD_FLAGS, '--image-name', imageName('buildx'), repo], {
      REPO2DOCKER_DOUBLE_REQUIRE_BUILDX: '1',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(buildx.stderr.trim().split('\n')[0] ?? 'buildx');
    expect(result.stderr).toContain('The docker buildx plugin must be installed');
  });

  it('makes images whose jupyter stub answers /api/status on port 8888', async () => {
    const repo = await makeRepo({ 'requirements.txt': '' });
    const name = imageName('jupyter');
    expect((await repo2docker([...BUILD_FLAGS, '--image-name', name, repo])).code).toBe(0);
    const port = await freePort();
    const container = (
      await docker([
        'run',
        '-d',
        '-p',
        `127.0.0.1:${port}:8888`,
        name,
        'jupyter',
        'lab',
        '--ip=0.0.0.0',
        '--port=8888',
        '--no-browser',
        "--ServerApp.token=''",
      ])
    ).trim();
    containers.push(container);
    const status = await waitFor(
      'the jupyter stub',
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/api/status`);
        return response.status === 200 ? ((await response.json()) as Record<string, unknown>) : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(status).toMatchObject({ kernels: 0 });
    expect(typeof status['started']).toBe('string');
  });

  it('makes images whose jupyter stub wants the token jupyter generates when none is given', async () => {
    const repo = await makeRepo({ 'requirements.txt': '' });
    const name = imageName('jupyter-token');
    expect((await repo2docker([...BUILD_FLAGS, '--image-name', name, repo])).code).toBe(0);
    const port = await freePort();
    const container = (await docker(['run', '-d', '-p', `127.0.0.1:${port}:8888`, name])).trim();
    containers.push(container);
    const status = await waitFor(
      'the jupyter stub',
      async () => (await fetch(`http://127.0.0.1:${port}/api/status`)).status,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(status).toBe(403);
  });
});

describe('repo2docker double: --push', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await TestRegistry.start();
  });

  afterAll(async () => {
    await registry.stop();
  });

  const credentialTempDirs = async () =>
    (await readdir(tmpdir())).filter((name) => name.startsWith('.repo2docker-double-docker-config-'));

  // A small busybox image keeps the pushes quick.
  const smallRepo = () => makeRepo({ Dockerfile: `FROM ${BUSYBOX_IMAGE}\nRUN echo ${suffix} > /built\n` });

  it('pushes with CONTAINER_ENGINE_REGISTRY_CREDENTIALS through a temporary DOCKER_CONFIG it deletes', async () => {
    const repo = await smallRepo();
    const name = `${registry.host}/r2d/pushed:${suffix}`;
    images.push(name);
    const dockerConfig = await makeTempDir('r2d-docker-config');
    dirs.push(dockerConfig);
    const before = await credentialTempDirs();
    const credentials = JSON.stringify({ registry: registry.host, ...registry.admin });
    const result = await repo2docker([...BUILD_FLAGS, '--push', '--image-name', name, repo], {
      CONTAINER_ENGINE_REGISTRY_CREDENTIALS: credentials,
      DOCKER_CONFIG: dockerConfig,
    });
    expect(result.stderr).toContain('Login Succeeded');
    expect(result.stderr).toContain(`Successfully pushed ${name}`);
    expect(result.code).toBe(0);
    expect(await registry.manifestDigest('r2d/pushed', suffix)).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The login went to a temp config, not the caller's, and the temp config is gone.
    expect(await readdir(dockerConfig)).toEqual([]);
    expect(await credentialTempDirs()).toEqual(before);
  });

  it('pushes with the credentials docker finds in DOCKER_CONFIG', async () => {
    const repo = await smallRepo();
    const name = `${registry.host}/r2d/config-login:${suffix}`;
    images.push(name);
    const dockerConfig = await makeTempDir('r2d-docker-config');
    dirs.push(dockerConfig);
    const login = await new Promise<number>((resolve, reject) => {
      const child = spawn(
        'docker',
        ['login', '--username', registry.admin.username, '--password-stdin', registry.host],
        { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, stdio: ['pipe', 'ignore', 'ignore'] },
      );
      child.on('error', reject);
      child.on('close', (code) => resolve(code ?? 1));
      child.stdin.end(registry.admin.password);
    });
    expect(login).toBe(0);
    const result = await repo2docker([...BUILD_FLAGS, '--push', '--image-name', name, repo], {
      DOCKER_CONFIG: dockerConfig,
    });
    expect(result.code).toBe(0);
    expect(await registry.manifestDigest('r2d/config-login', suffix)).toMatch(/^sha256:/);
  });

  it('pulls --cache-from registry images first, and treats a failed pull as a cache miss', async () => {
    const repo = await smallRepo();
    const cached = `${registry.host}/r2d/cache:${suffix}`;
    images.push(cached);
    const credentials = JSON.stringify({ registry: registry.host, ...registry.admin });
    const first = await repo2docker([...BUILD_FLAGS, '--push', '--image-name', cached, repo], {
      CONTAINER_ENGINE_REGISTRY_CREDENTIALS: credentials,
    });
    expect(first.code).toBe(0);
    await docker(['rmi', cached]);

    const name = imageName('from-cache');
    const missing = `${registry.host}/r2d/never-pushed:${suffix}`;
    const result = await repo2docker(
      [...BUILD_FLAGS, '--image-name', name, '--cache-from', missing, '--cache-from', cached, repo],
      { CONTAINER_ENGINE_REGISTRY_CREDENTIALS: credentials },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Could not pull ${missing}: building without it (cache miss)`);
    expect(result.stderr).toContain(`Pulling cache image ${cached}`);
    expect(result.stderr).toContain('Using cache');
  });

  it('fails the push when the registry refuses the credentials or none are given', async () => {
    const repo = await smallRepo();
    const name = `${registry.host}/r2d/refused:${suffix}`;
    images.push(name);
    const dockerConfig = await makeTempDir('r2d-docker-config');
    dirs.push(dockerConfig);
    const wrong = JSON.stringify({
      registry: registry.host,
      username: registry.admin.username,
      password: 'wrong',
    });
    const refused = await repo2docker([...BUILD_FLAGS, '--push', '--image-name', name, repo], {
      CONTAINER_ENGINE_REGISTRY_CREDENTIALS: wrong,
      DOCKER_CONFIG: dockerConfig,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`docker login to ${registry.host} failed`);
    expect(await imageExists(name)).toBe(false); // the login comes first, as in repo2docker's build

    const anonymous = await repo2docker([...BUILD_FLAGS, '--push', '--image-name', name, repo], {
      CONTAINER_ENGINE_REGISTRY_CREDENTIALS: undefined,
      DOCKER_CONFIG: dockerConfig,
    });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain('Successfully tagged');
    expect(anonymous.stderr).toContain(`Error pushing ${name}`);
    expect(await registry.manifestDigest('r2d/refused', suffix)).toBeUndefined();
  });
});
