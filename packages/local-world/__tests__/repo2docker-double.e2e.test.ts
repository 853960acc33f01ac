// What only the double does: the small image it builds in place of repo2docker's for a repository without a
// Dockerfile (the real one needs the network for that), and its stand-in for buildx where the machine has none. What
// it shares with the real tool is in repo2docker-contract.e2e.test.ts, which runs against both.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { ensurePythonImage, PYTHON_IMAGE } from '../src/base-images.js';
import { freePort, waitFor } from '../src/net.js';
import { doubleEnv, REQUEST_FILE_IN_IMAGE, type Repo2DockerRequest } from '../src/repo2docker-double.js';
import { makeTempDir, removeDir } from '../src/tmp.js';
import { docker, makeRepo as makeRepoIn, run } from './repo2docker-tests.js';

jest.setTimeout(180_000);

const double = (args: readonly string[], env: Record<string, string | undefined> = {}) =>
  run('repo2docker', args, { ...doubleEnv(), ...env });

const suffix = randomBytes(4).toString('hex');
const images: string[] = [];
const containers: string[] = [];
const dirs: string[] = [];
const makeRepo = (files: Record<string, string>) => makeRepoIn(files, dirs);

function imageName(purpose: string): string {
  const name = `hia-r2d-double/${purpose}:${suffix}`;
  images.push(name);
  return name;
}

/** The repository as the image holds it: owner, mode and path of everything below REPO_DIR. */
async function filesInImage(name: string, repoDir: string): Promise<string[]> {
  const listing = await docker([
    'run',
    '--rm',
    name,
    'find',
    repoDir,
    '-mindepth',
    '1',
    '-printf',
    '%u %m %P\\n',
  ]);
  return listing.trim().split('\n').sort();
}

const BUILD = ['--no-run', '--user-id', '1000', '--user-name', 'jovyan'];

beforeAll(async () => {
  await ensurePythonImage();
}, 30 * 60_000);

afterAll(async () => {
  for (const container of containers) await run('docker', ['rm', '-f', container]);
  for (const image of images) await run('docker', ['rmi', '-f', image]);
  for (const dir of dirs) await removeDir(dir);
});

