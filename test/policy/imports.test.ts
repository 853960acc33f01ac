// No import cycle between files, and scripts/ and test/ do not import each other.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { crossings, importCycles, importGraph, sourceFiles } from './imports.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('the import graph of the repository', () => {
  const graph = importGraph(ROOT, sourceFiles(ROOT));

  it('covers the actions, the packages, scripts/ and test/', () => {
    const files = [...graph.keys()];
    for (const expected of [
      'actions/yamllint-runner/src/main.ts',
      'packages/docker-cli/src/image.ts',
      'scripts/release.ts',
      'test/policy/imports.ts',
    ]) {
      expect(files).toContain(expected);
    }
    expect(graph.get('actions/push-to-gar/src/local-image.ts')).toContain('packages/docker-cli/src/index.ts');
  });

  it('has no cycle', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('has no import from scripts/ into test/, or from test/ into scripts/', () => {
    expect([...crossings(graph, 'scripts', 'test'), ...crossings(graph, 'test', 'scripts')]).toEqual([]);
  });
});

describe('the import policy on a made-up tree', () => {
  let root: string;
  const file = async (path: string, text: string) => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imports-'));
    await file(
      'packages/a/package.json',
      JSON.stringify({ exports: { '.': './src/index.ts', './*': './src/*.ts' } }),
    );
    await file('packages/a/src/index.ts', "export * from './one.js';\n");
    await file('packages/a/src/one.ts', "import type { X } from './two.js';\nexport const one = 1;\n");
    await file(
      'packages/a/src/two.ts',
      "import { one } from '@hub-image-actions/a';\nexport type X = typeof one;\n",
    );
    await file('actions/b/src/main.ts', "import { one } from '@hub-image-actions/a/one';\nimport 'yaml';\n");
    await file('scripts/s.ts', "const t = await import('../test/t.js');\n");
    await file('test/t.ts', 'export {};\n');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('finds a cycle through a package entry and a type-only import, and an import from scripts/ into test/', () => {
    const graph = importGraph(root, sourceFiles(root));
    expect(graph.get('actions/b/src/main.ts')).toEqual(['packages/a/src/one.ts']);
    expect(importCycles(graph)).toEqual([
      ['packages/a/src/index.ts', 'packages/a/src/one.ts', 'packages/a/src/two.ts'],
    ]);
    expect(crossings(graph, 'scripts', 'test')).toEqual(['scripts/s.ts → test/t.ts']);
  });
});
