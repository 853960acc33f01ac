import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BUSYBOX_IMAGE,
  PYTHON_IMAGE,
  bookwormMirror,
  ensurePythonImage,
  pythonRootfsTarball,
} from '../src/base-images.js';
import {
  dataRootOfCommandLine,
  docker,
  dockerInfoWorks,
  dockerdPaths,
  engineLeaseFile,
  engineStateFile,
  ensureDockerEngine,
  freeDataRoot,
  imageExists,
  imageId,
  imageLabels,
  isRunning,
  removeImages,
  runCommand,
  runningDockerds,
  startDockerd,
  stopDockerd,
  stopStartedEngine,
  type EngineOptions,
  type StartedDockerd,
} from '../src/docker-engine.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

async function mountsUnder(dir: string): Promise<string[]> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  return mounts
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(dir));
}

describe('docker()', () => {
  it('passes stdin to the command and returns its stdout', async () => {
    const result = await docker(['run', '--rm', '-i', BUSYBOX_IMAGE, 'cat'], { stdin: 'hello from stdin' });
    expect(result).toEqual({ exitCode: 0, stdout: 'hello from stdin', stderr: '' });
  });

  it('throws with the stderr of a failed command', async () => {
    await expect(docker(['image', 'inspect', 'hia-test/does-not-exist:0'])).rejects.toThrow(/No such image/);
  });

  it('resolves with exit code and both streams when failure is allowed', async () => {
    const result = await docker(
      ['run', '--rm', BUSYBOX_IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      {
        allowFailure: true,
      },
    );
    expect(result).toEqual({ exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
  });
});

describe('image helpers', () => {
  // Unique: another test run may use the same engine at the same time.
  const ref = `hia-test/engine-helpers:${randomBytes(4).toString('hex')}`;

  afterAll(async () => {
    await removeImages([ref]);
  });

  it('see an image built with labels, its id, and remove it', async () => {
    const dockerfile = `FROM ${BUSYBOX_IMAGE}\nLABEL org.example.answer="42" org.example.name="helpers"\n`;
    const build = await docker(['build', '-q', '-t', ref, '-'], {
      stdin: dockerfile,
      env: { DOCKER_BUILDKIT: '0' },
    });

    expect(await imageExists(ref)).toBe(true);
    expect(await imageId(ref)).toBe(build.stdout.trim());
    expect(await imageId(ref)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await imageLabels(ref)).toEqual({ 'org.example.answer': '42', 'org.example.name': 'helpers' });
    expect(await imageLabels(BUSYBOX_IMAGE)).toEqual({});

    await removeImages([ref, 'hia-test/never-existed:0']);
    expect(await imageExists(ref)).toBe(false);
    await expect(imageId(ref)).rejects.toThrow(/No such image/);
  });
});

describe('base images', () => {
  it('busybox has the applets, root and a uid 1000 user, and is tiny', async () => {
    const applets = [
      'sh',
      'ls',
      'cat',
      'echo',
      'id',
      'sleep',
      'wget',
      'httpd',
      'env',
      'mkdir',
      'tar',
      'grep',
    ];
    const script = `for a in ${applets.join(' ')}; do command -v $a >/dev/null || echo "missing $a"; done; id -un`;
    const asRoot = await docker(['run', '--rm', BUSYBOX_IMAGE, 'sh', '-c', script]);
    expect(asRoot.stdout).toBe('root\n');

    const asUser = await docker([
      'run',
      '--rm',
      '--user',
      '1000',
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'id; echo $HOME',
    ]);
    expect(asUser.stdout).toBe('uid=1000(jovyan) gid=1000(jovyan) groups=1000(jovyan)\n/home/jovyan\n');

    const size = Number((await docker(['image', 'inspect', '--format', '{{.Size}}', BUSYBOX_IMAGE])).stdout);
    expect(size).toBeLessThan(5_000_000);
  });

  it('python runs pytest as uid 1000, and a failing test fails', async () => {
    const script = [
      'mkdir -p /tmp/t && cd /tmp/t',
      'printf "def test_ok():\\n    assert 1 + 1 == 2\\n" > test_ok.py',
      'python3 -m pytest -q test_ok.py',
      'printf "def test_bad():\\n    assert 1 + 1 == 3\\n" > test_bad.py',
      'python3 -m pytest -q test_bad.py; echo "bad exit $?"',
    ].join('\n');
    const result = await docker(['run', '--rm', '--user', '1000', PYTHON_IMAGE, 'sh', '-c', script]);
    expect(result.stdout).toMatch(/1 passed/);
    expect(result.stdout).toMatch(/1 failed/);
    expect(result.stdout).toMatch(/bad exit 1\n$/);
  });

  it('python has pip, venv, CA certificates, an apt mirror and no cached .deb files', async () => {
    const script = [
      'python3 -m pip --version >/dev/null && echo pip-ok',
      'python3 -m venv /tmp/venv && /tmp/venv/bin/python -c "import sys; print(sys.prefix)"',
      'test -s /etc/ssl/certs/ca-certificates.crt && echo certs-ok',
      'ls /var/cache/apt/archives/*.deb 2>/dev/null | wc -l',
      'grep -c "^deb .* bookworm main" /etc/apt/sources.list',
    ].join('\n');
    const result = await docker(['run', '--rm', PYTHON_IMAGE, 'sh', '-c', script]);
    expect(result.stdout).toBe('pip-ok\n/tmp/venv\ncerts-ok\n0\n1\n');
  });

  it('python image comes from the cached rootfs tarball, and ensuring it again changes nothing', async () => {
    const tarball = await stat(pythonRootfsTarball());
    const id = await imageId(PYTHON_IMAGE);
    await ensurePythonImage();
    expect(await imageId(PYTHON_IMAGE)).toBe(id);
    expect((await stat(pythonRootfsTarball())).mtimeMs).toBe(tarball.mtimeMs);
  });

  it.each([
    {
      name: 'a one-line list, options included',
      files: [
        {
          name: '/etc/apt/sources.list',
          text: '# x\ndeb [arch=amd64] http://mirror.example/debian bookworm main\n',
        },
      ],
      mirror: 'http://mirror.example/debian',
    },
    {
      name: 'deb822, skipping security and disabled stanzas',
      files: [
        {
          name: '/etc/apt/sources.list.d/debian.sources',
          text: [
            'Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n',
            'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n',
            'Types: deb-src deb\nURIs: http://on.example/debian\nSuites: bookworm bookworm-updates\n',
          ].join('\n'),
        },
      ],
      mirror: 'http://on.example/debian',
    },
    {
      name: 'no bookworm source',
      files: [{ name: '/etc/apt/sources.list', text: 'deb http://x.example/debian trixie main\n' }],
      mirror: undefined,
    },
  ])('finds the bookworm mirror in $name', ({ files, mirror }) => {
    expect(bookwormMirror(files)).toBe(mirror);
  });
});

describe('which data root a dockerd uses', () => {
  const config = (text: string | undefined) => () => text;
  it.each([
    { args: ['--data-root', '/d/1'], file: undefined, dataRoot: '/d/1' },
    { args: ['-H', 'unix:///x.sock', '--data-root=/d/2/'], file: undefined, dataRoot: '/d/2' },
    { args: ['-g', '/d/3'], file: undefined, dataRoot: '/d/3' },
    { args: [], file: '{"data-root": "/d/4"}', dataRoot: '/d/4' },
    { args: ['--config-file', '/c.json'], file: '{"graph": "/d/5"}', dataRoot: '/d/5' },
    { args: [], file: undefined, dataRoot: '/var/lib/docker' },
    { args: [], file: 'not json', dataRoot: '/var/lib/docker' },
  ])('$args with config $file → $dataRoot', ({ args, file, dataRoot }) => {
    expect(dataRootOfCommandLine(args, config(file))).toBe(dataRoot);
  });

  it('takes the default data root unless another dockerd uses it, then the next free one', () => {
    expect(freeDataRoot('/c', new Set())).toBe('/c/dockerd');
    expect(freeDataRoot('/c', new Set(['/var/lib/docker']))).toBe('/c/dockerd');
    expect(freeDataRoot('/c', new Set(['/c/dockerd']))).toBe('/c/dockerd-2');
    expect(freeDataRoot('/c', new Set(['/c/dockerd', '/c/dockerd-2']))).toBe('/c/dockerd-3');
  });
});

/** A process that runs the harness's dockerd the way a test run does (see fixtures/engine-user.ts). */
class EngineUser {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(
    options: EngineOptions,
    deadHost: string,
  ): Promise<{ user: EngineUser; got: { pid: number; joined: boolean; host: string } }> {
    const fixture = join(import.meta.dirname, 'fixtures', 'engine-user.ts');
    const hooks = join(import.meta.dirname, '..', 'src', 'resolve-ts-imports.ts');
    const child = spawn(
      process.execPath,
      [
        '--no-warnings',
        '--experimental-transform-types',
        '--import',
        hooks,
        fixture,
        JSON.stringify(options),
        deadHost,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const user = new EngineUser(child);
    const got = await user.next(() => stderr);
    return { user, got: got as { pid: number; joined: boolean; host: string } };
  }

  async release(): Promise<number | null> {
    this.child.stdin.write('release\n');
    return ((await this.next(() => '')) as { stopped: number | null }).stopped;
  }

  async crash(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.write('crash\n');
    await exited;
  }

  private async next(stderr: () => string): Promise<unknown> {
    const line = await this.lines.next();
    if (line.done === true) throw new Error(`the engine user ended: ${stderr()}`);
    return JSON.parse(line.value) as unknown;
  }
}

describe('the harness dockerd when no engine answers', () => {
  let dir: string;
  let options: EngineOptions;
  let deadHost: string;
  const savedDockerHost = process.env['DOCKER_HOST'];

  let hadDocker0: boolean;
  const hasDocker0 = async () =>
    (await runCommand('ip', ['link', 'show', 'docker0'], { allowFailure: true })).exitCode === 0;
  const linkExists = async (name: string) =>
    (await runCommand('ip', ['link', 'show', name], { allowFailure: true })).exitCode === 0;

  beforeAll(async () => {
    dir = await makeTempDir('dockerd');
    hadDocker0 = await hasDocker0();
    options = { runtimeDir: join(dir, 'run'), dataRoot: join(dir, 'data') };
    deadHost = `unix://${join(dir, 'nothing-here.sock')}`;
  });

  // Whatever a failed test left: its engine, record and leases.
  afterEach(async () => {
    restoreDockerHost();
    const left = await readFile(engineStateFile(options), 'utf8').catch(() => undefined);
    if (left !== undefined) await stopDockerd(JSON.parse(left) as StartedDockerd);
    await removeDir(engineStateFile(options));
    await removeDir(dirname(engineLeaseFile(options)));
  });

  afterAll(async () => {
    await removeDir(dir);
  });

  function restoreDockerHost() {
    if (savedDockerHost === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = savedDockerHost;
  }

  it('uses a working engine as it is and records nothing', async () => {
    expect(await ensureDockerEngine(options)).toBeUndefined();
    expect(existsSync(engineStateFile(options))).toBe(false);
    expect(existsSync(engineLeaseFile(options))).toBe(false);
    expect(await stopStartedEngine(options)).toBeUndefined();
    expect(await dockerInfoWorks()).toBe(true);
  });

  it('starts its own dockerd beside the running engine, on a bridge of its own, and stops exactly that one', async () => {
    // Bridges of the harness: one whose maker is gone (a crash left it), one whose maker lives.
    const orphan = `hia-${(2 ** 22 + 1).toString(16)}-1`;
    const live = `hia-${process.pid.toString(16)}-999`;
    for (const name of [orphan, live])
      await runCommand('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
    process.env['DOCKER_HOST'] = deadHost;
    expect(await dockerInfoWorks()).toBe(false);

    const started = await ensureDockerEngine(options);
    expect(started).toBeDefined();
    if (started === undefined) return;
    expect(started.joined).toBe(false);
    expect(process.env['DOCKER_HOST']).toBe(started.host);
    expect(started.host).toBe(`unix://${join(dir, 'run', 'docker.sock')}`);
    const rootDir = await docker(['info', '--format', '{{.DockerRootDir}}']);
    expect(rootDir.stdout.trim()).toBe(join(dir, 'data'));
    const { joined: _joined, ...record } = started;
    expect(JSON.parse(await readFile(engineStateFile(options), 'utf8'))).toEqual(record);
    expect(existsSync(engineLeaseFile(options))).toBe(true);
    expect(isRunning(started.pid)).toBe(true);
    expect(started.containerdPid).toBeDefined();
    // The machine's engine keeps docker0 and its iptables rules; containers of this one get the harness's bridge.
    expect(started.bridge).toMatch(new RegExp(`^hia-${process.pid.toString(16)}-\\d+$`));
    expect(await linkExists(started.bridge ?? '')).toBe(true);
    expect(await linkExists(orphan)).toBe(false);
    expect(await linkExists(live)).toBe(true);
    await runCommand('ip', ['link', 'del', live]);
    const network = await docker(['network', 'inspect', 'bridge', '--format', '{{json .Options}}']);
    expect(JSON.parse(network.stdout)).toMatchObject({ 'com.docker.network.bridge.name': started.bridge });
    restoreDockerHost();

    expect(await stopStartedEngine(options)).toEqual(record);
    expect(isRunning(started.pid)).toBe(false);
    expect(isRunning(started.containerdPid ?? 0)).toBe(false);
    expect(existsSync(join(dir, 'run', 'docker.sock'))).toBe(false);
    expect(existsSync(engineStateFile(options))).toBe(false);
    expect(existsSync(engineLeaseFile(options))).toBe(false);
    expect(await linkExists(started.bridge ?? '')).toBe(false);
    expect(await mountsUnder(dir)).toEqual([]);
    expect(await stopStartedEngine(options)).toBeUndefined();
    expect(await dockerInfoWorks()).toBe(true);
    expect(await hasDocker0()).toBe(hadDocker0);
  });

  it('lets a second run join the engine; the first to finish leaves it running for the other, the last stops it', async () => {
    const first = await EngineUser.start(options, deadHost);
    expect(first.got.joined).toBe(false);
    const second = await EngineUser.start(options, deadHost);
    expect(second.got).toEqual({ ...first.got, joined: true });

    expect(await first.user.release()).toBeNull();
    expect(isRunning(first.got.pid)).toBe(true);
    expect(await dockerInfoWorks(second.got.host)).toBe(true);

    expect(await second.user.release()).toBe(first.got.pid);
    expect(isRunning(first.got.pid)).toBe(false);
    expect(existsSync(engineStateFile(options))).toBe(false);
  });

  it('does not let a run that ended without letting go keep the engine running', async () => {
    const crashed = await EngineUser.start(options, deadHost);
    await crashed.user.crash();
    const next = await EngineUser.start(options, deadHost);
    expect(next.got).toEqual({ ...crashed.got, joined: true });
    expect(await next.user.release()).toBe(crashed.got.pid);
    expect(isRunning(crashed.got.pid)).toBe(false);
  });

  it('never signals a process it did not start, even if the record names it', async () => {
    const bystander = spawn('sleep', ['30']);
    const forged = { runtimeDir: join(dir, 'forged') };
    try {
      const paths = dockerdPaths(forged);
      const record = { pid: bystander.pid, containerdPid: bystander.pid, host: 'unix:///x', paths };
      await mkdir(dirname(engineLeaseFile(forged)), { recursive: true });
      await writeFile(engineStateFile(forged), JSON.stringify(record));
      await writeFile(engineLeaseFile(forged), '{}');
      await stopStartedEngine(forged);
      expect(isRunning(bystander.pid ?? 0)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('never starts a dockerd on a data root another dockerd uses', async () => {
    const fake = join(dir, 'fake', 'dockerd');
    await mkdir(dirname(fake), { recursive: true });
    await writeFile(fake, '#!/bin/sh\nsleep 30\n');
    await chmod(fake, 0o755);
    const taken = join(dir, 'taken');
    const other = spawn(fake, ['--data-root', taken]);
    try {
      await new Promise((resolve) => other.once('spawn', resolve));
      expect(runningDockerds()).toContainEqual({ pid: other.pid, dataRoot: taken });
      process.env['DOCKER_HOST'] = deadHost;
      await expect(ensureDockerEngine({ ...options, dataRoot: taken })).rejects.toThrow(
        `dockerd data root ${taken} is in use by dockerd pid ${other.pid}`,
      );
      expect(existsSync(engineStateFile(options))).toBe(false);
    } finally {
      restoreDockerHost();
      other.kill('SIGKILL');
    }
  });

  it('says how to install dockerd when it is missing', async () => {
    await expect(
      startDockerd({
        ...dockerdPaths({ runtimeDir: join(dir, 'missing'), dataRoot: join(dir, 'missing', 'data') }),
        dockerdPath: join(dir, 'no-such-dockerd'),
      }),
    ).rejects.toThrow(/apt-get install docker\.io/);
  });

  it('fails with the log tail when dockerd exits at start', async () => {
    await expect(
      startDockerd({
        ...dockerdPaths({ runtimeDir: join(dir, 'bad'), dataRoot: join(dir, 'bad', 'data') }),
        extraArgs: ['--no-such-flag'],
      }),
    ).rejects.toThrow(/exited with code 1[\s\S]*unknown flag: --no-such-flag/);
  });
});
