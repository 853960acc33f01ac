// The real git: a "remote" bare repository and a shallow clone of a pull request's merge commit, as
// actions/checkout makes one on pull_request.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { systemRunner } from '@hub-image-actions/process';
import { mkdtemp, rm, writeFile, mkdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedFilesSinceMergeBase } from '../src/changed-files.js';

let root: string;
let remote: string;
let base: string;
let head: string;
const env = {
  PATH: process.env['PATH'],
  HOME: '/nonexistent',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.invalid',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.invalid',
};

async function git(cwd: string, args: string[]): Promise<string> {
  const result = await systemRunner.run('git', args, { cwd, env });
  if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

async function commit(work: string, files: Record<string, string | null>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    if (content === null) await unlink(join(work, path));
    else {
      await mkdir(join(work, path, '..'), { recursive: true });
      await writeFile(join(work, path), content);
    }
  }
  await git(work, ['add', '-A']);
  await git(work, ['commit', '-q', '-m', message]);
  return git(work, ['rev-parse', 'HEAD']);
}

/** A clone of the pull request's merge commit, `depth` commits deep, like actions/checkout's. */
async function checkout(depth: number | undefined): Promise<string> {
  const dir = await mkdtemp(join(root, 'checkout-'));
  await git(dir, ['init', '-q']);
  await git(dir, ['remote', 'add', 'origin', `file://${remote}`]);
  await git(dir, [
    'fetch',
    '-q',
    '--no-tags',
    ...(depth === undefined ? [] : [`--depth=${depth}`]),
    'origin',
    'refs/pull/1/merge',
  ]);
  await git(dir, ['checkout', '-q', 'FETCH_HEAD']);
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hia-git-changes-'));
  remote = join(root, 'remote.git');
  const work = join(root, 'work');
  await git(root, ['init', '-q', '--bare', remote]);
  await git(root, ['init', '-q', '-b', 'main', work]);
  await commit(
    work,
    { 'a.yaml': 'a: 1\n', 'gone.yaml': 'g: 1\n', 'old name.yaml': 'o: 1\n', 'keep.yaml': 'k: 1\n' },
    'initial',
  );
  const forkPoint = await git(work, ['rev-parse', 'HEAD']);
  // The base branch moves on after the fork: those changes are not the pull request's.
  for (let i = 0; i < 30; i += 1) await commit(work, { [`main-${i}.yaml`]: `m: ${i}\n` }, `main ${i}`);
  base = await git(work, ['rev-parse', 'HEAD']);
  await git(work, ['checkout', '-q', '-b', 'feature', forkPoint]);
  await commit(work, { 'a.yaml': 'a: 2\n', 'new/b.yml': 'b: 1\n' }, 'change a, add b');
  await commit(work, { 'gone.yaml': null }, 'delete gone');
  await git(work, ['mv', 'old name.yaml', 'new name.yaml']);
  // A name that is not UTF-8 and one with a newline: git gives them as bytes, and so must we.
  await writeFile(Buffer.from(`${work}/caf\xe9.yaml`, 'latin1'), 'c: 1\n');
  await writeFile(join(work, 'new\nline.yaml'), 'n: 1\n');
  head = await commit(work, { 'notes.txt': 'text\n' }, 'rename, add a text file and two odd names');
  await git(work, ['checkout', '-q', 'main']);
  await git(work, ['merge', '-q', '--no-ff', '-m', 'merge', 'feature']);
  await git(work, ['push', '-q', remote, 'main', 'feature', 'HEAD:refs/pull/1/merge']);
  await git(work, ['update-ref', '-d', 'refs/heads/feature']);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const CHANGED = [
  'a.yaml',
  Buffer.from('caf\xe9.yaml', 'latin1'),
  'new\nline.yaml',
  'new name.yaml',
  'new/b.yml',
  'notes.txt',
].map((name) => Buffer.from(name).toString('latin1'));

/** The names as bytes (one character per byte), to compare. */
function names(changed: Awaited<ReturnType<typeof changedFilesSinceMergeBase>>): string[] | undefined {
  return changed.found ? changed.files.map((file) => file.toString('latin1')) : undefined;
}

describe('changedFilesSinceMergeBase', () => {
  it('finds what the pull request changed in a full clone, without fetching', async () => {
    const dir = await checkout(undefined);
    const changed = await changedFilesSinceMergeBase(
      { base, head, number: 1 },
      { runner: systemRunner, cwd: dir, env },
    );
    expect(changed).toMatchObject({ found: true, fetches: [] });
    expect(names(changed)).toEqual(CHANGED);
  });

  it('fetches base and head into a depth-1 checkout and deepens until the merge base appears', async () => {
    const dir = await checkout(1);
    const lines: string[] = [];
    const changed = await changedFilesSinceMergeBase(
      { base, head, number: 1 },
      { runner: systemRunner, cwd: join(dir), env, deepenSteps: [2, 4, 64], log: (line) => lines.push(line) },
    );
    expect(names(changed)).toEqual(CHANGED);
    expect(lines[0]).toBe(`fetched the base commit ${base.slice(0, 12)} from origin (--depth=1)`);
    expect(lines.some((line) => line.startsWith('deepened the history of base and head by 64'))).toBe(true);
    expect(lines.some((line) => line.includes('full history'))).toBe(false);
  });

  it('fetches the full history when deepening is not enough', async () => {
    const dir = await checkout(1);
    const changed = await changedFilesSinceMergeBase(
      { base, head, number: 1 },
      { runner: systemRunner, cwd: dir, env, deepenSteps: [1] },
    );
    expect(names(changed)).toEqual(CHANGED);
    expect(changed.found && changed.fetches.at(-1)).toBe(
      'fetched the full history of base and head to look for their merge base',
    );
  });

  it('gives a reason when a commit cannot be fetched', async () => {
    const dir = await checkout(1);
    await git(dir, ['remote', 'set-url', 'origin', `file://${join(root, 'nowhere.git')}`]);
    const changed = await changedFilesSinceMergeBase(
      { base, head, number: 1 },
      { runner: systemRunner, cwd: dir, env },
    );
    expect(changed.found).toBe(false);
    expect(!changed.found && changed.reason).toMatch(
      new RegExp(
        `^the base commit ${base.slice(0, 12)} is not in the checkout and fetching it from "origin" failed: `,
      ),
    );
  });

  it('gives a reason outside a git checkout', async () => {
    const dir = await mkdtemp(join(root, 'plain-'));
    const changed = await changedFilesSinceMergeBase(
      { base, head, number: 1 },
      { runner: systemRunner, cwd: dir, env },
    );
    expect(!changed.found && changed.reason).toMatch(/is not inside a git checkout/);
  });
});
