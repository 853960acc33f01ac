import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installDir, recordedVersion } from '../src/repo2docker.js';

let root: string;

async function script(path: string, text: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hia-r2d-find-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const CONSOLE_SCRIPT = (python: string) =>
  `#!${python}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom repo2docker.__main__ import main\nif __name__ == '__main__':\n    sys.exit(main())\n`;

describe('recordedVersion: the version pip recorded, without starting Python', () => {
  it('reads it from the dist-info folder of the venv the console script belongs to', async () => {
    const venv = join(root, 'venv');
    await mkdir(join(venv, 'lib', 'python3.12', 'site-packages', 'jupyter_repo2docker-2026.4.0.dist-info'), {
      recursive: true,
    });
    const path = await script(
      join(venv, 'bin', 'repo2docker'),
      CONSOLE_SCRIPT(join(venv, 'bin', 'python3.12')),
    );
    expect(await recordedVersion(path)).toBe('2026.4.0');
  });

  it('knows nothing when the script is not a pip console script, or the metadata is ambiguous or missing', async () => {
    const double = await script(
      join(root, 'other', 'repo2docker'),
      '#!/usr/bin/env node\nimport "./lib/cli.mjs";\n',
    );
    expect(await recordedVersion(double)).toBeUndefined();
    const two = join(root, 'two');
    await mkdir(join(two, 'lib', 'python3.11', 'site-packages', 'jupyter_repo2docker-2025.1.0.dist-info'), {
      recursive: true,
    });
    await mkdir(join(two, 'lib', 'python3.12', 'site-packages', 'jupyter_repo2docker-2026.4.0.dist-info'), {
      recursive: true,
    });
    expect(
      await recordedVersion(
        await script(join(two, 'bin', 'repo2docker'), CONSOLE_SCRIPT(join(two, 'bin', 'python'))),
      ),
    ).toBeUndefined();
    const none = join(root, 'none');
    expect(
      await recordedVersion(
        await script(join(none, 'bin', 'repo2docker'), CONSOLE_SCRIPT(join(none, 'bin', 'python'))),
      ),
    ).toBeUndefined();
    expect(await recordedVersion(join(root, 'missing'))).toBeUndefined();
  });
});

describe('installDir', () => {
  it('installs into the tool cache per version and architecture, else under RUNNER_TEMP', () => {
    expect(installDir('2026.04.0', '/opt/hostedtoolcache', '/tmp/r')).toBe(
      `/opt/hostedtoolcache/jupyter-repo2docker/2026.04.0/${process.arch}`,
    );
    expect(installDir('2026.04.0', undefined, '/tmp/r')).toBe('/tmp/r/jupyter-repo2docker-2026.04.0');
  });
});
