import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { access, chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, imageLabels } from '@hub-image-actions/local-world/docker-engine';
import { waitFor } from '@hub-image-actions/local-world/net';
import { REPO2DOCKER_DOUBLE } from '@hub-image-actions/local-world/repo2docker-double';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;

beforeAll(async () => {
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe('finding repo2docker and the tools it needs', () => {
  // Hidden through a docker config without plugins; where buildx is installed system-wide it cannot be hidden.
  const buildxHideable =
    spawnSync('docker', ['buildx', 'version'], { env: { ...process.env, DOCKER_CONFIG: '/nonexistent' } })
      .status !== 0;
  (buildxHideable ? it : it.skip)(
    'turns "buildx is missing" into an error that names what to install',
    async () => {
      const { dir, sha } = await fx.repo(imageRepo());
      const { run, builds } = await fx.run({
        workspace: dir,
        sha,
        image: fx.image('buildx'),
        anonymous: true,
        env: { DOCKER_CONFIG: await fx.tempDir('no-plugins'), REPO2DOCKER_DOUBLE_NO_BUILDX: 'fail' },
      });
      expect(run.exitCode).toBe(1);
      expect(builds).toHaveLength(1);
      expect(run.log).toMatch(
        /buildx: not installed \(docker lists no buildx plugin\); repo2docker 2026\.4\.0 builds with `docker buildx`/,
      );
      expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
        /repo2docker 2026\.4\.0 builds with `docker buildx build`, and this runner's docker \(.+\) has no usable buildx plugin \(docker lists no buildx plugin; the build said: .*buildx.*\)\. Install the buildx plugin \(package docker-buildx-plugin .*docker\/setup-buildx-action.*\), or pin repo2docker-version below 2025\.08\.0/,
      );
      expect(run.summary).toContain('#### buildx is missing');
    },
  );

  // pip cannot reach PyPI here, and on GitHub's runners it would install the version: both are shown with the double.
  it('installs the wanted version with pip into its own environment, and says clearly when pip cannot', async () => {
    const { dir, sha } = await fx.repo(imageRepo());
    const toolCache = await fx.tempDir('tool-cache');
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('pip'),
      inputs: { 'repo2docker-version': '2025.01.0' },
      env: { RUNNER_TOOL_CACHE: toolCache, PIP_INDEX_URL: 'http://127.0.0.1:9/simple' },
      timeoutMs: 280_000,
      double: true,
    });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    const venv = join(toolCache, 'jupyter-repo2docker', '2025.1.0', process.arch);
    expect(run.log).toMatch(/repo2docker on PATH \(\S+\/repo2docker\) is 2026\.4\.0, not 2025\.1\.0/);
    expect(run.log).toContain(`Installing jupyter-repo2docker==2025.1.0 with pip into ${venv}`);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /pip could not install jupyter-repo2docker==2025\.1\.0:\n(.|\n)*Check that jupyter-repo2docker 2025\.1\.0 exists on PyPI and that this runner can reach it/,
    );
    // A failed install leaves nothing half-made that a later run could take for a working one.
    expect(await exists(venv)).toBe(false);
    expect(await exists(`${venv}.complete`)).toBe(false);
  });

  it('uses a complete install of the wanted version from the tool cache without pip', async () => {
    const { dir, sha } = await fx.repo(imageRepo());
    const toolCache = await fx.tempDir('tool-cache');
    const venv = join(toolCache, 'jupyter-repo2docker', '2025.9.0', process.arch);
    await mkdir(join(venv, 'bin'), { recursive: true });
    await writeFile(
      join(venv, 'bin', 'repo2docker'),
      `#!/bin/sh\nREPO2DOCKER_DOUBLE_VERSION=2025.09.0 exec '${REPO2DOCKER_DOUBLE}' "$@"\n`,
    );
    await chmod(join(venv, 'bin', 'repo2docker'), 0o755);
    await writeFile(`${venv}.complete`, '');
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('toolcache'),
      inputs: { 'repo2docker-version': '2025.09.0', test: 'false' },
      env: { RUNNER_TOOL_CACHE: toolCache },
      double: true,
    });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain(
      `repo2docker 2025.9.0: ${venv}/bin/repo2docker (installed earlier in the tool cache)`,
    );
    // One spelling: the output says what the label says.
    expect(run.outputs['repo2docker-version']).toBe('2025.9.0');
    expect(await imageLabels(run.outputs['image-ref'] ?? '')).toMatchObject({
      'repo2docker.version': '2025.9.0',
    });
  });
});