describe('repo2docker double: a repository without a Dockerfile', () => {
  it('is built into a small image that records the request, with the repository in REPO_DIR', async () => {
    const repo = await makeRepo({
      'environment.yml': 'dependencies: [python=3.11]\n',
      'postBuild*': '#!/bin/sh\necho post\n',
      'notebooks/intro.ipynb': '{}\n',
    });
    const name = imageName('conda');
    const result = await double([
      ...BUILD,
      '--target-repo-dir',
      '/srv/repo',
      '--image-name',
      name,
      '--build-arg',
      'EXTRA=1',
      '--cache-from',
      'hia-r2d-double/none:1',
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
      userName: 'jovyan',
      userId: 1000,
      targetRepoDir: '/srv/repo',
      buildpack: 'CondaBuildPack',
      appendix: 'RUN echo appendix-ran > /tmp/appendix',
      baseImage: PYTHON_IMAGE,
      cacheFrom: ['hia-r2d-double/none:1'],
      buildArgs: { NB_USER: 'jovyan', NB_UID: '1000', REPO_DIR: '/srv/repo', EXTRA: '1' },
      labels: { 'repo2docker.version': '2026.4.0', 'repo2docker.repo': 'local', 'repo2docker.ref': 'None' },
    });
    const inside = await docker(['run', '--rm', name, 'sh', '-c', 'id -u; pwd; cat /tmp/appendix']);
    expect(inside).toBe('1000\n/srv/repo\nappendix-ran\n');
    expect(await filesInImage(name, '/srv/repo')).toEqual([
      'jovyan 644 environment.yml',
      'jovyan 644 notebooks/intro.ipynb',
      'jovyan 755 notebooks',
      'jovyan 755 postBuild',
    ]);
    // Nothing the double writes goes into the repository.
    expect((await readdir(repo)).sort()).toEqual(['environment.yml', 'notebooks', 'postBuild']);
  });

  it("holds a conda record for each package environment.yml pins, where repo2docker's environment is", async () => {
    const repo = await makeRepo({
      'environment.yml':
        'channels: [conda-forge]\ndependencies:\n  - python=3.12\n  - numpy==2.2  # pinned\n  - pandas\n  - pip:\n    - requests==2.32\n',
    });
    const name = imageName('conda-records');
    expect((await double([...BUILD, '--image-name', name, repo])).code).toBe(0);
    const listing = await docker(['run', '--rm', name, 'ls', '/srv/conda/envs/notebook/conda-meta']);
    expect(listing).toBe('numpy-2.2-double_0.json\npython-3.12-double_0.json\n');
    const record = JSON.parse(
      await docker([
        'run',
        '--rm',
        name,
        'cat',
        '/srv/conda/envs/notebook/conda-meta/numpy-2.2-double_0.json',
      ]),
    ) as Record<string, unknown>;
    expect(record).toMatchObject({ name: 'numpy', version: '2.2', build: 'double_0' });
  });

  it('leaves out what .dockerignore and then .containerignore exclude, as repo2docker reads them', async () => {
    const repo = await makeRepo({
      'requirements.txt': '',
      'gha-creds-1234.json': '{"secret": true}\n',
      'notes/keep.md': 'keep\n',
      'notes/scratch.md': 'scratch\n',
      '.dockerignore': '# credentials\ngha-creds-*.json\nnotes\n',
      '.containerignore': '  !notes/keep.md  \n',
    });
    const name = imageName('ignore');
    expect((await double([...BUILD, '--image-name', name, repo])).code).toBe(0);
    expect(await filesInImage(name, '/home/jovyan')).toEqual(
      expect.arrayContaining(['jovyan 644 notes/keep.md', 'jovyan 644 requirements.txt']),
    );
    const all = (await filesInImage(name, '/home/jovyan')).join('\n');
    expect(all).not.toContain('gha-creds');
    expect(all).not.toContain('scratch');
  });

  it('reads the ignore files in binder/ when there is one, not those at the root', async () => {
    const repo = await makeRepo({
      'binder/requirements.txt': '',
      'root-only.txt': 'x\n',
      'binder-only.txt': 'y\n',
      '.dockerignore': 'root-only.txt\n',
      'binder/.dockerignore': 'binder-only.txt\n',
    });
    const name = imageName('binder-ignore');
    expect((await double([...BUILD, '--image-name', name, repo])).code).toBe(0);
    const all = (await filesInImage(name, '/home/jovyan')).join('\n');
    expect(all).toContain('root-only.txt');
    expect(all).not.toContain('binder-only.txt');
  });

  it('has a jupyter stub that answers /api/status, and wants a token when none is given', async () => {
    const name = imageName('jupyter');
    expect(
      (await double([...BUILD, '--image-name', name, await makeRepo({ 'requirements.txt': '' })])).code,
    ).toBe(0);
    const open = await freePort();
    const closed = await freePort();
    containers.push(
      (
        await docker([
          'run',
          '-d',
          '-p',
          `127.0.0.1:${open}:8888`,
          name,
          'jupyter',
          'lab',
          '--ip=0.0.0.0',
          '--port=8888',
          '--no-browser',
          "--ServerApp.token=''",
        ])
      ).trim(),
      (await docker(['run', '-d', '-p', `127.0.0.1:${closed}:8888`, name])).trim(),
    );
    const status = (port: number) =>
      waitFor('the jupyter stub', async () => {
        try {
          return await fetch(`http://127.0.0.1:${port}/api/status`);
        } catch {
          return undefined;
        }
      });
    const answer = await status(open);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ kernels: 0 });
    expect((await status(closed)).status).toBe(403);
  });
});

describe('repo2docker double: versions and buildx', () => {
  it('reports REPO2DOCKER_DOUBLE_VERSION as pip spells it', async () => {
    const result = await double(['--version'], { REPO2DOCKER_DOUBLE_VERSION: '2026.05.01' });
    expect(result.stdout).toBe('2026.5.1\n');
  });

  // Where buildx is installed system-wide (GitHub's runners) it cannot be hidden, so there is nothing to stand in for.
  const buildxHidden =
    spawnSync('docker', ['buildx', 'version'], { env: { ...process.env, DOCKER_CONFIG: '/nonexistent' } })
      .status !== 0;
  (buildxHidden ? it : it.skip)(
    'without buildx stands in with the engine BuildKit only when asked, else fails like repo2docker',
    async () => {
      const emptyConfig = await makeTempDir('r2d-no-plugins');
      dirs.push(emptyConfig);
      const repo = await makeRepo({ Dockerfile: 'FROM hia-test/busybox:1\nRUN echo stand-in\n' });
      const failing = await double([...BUILD, '--image-name', imageName('no-buildx'), repo], {
        DOCKER_CONFIG: emptyConfig,
        REPO2DOCKER_DOUBLE_NO_BUILDX: 'fail',
      });
      expect(failing.code).toBe(1);
      expect(failing.stderr).toContain('RuntimeError: The buildx plugin must be installed');
      const standIn = await double([...BUILD, '--image-name', imageName('stand-in'), repo], {
        DOCKER_CONFIG: emptyConfig,
      });
      expect(standIn.code).toBe(0);
      expect(standIn.stderr).toContain("no buildx here: building with the engine's BuildKit");
      expect(standIn.stderr).toMatch(/^#\d+ \[2\/2\] RUN echo stand-in$/m);
    },
  );
});
