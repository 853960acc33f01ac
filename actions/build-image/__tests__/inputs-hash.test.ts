import { describe, expect, it } from '@jest/globals';
import { canonicalInputs, inputsHash, type HashedEntry, type ImageSettings } from '../src/inputs-hash.js';

const settings: ImageSettings = {
  repo2dockerVersion: '2026.04.0',
  userName: 'jovyan',
  userId: 1000,
  targetRepoDir: '/srv/repo',
  appendix: undefined,
  buildArgs: [],
  labels: [],
  platform: 'linux/amd64',
  extraArgs: [],
  subdir: undefined,
};
const files: HashedEntry[] = [
  { path: 'environment.yml', kind: 'file', executable: false, digest: 'a'.repeat(64) },
  { path: 'postBuild', kind: 'file', executable: true, digest: 'b'.repeat(64) },
  { path: 'image-tests', kind: 'dir', executable: false, digest: '' },
];
const hash = inputsHash(settings, files);

describe('inputsHash', () => {
  it('is a sha256 digest', () => {
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('does not depend on the order files or key-value pairs were listed in', () => {
    expect(inputsHash(settings, [...files].reverse())).toBe(hash);
    const a = inputsHash(
      {
        ...settings,
        buildArgs: [
          ['A', '1'],
          ['B', '2'],
        ],
      },
      files,
    );
    const b = inputsHash(
      {
        ...settings,
        buildArgs: [
          ['B', '2'],
          ['A', '1'],
        ],
      },
      files,
    );
    expect(a).toBe(b);
  });

  it('lets the last value of a repeated key win, as repo2docker does', () => {
    const repeated = inputsHash(
      {
        ...settings,
        labels: [
          ['x', 'old'],
          ['x', 'new'],
        ],
      },
      files,
    );
    expect(repeated).toBe(inputsHash({ ...settings, labels: [['x', 'new']] }, files));
  });

  it.each<[string, Partial<ImageSettings>]>([
    ['the repo2docker version', { repo2dockerVersion: '2026.05.0' }],
    ['the user name', { userName: 'student' }],
    ['the user id', { userId: 1001 }],
    ['the target directory', { targetRepoDir: '/home/jovyan' }],
    ['the appendix', { appendix: 'RUN true' }],
    ['a build arg', { buildArgs: [['A', '1']] }],
    ['a label', { labels: [['team', 'x']] }],
    ['the platform', { platform: 'linux/arm64' }],
    ['an extra argument', { extraArgs: ['--Repo2Docker.base_image=x/y:z'] }],
    ['the subdir', { subdir: 'images/a' }],
  ])('changes with %s', (_what, change) => {
    expect(inputsHash({ ...settings, ...change }, files)).not.toBe(hash);
  });

  it.each<[string, HashedEntry[]]>([
    ['a file content', [{ ...files[0]!, digest: 'c'.repeat(64) }, files[1]!, files[2]!]],
    ['the executable bit', [files[0]!, { ...files[1]!, executable: false }, files[2]!]],
    ['a new empty folder', [...files, { path: 'data', kind: 'dir', executable: false, digest: '' }]],
    ['a renamed file', [{ ...files[0]!, path: 'binder/environment.yml' }, files[1]!, files[2]!]],
    ['a file turned into a symlink', [{ ...files[0]!, kind: 'symlink' }, files[1]!, files[2]!]],
  ])('changes with %s', (_what, changed) => {
    expect(inputsHash(settings, changed)).not.toBe(hash);
  });

  it('hashes a readable canonical text that names its schema', () => {
    expect(JSON.parse(canonicalInputs(settings, files))).toMatchObject({
      schema: 1,
      repo2docker: '2026.04.0',
    });
  });
});