describe('the commit, subdirectories and disk', () => {
  it('tags a pull request build with the PR head commit, not the merge commit', async () => {
    const { dir, sha: merge } = await fx.repo(imageRepo());
    const head = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
    const { run, builds } = await fx.run({
      workspace: dir,
      sha: merge,
      image: fx.image('pr'),
      inputs: { test: 'false' },
      event: { name: 'pull_request', payload: { pull_request: { number: 7, head: { sha: head } } } },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['tag']).toBe('a1b2c3d4e5f6');
    expect(builds[0]).toContain(`--label=repo2docker.ref=${head}`);
    expect(run.log).toContain(`tag from the pull request head ${head}`);
  });

  it('builds one image of several with subdir, with that folder as the context', async () => {
    const gpu = Object.fromEntries(
      Object.entries(imageRepo()).map(([path, text]) => [`images/gpu/${path}`, text]),
    );
    const { dir, sha } = await fx.repo({
      ...gpu,
      'images/gpu/.dockerignore': 'secret-notes.txt\n',
      'images/gpu/secret-notes.txt': 'not for the image\n',
      'images/cpu/requirements.txt': 'numpy\n',
    });
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('subdir'),
      inputs: { subdir: 'images/gpu', test: 'false' },
    });
    expect(run.exitCode).toBe(0);
    expect(builds[0]).toContain('--subdir=images/gpu');
    expect(builds[0]?.at(-1)).toBe(dir);
    expect(run.log).toMatch(
      /Dockerfile build: 4 files in 0 folders \(\d+ bytes\) in the build context; \.dockerignore left out 1 paths/,
    );
    const files = await docker(['run', '--rm', run.outputs['image-ref'] ?? '', 'ls', '-A', '/srv/repo']);
    expect(files.stdout).toBe('.dockerignore\nDockerfile\nenvironment.yml\njupyter\n');
  });

  it('frees the known toolchain folders when asked, and reports free disk before and after', async () => {
    const { dir, sha } = await fx.repo(imageRepo());
    const root = await fx.tempDir('disk-root');
    for (const path of [
      'usr/share/dotnet/sdk/x.dll',
      'opt/hostedtoolcache/CodeQL/2.0/codeql',
      'usr/local/share/chromium/chrome',
    ]) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), 'x'.repeat(1024));
    }
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('disk'),
      inputs: { 'free-disk-space': 'true', test: 'false' },
      env: { HUB_IMAGE_ACTIONS_FREE_DISK_ROOT: root },
    });
    expect(run.exitCode).toBe(0);
    expect(run.groups).toContain('Free disk space');
    expect(await exists(join(root, 'usr/share/dotnet'))).toBe(false);
    expect(await exists(join(root, 'opt/hostedtoolcache/CodeQL'))).toBe(false);
    expect(await exists(join(root, 'usr/local/share/chromium/chrome'))).toBe(true);
    expect(run.summary).toContain(
      `| Freed | \`${root}/usr/share/dotnet\` removed<br>\`${root}/opt/hostedtoolcache/CodeQL\` removed |`,
    );
    expect(run.summary).toMatch(
      /\| Disk \| workspace \(`[^`]+`\): [\d.]+ \w+ free before, [\d.]+ \w+ after<br>docker \(`[^`]+`\): /,
    );
    expect(run.log).not.toMatch(/system prune/);
  });
});

describe('cleanup', () => {
  it('leaves no registry login behind when the job is cancelled mid-build: the post step removes it', async () => {
    const { dir, sha } = await fx.repo({ Dockerfile: 'FROM hia-test/busybox:1\nRUN sleep 600\n' });
    const runnerTemp = await fx.tempDir('runner-temp');
    const cancel = new AbortController();
    // Cancel once the login for pulls is written, as the runner would on a cancelled job.
    const loggedIn = waitFor(
      'the private docker login',
      async () => {
        for (const name of await readdir(runnerTemp)) {
          const config = await readFile(join(runnerTemp, name, 'config.json'), 'utf8').catch(() => '');
          if (name.startsWith('hub-image-actions-docker-') && config.includes('"auth"')) return true;
        }
        return undefined;
      },
      { timeoutMs: 240_000, intervalMs: 100 },
    );
    const running = fx.run({
      workspace: dir,
      sha,
      image: fx.image('cancel'),
      runnerTemp,
      signal: cancel.signal,
    });
    await loggedIn;
    cancel.abort();
    const { run } = await running;
    expect(run.cancelled).toBe(true);
    const configDir = run.state['dockerConfigDir'] ?? '';
    expect(configDir.startsWith(runnerTemp)).toBe(true);
    const post = await run.post();
    expect(post.exitCode).toBe(0);
    expect(await exists(configDir)).toBe(false);
  });
});
