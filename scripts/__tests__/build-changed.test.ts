import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { recordBuilt, staleActions } from '../build-changed.ts';

let root: string;

function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

const manifest = (dependencies: Record<string, string> = {}) => JSON.stringify({ dependencies });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'hia-build-changed-'));
  write('pnpm-lock.yaml', 'lock 1\n');
  write('packages/shared/package.json', manifest());
  write('packages/shared/src/index.ts', 'export const x = 1;\n');
  write('packages/other/package.json', manifest());
  write('packages/other/src/index.ts', 'export const y = 1;\n');
  write('actions/one/package.json', manifest({ '@hub-image-actions/shared': 'workspace:*', yaml: '2.9.1' }));
  write('actions/one/src/main.ts', 'one\n');
  write('actions/one/dist/index.js', 'bundle one\n');
  write('actions/two/package.json', manifest());
  write('actions/two/src/main.ts', 'two\n');
  write('actions/two/dist/index.js', 'bundle two\n');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('which actions to bundle again', () => {
  it('every action, when none was built here', () => {
    expect(staleActions(root)).toEqual(['one', 'two']);
  });

  it('none, when nothing changed since they were built', () => {
    recordBuilt(root, ['one', 'two']);
    expect(staleActions(root)).toEqual([]);
  });

  it.each([
    ['its source', 'actions/one/src/main.ts', ['one']],
    ['a workspace package it depends on', 'packages/shared/src/index.ts', ['one']],
    ['its dist/, edited by hand', 'actions/two/dist/index.js', ['two']],
    ['the lockfile', 'pnpm-lock.yaml', ['one', 'two']],
  ])('the one whose inputs changed: %s', (_what, path, stale) => {
    recordBuilt(root, ['one', 'two']);
    write(path, 'changed\n');
    expect(staleActions(root)).toEqual(stale);
  });

  it.each([
    ['a package it does not depend on', 'packages/other/src/index.ts'],
    ['its tests', 'actions/one/__tests__/main.test.ts'],
    ['its README', 'actions/one/README.md'],
  ])('none for a change to %s', (_what, path) => {
    recordBuilt(root, ['one', 'two']);
    write(path, 'changed\n');
    expect(staleActions(root)).toEqual([]);
  });

  it('a new file in dist/ counts as a change', () => {
    recordBuilt(root, ['one', 'two']);
    write('actions/one/dist/stale-chunk.js', 'x\n');
    expect(staleActions(root)).toEqual(['one']);
  });
});
