import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  FILE_CAPS,
  ImageFileView,
  METADATA_PATTERNS,
  parseLdd,
  readLayer,
  walkerProgram,
  walkerRunArgs,
} from '../src/index.js';

describe('the in-container walker, run on a directory', () => {
  it('emits exactly the metadata files as a tar, skipping package code, caches and symlinks', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hia-walker-'));
    try {
      const files: Record<string, string> = {
        'var/lib/dpkg/status': 'Package: a\nStatus: install ok installed\nVersion: 1\n',
        'var/lib/dpkg/info/a.list': '/usr/bin/a\n',
        'opt/conda/conda-meta/x-1-0.json': '{"name":"x","version":"1","build":"0"}',
        'opt/conda/pkgs/x-1-0/info/index.json': '{}',
        'opt/conda/pkgs/x-1-0/lib/python3.11/site-packages/x-1.dist-info/METADATA': 'Name: x\nVersion: 1\n',
        'opt/conda/lib/python3.11/site-packages/x-1.dist-info/METADATA': 'Name: x\nVersion: 1\n',
        'opt/conda/lib/python3.11/site-packages/x/deep/y-2.dist-info/METADATA': 'Name: y\nVersion: 2\n',
        [`opt/conda/lib/python3.11/site-packages/${'long_name_'.repeat(12)}-1.dist-info/METADATA`]:
          'Name: long\nVersion: 1\n',
        'usr/lib/R/site-library/cli/DESCRIPTION':
          'Package: cli\nVersion: 3.6.3\nBuilt: R 4.4.1; ; 2024; unix\n',
        'usr/lib/R/site-library/cli/Meta/package.rds': 'rds',
        'usr/lib/R/site-library/cli/doc/sub/DESCRIPTION': 'Package: sub\nVersion: 1\nBuilt: R\n',
      };
      for (const [path, content] of Object.entries(files)) {
        await mkdir(dirname(join(root, path)), { recursive: true });
        await writeFile(join(root, path), content);
      }
      await symlink('/etc/shadow', join(root, 'opt/conda/conda-meta/evil-1-0.json'));
      const child = spawn(
        process.execPath,
        [
          '-e',
          walkerProgram(),
          JSON.stringify({ patterns: Object.values(METADATA_PATTERNS), maxFileBytes: 1e6, skip: [], root }),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const view = new ImageFileView();
      view.commit(await readLayer(view, child.stdout));
      expect([...view.files.keys()].sort()).toEqual([
        `/opt/conda/conda-meta/x-1-0.json`,
        `/opt/conda/lib/python3.11/site-packages/${'long_name_'.repeat(12)}-1.dist-info/METADATA`,
        '/opt/conda/lib/python3.11/site-packages/x-1.dist-info/METADATA',
        '/usr/lib/R/site-library/cli/DESCRIPTION',
        '/var/lib/dpkg/status',
      ]);
      expect(view.files.get('/var/lib/dpkg/status')?.content.toString()).toBe(files['var/lib/dpkg/status']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('walkerRunArgs', () => {
  const ldd = parseLdd(
    '\tlinux-vdso.so.1 (0x00007ffd)\n\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f8c)\n' +
      '\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f8c)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f8c)\n',
  );

  it('reads the loader and the libraries from ldd', () => {
    expect(ldd).toEqual({
      loader: '/lib64/ld-linux-x86-64.so.2',
      libraries: ['/lib/x86_64-linux-gnu/libstdc++.so.6', '/lib/x86_64-linux-gnu/libc.so.6'],
    });
  });

  it("runs the host's Node.js through its own loader, without network, capabilities or the image's environment", () => {
    const args = walkerRunArgs('example/image:1', '/opt/node/bin/node', ldd);
    expect(args.slice(0, 11)).toEqual([
      'run',
      '--rm',
      '--pull=never',
      '--network=none',
      '--user=0:0',
      '--cap-drop=ALL',
      '--cap-add=DAC_READ_SEARCH',
      '--security-opt=no-new-privileges',
      '--read-only',
      '--log-driver=none',
      '--env',
    ]);
    for (const name of ['LD_PRELOAD', 'LD_AUDIT', 'LD_LIBRARY_PATH', 'NODE_OPTIONS', 'NODE_PATH']) {
      expect(args).toContain(`${name}=`);
    }
    expect(args).toContain('type=bind,source=/dev/null,target=/etc/ld.so.preload,readonly');
    expect(args).toContain('type=bind,source=/opt/node/bin/node,target=/.hub-image-actions/node,readonly');
    expect(args).toContain(
      'type=bind,source=/lib/x86_64-linux-gnu/libc.so.6,target=/.hub-image-actions/lib/libc.so.6,readonly',
    );
    const image = args.indexOf('example/image:1');
    expect(args[image - 1]).toBe('--entrypoint=/.hub-image-actions/lib/ld-linux-x86-64.so.2');
    expect(args.slice(image + 1, image + 5)).toEqual([
      '--library-path',
      '/.hub-image-actions/lib',
      '/.hub-image-actions/node',
      '-e',
    ]);
    expect(JSON.parse(args.at(-1)!)).toMatchObject({ maxFileBytes: Math.max(...Object.values(FILE_CAPS)) });
  });

  it('runs a static Node.js directly', () => {
    const args = walkerRunArgs('example/image:1', '/opt/node', { libraries: [] });
    const image = args.indexOf('example/image:1');
    expect(args[image - 1]).toBe('--entrypoint=/.hub-image-actions/node');
    expect(args[image + 1]).toBe('-e');
  });
});
