import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configInUse } from '../src/local-files.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tree(files: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'yamllint-config-'));
  dirs.push(dir);
  for (const file of files) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), 'extends: default\n');
  }
  return dir;
}

const noUser = { XDG_CONFIG_HOME: '/nonexistent' };

describe('configInUse names the configuration an error is about', () => {
  it('config-file: the path from the workspace root, also when the step runs in a subdirectory', async () => {
    const ws = await tree([]);
    const inUse = await configInUse({ kind: 'file', path: '../ci/lint.yaml' }, join(ws, 'app'), ws, noUser);
    expect(inUse.named).toBe('the yamllint configuration "ci/lint.yaml" (input "config-file")');
    expect(inUse.fix).toBe('Fix "ci/lint.yaml", or point "config-file" at another file');
  });

  it('config-data: the input', async () => {
    const ws = await tree([]);
    expect((await configInUse({ kind: 'data', yaml: 'x' }, ws, ws, noUser)).named).toBe(
      'the yamllint configuration given inline in input "config-data"',
    );
  });

  it('discovery: the file yamllint picks, in its order (.yamllint, .yamllint.yaml, .yamllint.yml)', async () => {
    const ws = await tree(['.yamllint.yaml', '.yamllint.yml']);
    const inUse = await configInUse({ kind: 'discovery' }, ws, ws, noUser);
    expect(inUse.named).toMatch(
      /^the yamllint configuration ".yamllint.yaml" \(found by yamllint, which looks for/,
    );
    expect(inUse.label).toBe('.yamllint.yaml (found by yamllint in the working directory)');
    const both = await tree(['.yamllint', '.yamllint.yml']);
    expect((await configInUse({ kind: 'discovery' }, both, both, noUser)).fix).toMatch(/^Fix ".yamllint", /);
  });

  it("discovery: the user's file when the working directory has none", async () => {
    const ws = await tree(['home/lint.yaml']);
    const user = join(ws, 'home', 'lint.yaml');
    const inUse = await configInUse({ kind: 'discovery' }, ws, ws, { YAMLLINT_CONFIG_FILE: user });
    expect(inUse.named).toMatch(new RegExp(`^the yamllint configuration "${user}" \\(the user's, as no`));
    expect(inUse.fix).toMatch(new RegExp(`^Fix "${user}", or give another configuration`));
  });
});
