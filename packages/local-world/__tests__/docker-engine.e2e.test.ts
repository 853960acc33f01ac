import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BUSYBOX_IMAGE,
  PYTHON_IMAGE,
  bookwormMirror,
  ensurePythonImage,
  pythonRootfsTarball,
} from '../src/base-images.js';
import {
  docker,
  dockerInfoWorks,
  dockerdPaths,
  engineStateFile,
  ensureDockerEngine,
  imageExists,
  imageId,
  imageLabels,
  isRunning,
  removeImages,
  runCommand,
  startDockerd,
  stopStartedEngine,
  type EngineOptions,
} from '../src/docker-engine.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

// jest ignores `testTimeout` inside a project entry of jest.config.js; containers on a busy machine need more than 5 s.
jest.setTimeout(60_000);

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
  const ref = 'hia-test/engine-helpers:labelled';

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

  it('python image comes from the cached rootfs tarball, and ensuring it again is quick', async () => {
    expect(existsSync(pythonRootfsTarball())).toBe(true);
    const started = Date.now();
    await ensurePythonImage();
    expect(Date.now() - started).toBeLessThan(5_000);
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

describe('a private dockerd when no engine answers', () => {
  let dir: string;
  let options: EngineOptions;
  const savedDockerHost = process.env['DOCKER_HOST'];

  const bridge = `hia-br-${randomBytes(3).toString('hex')}`;
  let hadDocker0: boolean;
  const hasDocker0 = async () =>
    (await runCommand('ip', ['link', 'show', 'docker0'], { allowFailure: true })).exitCode === 0;

  beforeAll(async () => {
    dir = await makeTempDir('dockerd');
    hadDocker0 = await hasDocker0();
    // Beside the machine's engine: a bridge of its own and no iptables rules. (`--bridge=none` would
    // make dockerd delete docker0, the running engine's bridge.)
    await runCommand('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    await runCommand('ip', ['addr', 'add', `10.231.${randomInt(1, 254)}.1/24`, 'dev', bridge]);
    options = {
      runtimeDir: join(dir, 'run'),
      dataRoot: join(dir, 'data'),
      extraArgs: [`--bridge=${bridge}`, '--iptables=false'],
    };
  });

  afterAll(async () => {
    restoreDockerHost();
    await stopStartedEngine(options);
    await runCommand('ip', ['link', 'del', bridge], { allowFailure: true });
    await removeDir(dir);
  });

  function restoreDockerHost() {
    if (savedDockerHost === undefined) delete process.env['DOCKER_HOST'];
    else process.env['DOCKER_HOST'] = savedDockerHost;
  }

  it('uses a working engine as it is and records nothing', async () => {
    expect(await ensureDockerEngine(options)).toBeUndefined();
    expect(existsSync(engineStateFile(options))).toBe(false);
    expect(await stopStartedEngine(options)).toBeUndefined();
    expect(await dockerInfoWorks()).toBe(true);
  });

  it('starts its own dockerd, exports DOCKER_HOST, and stops exactly that one', async () => {
    process.env['DOCKER_HOST'] = `unix://${join(dir, 'nothing-here.sock')}`;
    expect(await dockerInfoWorks()).toBe(false);

    const started = await ensureDockerEngine(options);
    expect(started).toBeDefined();
    if (started === undefined) return;
    expect(process.env['DOCKER_HOST']).toBe(started.host);
    expect(started.host).toBe(`unix://${join(dir, 'run', 'docker.sock')}`);
    const rootDir = await docker(['info', '--format', '{{.DockerRootDir}}']);
    expect(rootDir.stdout.trim()).toBe(join(dir, 'data'));
    expect(JSON.parse(await readFile(engineStateFile(options), 'utf8'))).toEqual(started);
    expect(isRunning(started.pid)).toBe(true);
    expect(started.containerdPid).toBeDefined();
    restoreDockerHost();

    expect(await stopStartedEngine(options)).toEqual(started);
    expect(isRunning(started.pid)).toBe(false);
    expect(isRunning(started.containerdPid ?? 0)).toBe(false);
    expect(existsSync(join(dir, 'run', 'docker.sock'))).toBe(false);
    expect(existsSync(engineStateFile(options))).toBe(false);
    expect(await mountsUnder(dir)).toEqual([]);
    expect(await stopStartedEngine(options)).toBeUndefined();
    expect(await dockerInfoWorks()).toBe(true);
    expect(await hasDocker0()).toBe(hadDocker0);
  });

  it('never signals a process it did not start, even if the record names it', async () => {
    const bystander = spawn('sleep', ['30']);
    try {
      const paths = dockerdPaths(options);
      const record = { pid: bystander.pid, containerdPid: bystander.pid, host: 'unix:///x', paths };
      await writeFile(engineStateFile(options), JSON.stringify(record));
      await stopStartedEngine(options);
      expect(isRunning(bystander.pid ?? 0)).toBe(true);
    } finally {
      bystander.kill('SIGKILL');
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
