import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { editFile, encodeFile, findImageUses, scanFile, selectFiles } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, 'fixtures', 'deployment-repo');
const IMAGE = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image';
const DEFAULT_SELECTION = {
  include: ['deployments/*/config/*.yaml', 'deployments/*/hubploy.yaml'],
  exclude: ['deployments/template/**'],
};

function listFiles(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix)).flatMap((name) => {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    return statSync(join(root, path)).isDirectory() ? listFiles(root, path) : [path];
  });
}

function bump(tag: string, selection = DEFAULT_SELECTION): Map<string, Buffer> {
  const files = selectFiles(listFiles(repo), selection).map((path) =>
    scanFile(path, readFileSync(join(repo, path))),
  );
  const search = findImageUses(files, IMAGE);
  expect(search.unsafe).toEqual([]);
  expect(search.unreadable).toEqual([]);
  const changed = new Map<string, Buffer>();
  for (const file of files) {
    const result = editFile(file, search.uses, tag);
    if (result.edits.length > 0) changed.set(file.path, encodeFile(result.text));
  }
  return changed;
}

describe.each([
  ['ordinary-tag', '0be26ba905cb'],
  ['numeric-tag', '123456789012'],
])('bumping the fixture deployment repo (%s: %s)', (scenario, tag) => {
  const expectedRoot = join(here, 'fixtures', 'expected', scenario);
  const expectedFiles = listFiles(expectedRoot).sort();
  const changed = bump(tag);

  it('changes exactly the files of the expected set', () => {
    expect([...changed.keys()].sort()).toEqual(expectedFiles);
  });

  it.each(expectedFiles)('writes %s byte for byte as expected', (path) => {
    expect(changed.get(path)?.equals(readFileSync(join(expectedRoot, path)))).toBe(true);
  });

  it('differs from the input only on the tag lines', () => {
    for (const path of expectedFiles) {
      const before = readFileSync(join(repo, path), 'utf8').split('\n');
      const after = changed.get(path)?.toString('utf8').split('\n') ?? [];
      expect(after.length).toBe(before.length);
      const differing = before.flatMap((line, i) => (line === after[i] ? [] : [i]));
      expect(differing.length).toBeGreaterThan(0);
      for (const i of differing) expect(after[i]).toContain(tag);
    }
  });
});

describe('bumping the fixture deployment repo with other selections', () => {
  it('leaves near-miss images, other placeholders, the template and prose alone', () => {
    const changed = bump('0be26ba905cb');
    for (const path of [
      'deployments/gpu-lab/config/common.yaml',
      'deployments/workshop/config/common.yaml',
      'deployments/already/config/common.yaml',
      'deployments/astro/config/prod.yaml',
      'deployments/template/config/common.yaml',
      'docs/index.md',
    ]) {
      expect(changed.has(path)).toBe(false);
    }
    const newhub = changed.get('deployments/newhub/config/common.yaml')?.toString('utf8') ?? '';
    expect(newhub).toContain('server: PLACEHOLDER');
    expect(newhub).toContain('admin_users: [PLACEHOLDER]');
    const datasci = changed.get('deployments/datasci/config/common.yaml')?.toString('utf8') ?? '';
    expect(datasci).toContain('base-user-image-gpu:8b48b4867330');
  });

  it('bumps the template when it is not excluded', () => {
    const changed = bump('0be26ba905cb', { ...DEFAULT_SELECTION, exclude: [] });
    expect(changed.get('deployments/template/config/common.yaml')?.toString('utf8')).toContain(
      'tag: 0be26ba905cb',
    );
  });

  it('finds nothing to do when every reference is already at the tag', () => {
    const files = selectFiles(listFiles(repo), DEFAULT_SELECTION).map((path) =>
      scanFile(path, readFileSync(join(repo, path))),
    );
    const search = findImageUses(files, IMAGE);
    const bumped = files.map((file) => {
      const text = editFile(file, search.uses, '0be26ba905cb').text;
      return scanFile(file.path, text);
    });
    const again = findImageUses(bumped, IMAGE);
    expect(again.uses.length).toBe(search.uses.length);
    expect(bumped.flatMap((file) => editFile(file, again.uses, '0be26ba905cb').edits)).toEqual([]);
  });
});
