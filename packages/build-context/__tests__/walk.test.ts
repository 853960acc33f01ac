import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listContext } from '../src/index.js';

let root: string;

async function put(path: string, content = 'x'): Promise<void> {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), content);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hia-build-context-'));
  await put('environment.yml', 'name: x\n');
  await put('postBuild', '#!/bin/sh\n');
  await chmod(join(root, 'postBuild'), 0o755);
  await put('docs/keep.md');
  await put('docs/drop.md');
  await put('node_modules/pkg/index.js');
  await put('notes.txt');
  await put('secret.txt');
  await mkdir(join(root, 'empty'));
  await symlink('/etc/passwd', join(root, 'link'));
  await put('.dockerignore', 'node_modules\ndocs\n!docs/keep.md\nnotes.txt\n');
  await put('.containerignore', 'secret.txt\n');
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('listContext', () => {
  it('lists what docker copies with .dockerignore alone (Dockerfile builds)', async () => {
    const listing = await listContext(root, ['.dockerignore']);
    expect(listing.ignoreFiles).toEqual(['.dockerignore']);
    expect(listing.entries.map((e) => `${e.kind}:${e.path}`)).toEqual([
      'file:.containerignore',
      'file:.dockerignore',
      'file:docs/keep.md',
      'dir:empty',
      'file:environment.yml',
      'symlink:link',
      'file:postBuild',
      'file:secret.txt',
    ]);
    expect(listing.ignoredCount).toBe(4); // node_modules, docs, docs/drop.md, notes.txt
  });

  it('applies .containerignore after .dockerignore (repo2docker generated builds)', async () => {
    const listing = await listContext(root, ['.dockerignore', '.containerignore']);
    expect(listing.ignoreFiles).toEqual(['.dockerignore', '.containerignore']);
    expect(listing.entries.map((e) => e.path)).not.toContain('secret.txt');
  });

  it('records modes, sizes and symlink targets', async () => {
    const listing = await listContext(root, []);
    const byPath = new Map(listing.entries.map((e) => [e.path, e]));
    expect(byPath.get('postBuild')).toMatchObject({ kind: 'file', size: 10 });
    expect((byPath.get('postBuild')?.mode ?? 0) & 0o111).not.toBe(0);
    expect(byPath.get('link')).toMatchObject({ kind: 'symlink', target: '/etc/passwd' });
    expect(byPath.has('node_modules/pkg/index.js')).toBe(true);
  });
});
