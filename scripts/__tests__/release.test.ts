import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { planRelease, release, ReleaseError, verifyRelease, type WorkflowText } from '../release.ts';

const REUSABLE = [
  'on:',
  '  workflow_call:',
  'jobs:',
  '  build:',
  '    steps:',
  '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
  '      - uses: hub-image-actions/hub-image-actions/actions/build-image@v1',
  '      - uses: hub-image-actions/hub-image-actions/actions/push-to-gar@v1',
  '',
].join('\n');
const CALLER = [
  'on: pull_request',
  'jobs:',
  '  image:',
  '    uses: hub-image-actions/hub-image-actions/.github/workflows/image-main.yml@v1 # see the README',
  '',
].join('\n');
const CI = 'on: push\njobs:\n  ci:\n    steps:\n      - run: echo ci\n';

const FILES: WorkflowText[] = [
  { path: '.github/workflows/ci.yml', text: CI },
  { path: '.github/workflows/image-main.yml', text: REUSABLE },
  { path: 'templates/image-repo/.github/workflows/image-main.yml', text: CALLER },
];

describe('planning a release', () => {
  it('sets the workflows to the version and the template to its major tag, and leaves other files alone', () => {
    const plan = planRelease('1.2.0', ['v1.0.0', 'v1.1.3', 'v1'], FILES);
    expect(plan).toEqual({
      version: '1.2.0',
      tag: 'v1.2.0',
      majorTag: 'v1',
      changes: [
        { path: '.github/workflows/image-main.yml', text: REUSABLE.replaceAll('@v1\n', '@v1.2.0\n') },
      ],
    });
    verifyRelease(plan, FILES, [...FILES.slice(0, 1), ...plan.changes, ...FILES.slice(2)]);
  });

  it('allows a maintenance release of an older major version', () => {
    expect(planRelease('1.4.1', ['v1.4.0', 'v2.0.0', 'v2', 'v1'], FILES).tag).toBe('v1.4.1');
  });

  it.each([
    ['1.2', [], /version "1.2" is not X.Y.Z/],
    ['v1.2.0', [], /version "v1.2.0" is not X.Y.Z \(three numbers, no leading v\)/],
    ['01.2.0', [], /is not X.Y.Z/],
    ['1.2.0-rc.1', [], /is not X.Y.Z/],
    ['1.2.0', ['v1.2.0'], /v1.2.0 exists already/],
    ['1.1.9', ['v1.2.0', 'v1'], /v1.1.9 is older than v1.2.0: v1 must only move forward/],
    ['2.0.0', ['v1.2.0'], /refers to @v1, not major v2: for a new major version, first move main to @v2/],
  ])('refuses %s (existing tags %j)', (version, tags, message) => {
    expect(() => planRelease(version, tags, FILES)).toThrow(message);
  });

  it('refuses when there is no internal ref to set', () => {
    expect(() => planRelease('1.0.0', [], [FILES[0] as WorkflowText])).toThrow(/no internal refs found/);
  });

  it('refuses a rewrite that changed more than the refs', () => {
    const plan = planRelease('1.2.0', [], FILES);
    const tampered = plan.changes.map((change) => ({
      ...change,
      text: change.text.replace('build:', 'built:'),
    }));
    expect(() => verifyRelease(plan, FILES, tampered)).toThrow(/changed more than the internal refs/);
  });
});

