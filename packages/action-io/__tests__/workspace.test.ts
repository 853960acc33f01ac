import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, InputErrors, InputReader, inputsFrom, workspacePath } from '../src/index.js';

let root: string;
let ws: string;
let outside: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'hia-workspace-')));
  ws = join(root, 'ws');
  outside = join(root, 'outside');
  await mkdir(join(ws, 'app', 'sub'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(ws, 'app', 'a.yaml'), 'a: 1\n');
  await writeFile(join(outside, 'secret.txt'), 'x\n');
  await symlink(outside, join(ws, 'out-link'));
  await symlink(join(ws, 'app'), join(ws, 'in-link'));
  await symlink(join(outside, 'not-yet.sarif'), join(ws, 'dangling.sarif'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('workspacePath', () => {
  it.each([
    ['a file', 'app/a.yaml', undefined, 'app/a.yaml'],
    ['the workspace itself', '.', undefined, ''],
    [
      'a path to be created, in a folder to be created',
      'results/deep/x.sarif',
      undefined,
      'results/deep/x.sarif',
    ],
    ['a symlink that stays inside', 'in-link/a.yaml', undefined, 'in-link/a.yaml'],
    ['".." that stays inside, from a subdirectory', '../a.yaml', 'app/sub', 'app/a.yaml'],
    ['an absolute path inside', '<ws>/app', undefined, 'app'],
  ])('accepts %s', (_name, value, from, expected) => {
    const path = workspacePath('paths', value.replace('<ws>', ws), {
      workspace: ws,
      ...(from === undefined ? {} : { from: join(ws, from) }),
    });
    expect(path).toBe(join(ws, expected));
  });

  it.each([
    ['".." out of it', '../../etc', '<up>/etc'],
    ['an absolute path elsewhere', '/etc', '/etc'],
    ['a symlink out of it', 'out-link/secret.txt', '<outside>/secret.txt'],
    ['a file to be created through a symlink out of it', 'out-link/new/x.sarif', '<outside>/new/x.sarif'],
    ['a dangling symlink whose target is outside', 'dangling.sarif', '<outside>/not-yet.sarif'],
  ])('refuses %s, naming the input, the value, where it resolves and the fix', (_name, value, resolved) => {
    let error: unknown;
    try {
      workspacePath('sarif-file', value, { workspace: ws });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      `input "sarif-file" is ${JSON.stringify(value)}: resolves to ${resolved.replace('<outside>', outside).replace('<up>', resolve(root, '..'))}, outside the workspace (${ws}). ` +
        'Give a path inside the workspace, with no ".." or symlink that leads out of it; to use a file from elsewhere, copy it into the workspace in an earlier step',
    );
  });

  it('says where relative paths start when that is not the workspace', () => {
    expect(() => workspacePath('paths', '../../x', { workspace: ws, from: join(ws, 'app') })).toThrow(
      `(relative paths start from ${join(ws, 'app')})`,
    );
  });

  it('reports through InputReader.check as one problem per input, with every other problem', () => {
    const r = new InputReader(inputsFrom({ 'sarif-file': '../x.sarif', strict: 'maybe' }));
    r.check('sarif-file', r.optional('sarif-file'), (value) =>
      workspacePath('sarif-file', value, { workspace: ws }),
    );
    r.boolean('strict', false);
    let error: unknown;
    try {
      r.finish();
    } catch (thrown) {
      error = thrown;
    }
    expect((error as InputErrors).errors.map((e) => e.message.split(':')[0])).toEqual([
      'input "sarif-file" is "../x.sarif"',
      'input "strict" is "maybe"',
    ]);
  });
});