// The whole release against real git: a working clone and a bare "origin".
describe('releasing with git', () => {
  let dir: string;
  let work: string;
  let origin: string;
  const env = {
    PATH: process.env.PATH,
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: 'Release Test',
    GIT_AUTHOR_EMAIL: 'release@example.invalid',
    GIT_COMMITTER_NAME: 'Release Test',
    GIT_COMMITTER_EMAIL: 'release@example.invalid',
  };
  const git = (cwd: string, ...args: string[]): string => {
    const result = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  };
  const quiet = { log: () => undefined };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'release-test-'));
    origin = join(dir, 'origin.git');
    work = join(dir, 'work');
    git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', origin);
    git(dir, 'clone', '--quiet', origin, work);
    for (const file of FILES) write(file.path, file.text);
    write('README.md', 'hub-image-actions\n');
    git(work, 'add', '.');
    git(work, 'commit', '--quiet', '-m', 'Initial');
    git(work, 'push', '--quiet', 'origin', 'main');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('pushes vX.Y.Z and vX at a release commit on top of HEAD, leaving the branch and working tree as they were', () => {
    const head = git(work, 'rev-parse', 'HEAD');
    const result = release({ root: work, version: '1.0.0', push: true, remote: 'origin', env, ...quiet });

    expect(result).toEqual({
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
      tag: 'v1.0.0',
      majorTag: 'v1',
      pushed: true,
    });
    expect(git(origin, 'rev-parse', 'v1.0.0^{commit}')).toBe(result.commit);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(result.commit);
    expect(git(origin, 'rev-parse', `${result.commit}^`)).toBe(head);
    expect(git(origin, 'rev-parse', 'main')).toBe(head);
    expect(git(origin, 'show', `${result.commit}:.github/workflows/image-main.yml`) + '\n').toBe(
      REUSABLE.replaceAll('@v1\n', '@v1.0.0\n'),
    );
    expect(
      git(origin, 'show', `${result.commit}:templates/image-repo/.github/workflows/image-main.yml`) + '\n',
    ).toBe(CALLER);
    expect(git(origin, 'diff', '--name-only', head, result.commit)).toBe('.github/workflows/image-main.yml');
    expect(git(origin, 'log', '-1', '--format=%s', result.commit)).toBe('Release v1.0.0');

    expect(git(work, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(work, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(work, '.github/workflows/image-main.yml'), 'utf8')).toBe(REUSABLE);
  });

  it('moves vX forward with the next release', () => {
    const first = release({ root: work, version: '1.0.0', push: true, remote: 'origin', env, ...quiet });
    write('README.md', 'hub-image-actions, now better\n');
    git(work, 'commit', '--quiet', '-am', 'Better');
    const second = release({ root: work, version: '1.1.0', push: true, remote: 'origin', env, ...quiet });

    expect(second.commit).not.toBe(first.commit);
    expect(git(origin, 'rev-parse', 'v1.0.0^{commit}')).toBe(first.commit);
    expect(git(origin, 'rev-parse', 'v1.1.0^{commit}')).toBe(second.commit);
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(second.commit);
  });

  it('refuses a version already on the remote, even when the local clone lacks the tag', () => {
    release({ root: work, version: '1.0.0', push: true, remote: 'origin', env, ...quiet });
    git(work, 'tag', '-d', 'v1.0.0', 'v1');
    expect(() =>
      release({ root: work, version: '1.0.0', push: true, remote: 'origin', env, ...quiet }),
    ).toThrow(/v1.0.0 exists already/);
  });

  it('refuses uncommitted changes', () => {
    write('.github/workflows/image-main.yml', REUSABLE.replace('build:', 'build-it:'));
    expect(() =>
      release({ root: work, version: '1.0.0', push: false, remote: 'origin', env, ...quiet }),
    ).toThrow(ReleaseError);
  });

  it('puts the local tags back when the push fails, so a re-run can succeed', () => {
    const first = release({ root: work, version: '1.0.0', push: true, remote: 'origin', env, ...quiet });
    writeFileSync(
      join(origin, 'hooks', 'pre-receive'),
      '#!/bin/sh\necho "tags are protected" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    expect(() =>
      release({ root: work, version: '1.0.1', push: true, remote: 'origin', env, ...quiet }),
    ).toThrow(
      /pushing v1.0.1 and v1 to origin failed; nothing was published and the local tags are as before\. git push failed \(exit 1\): .*tags are protected/s,
    );
    expect(git(work, 'tag', '--list', 'v1.0.1')).toBe('');
    expect(git(work, 'rev-parse', 'v1^{commit}')).toBe(first.commit);
    expect(git(origin, 'tag', '--list')).toBe('v1\nv1.0.0');

    rmSync(join(origin, 'hooks', 'pre-receive'));
    const retried = release({ root: work, version: '1.0.1', push: true, remote: 'origin', env, ...quiet });
    expect(git(origin, 'rev-parse', 'v1^{commit}')).toBe(retried.commit);
  });

  it('runs from the command line, and says what is wrong', () => {
    const root = resolve(import.meta.dirname, '../..');
    for (const file of ['scripts/release.ts', 'packages/workflow-files/src/internal-refs.ts']) {
      mkdirSync(dirname(join(work, file)), { recursive: true });
      copyFileSync(join(root, file), join(work, file));
    }
    writeFileSync(join(work, 'package.json'), '{ "type": "module" }\n');
    git(work, 'add', 'scripts', 'packages', 'package.json');
    git(work, 'commit', '--quiet', '-m', 'Release script');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [join(work, 'scripts/release.ts'), ...args], {
        cwd: work,
        env,
        encoding: 'utf8',
      });

    const bad = run('1.0');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe(
      'release: version "1.0" is not X.Y.Z (three numbers, no leading v), e.g. 1.4.0\n',
    );

    const good = run('1.0.0');
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(
      /tagged v1.0.0; v1 moved to it\nnot pushed; to publish: git push --atomic origin/,
    );
    expect(git(work, 'rev-parse', 'v1^{commit}')).toBe(git(work, 'rev-parse', 'v1.0.0^{commit}'));
  });
});
