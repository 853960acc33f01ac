import { describe, expect, it } from '@jest/globals';
import { inputsFrom } from '@hub-image-actions/action-io';
import { findImageUses, legacyOnlyReferences, scanFile } from '@hub-image-actions/deploy-config';
import { parseImageName } from '@hub-image-actions/image-ref';
import { branchTag, commitMessage, foreignCommits, readTrailers, type BranchCommit } from '../src/branch.js';
import { normalizePrivateKey } from '@hub-image-actions/github-access';
import { readInputs } from '../src/context.js';
import { decideMove } from '../src/order.js';
import { planBump } from '../src/plan.js';
import { labelChanges } from '../src/labels.js';
import { foreignCommitsError, noFileSelected, unsafeFiles } from '../src/messages.js';
import { keptTable, pullRequestBody, shownTag } from '../src/report.js';

const IMAGE = parseImageName('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image');
const BOT = 'hub-image-bot@users.noreply.github.com';

describe('moving a reference', () => {
  it.each([
    ['same tag', 'aaaaaaaaaaaa', undefined, 'current'],
    ['placeholder', 'PLACEHOLDER', undefined, 'bump'],
    ['older commit', '111111111111', { kind: 'older' as const }, 'bump'],
    ['newer commit', '111111111111', { kind: 'newer' as const, aheadBy: 2 }, 'keep'],
    ['later diverged commit', '111111111111', { kind: 'diverged' as const, currentIsLater: true }, 'keep'],
    ['earlier diverged commit', '111111111111', { kind: 'diverged' as const, currentIsLater: false }, 'bump'],
    ['unknown commit', '111111111111', { kind: 'unknown' as const, why: 'gone' }, 'bump'],
    ['non-commit tag', 'v2', undefined, 'bump'],
  ])('decideMove: %s → %s', (_what, current, order, action) => {
    expect(decideMove(current, 'aaaaaaaaaaaa', order).action).toBe(action);
  });

  it('says why a newer hub is kept', () => {
    expect(decideMove('111111111111', 'aaaaaaaaaaaa', { kind: 'newer', aheadBy: 1 })).toEqual({
      action: 'keep',
      reason: 'runs `111111111111`, 1 commit newer than `aaaaaaaaaaaa`',
    });
  });
});

describe('the bump branch', () => {
  it('writes and reads its trailers', () => {
    const message = commitMessage({
      image: IMAGE,
      tag: 'abc',
      hubs: ['a', 'b'],
      files: ['x'],
      sourceCommitUrl: undefined,
    });
    expect(message.split('\n')[0]).toBe('Bump base-user-image to abc');
    expect(readTrailers(message)).toEqual({ image: IMAGE.full, tag: 'abc' });
  });

  const ours = (tag: string, overrides: Partial<BranchCommit> = {}): BranchCommit => ({
    sha: tag.padEnd(40, '0'),
    message: commitMessage({ image: IMAGE, tag, hubs: [], files: [], sourceCommitUrl: undefined }),
    authorName: 'hub-image-bot',
    authorEmail: BOT,
    committerEmail: BOT,
    ...overrides,
  });

  it.each([
    ['a bot commit with the trailer', ours('a'), false],
    ['a human commit', ours('a', { authorEmail: 'ada@example.edu' }), true],
    ['an amended bot commit', ours('a', { committerEmail: 'ada@example.edu' }), true],
    ['a bot commit without the trailer', ours('a', { message: 'Manual fix' }), true],
    [
      'a bot commit for another image',
      ours('a', { message: `x\n\nHub-Image-Bump: ${IMAGE.full}-gpu\n` }),
      true,
    ],
  ])('counts %s as foreign: %s', (_what, commit, foreign) => {
    expect(foreignCommits([commit], IMAGE, BOT.toUpperCase())).toHaveLength(foreign ? 1 : 0);
  });

  it('reads the tag of the newest commit', () => {
    expect(branchTag([ours('a'), ours('b')])).toBe('b');
    expect(branchTag([])).toBeUndefined();
  });
});

describe('inputs', () => {
  const base = {
    image: IMAGE.full,
    tag: 'abcdef123456',
    'deployment-repo': 'cal-icor/cal-icor-hubs',
    token: 'secret-token-value',
    paths: 'deployments/*/config/*.yaml',
  };

  it('defaults the source to the current repository and commit', () => {
    const inputs = readInputs(inputsFrom(base), {
      GITHUB_REPOSITORY: 'cal-icor/base-user-image',
      GITHUB_SHA: 'ABCDEF1234567890',
    });
    expect(inputs.sourceRepo).toEqual({ owner: 'cal-icor', repo: 'base-user-image' });
    expect(inputs.sourceSha).toBe('abcdef1234567890');
  });

  it('refuses a commit-like tag that does not start the source commit', () => {
    expect(() => readInputs(inputsFrom(base), { GITHUB_SHA: '1234567890abcdef' })).toThrow(
      /input "tag" is "abcdef123456": looks like a commit prefix/,
    );
  });

  it('refuses a private key that is not a PEM key, without echoing it', () => {
    const values = { ...base, token: '', 'app-id': '12', 'private-key': 'not-a-key-at-all-but-secret' };
    expect(() => readInputs(inputsFrom(values), { GITHUB_SHA: 'abcdef1234567890' })).toThrow(
      /input "private-key" is not a PEM private key/,
    );
    try {
      readInputs(inputsFrom(values), { GITHUB_SHA: 'abcdef1234567890' });
    } catch (error) {
      expect(String(error)).not.toContain('not-a-key-at-all');
    }
  });

  it('reads a key pasted with literal \\n sequences', () => {
    expect(normalizePrivateKey('-----BEGIN X-----\\nabc\\n-----END X-----')).toBe(
      '-----BEGIN X-----\nabc\n-----END X-----',
    );
  });
});

describe('the plan and the pull request body', () => {
  const text = `a:\n  image:\n    name: ${IMAGE.full}\n    tag: 111111111111\nb: ${IMAGE.full}:222222222222\nc: ${IMAGE.full}:PLACEHOLDER\nd: ${IMAGE.full}:aaaaaaaaaaaa\n`;
  const file = scanFile('deployments/h/config/common.yaml', text);
  const uses = findImageUses([file], IMAGE.full).uses;
  const plan = planBump(uses, new Map([[file.path, text]]), 'aaaaaaaaaaaa', (tag) =>
    decideMove(
      tag,
      'aaaaaaaaaaaa',
      tag === '222222222222' ? { kind: 'newer', aheadBy: 1 } : { kind: 'older' },
    ),
  );

  it('moves, keeps and counts what is already current', () => {
    expect(plan.changes.map((c) => c.from)).toEqual(['111111111111', 'PLACEHOLDER']);
    expect(plan.kept.map((k) => k.use.tag)).toEqual(['222222222222']);
    expect(plan.current).toHaveLength(1);
    expect(plan.hubs).toEqual(['h']);
    expect(plan.skipped).toEqual([
      'h: runs `222222222222`, 1 commit newer than `aaaaaaaaaaaa` (deployments/h/config/common.yaml, b)',
    ]);
  });

  it('writes the tables, links and marker into the body', () => {
    const body = pullRequestBody(IMAGE, plan, {
      repo: 'cal-icor/base-user-image',
      sha: 'aaaaaaaaaaaa0000',
      commitUrl: 'https://github.com/cal-icor/base-user-image/commit/aaaaaaaaaaaa0000',
      pull: { number: 7, title: 'Add numpy', url: 'https://github.com/cal-icor/base-user-image/pull/7' },
    });
    expect(body).toContain(
      '| h | `deployments/h/config/common.yaml` line 4 | `111111111111` | `aaaaaaaaaaaa` |',
    );
    expect(body).toContain('merged in [#7 Add numpy](https://github.com/cal-icor/base-user-image/pull/7)');
    expect(body).toContain('**Left alone**');
    expect(body).toContain(`<!-- hub-image-bump pull-request image=${IMAGE.full} tag=aaaaaaaaaaaa -->`);
  });
});

describe('labels', () => {
  it.each([
    ['a new pull request', ['a', 'b'], [], { add: ['hub: a', 'hub: b'], remove: [], tooLong: [] }],
    ['a hub that left', ['a'], ['hub: a', 'hub: b', 'keep me'], { add: [], remove: ['hub: b'], tooLong: [] }],
    ['a name too long for GitHub', ['x'.repeat(46)], [], { add: [], remove: [], tooLong: ['x'.repeat(46)] }],
    [
      'the longest allowed name',
      ['x'.repeat(45)],
      [],
      { add: [`hub: ${'x'.repeat(45)}`], remove: [], tooLong: [] },
    ],
  ])('%s', (_what, hubs, current, changes) => {
    expect(labelChanges(hubs, current)).toEqual(changes);
  });
});

describe('messages a user fixes something from', () => {
  it('counts files, not problems, and puts the fix right after the list', () => {
    const one = unsafeFiles(IMAGE.full, [
      {
        file: 'deployments/a/config/common.yaml',
        hub: 'a',
        line: 8,
        reason: 'reaches the image through an alias',
      },
      { file: 'deployments/a/config/common.yaml', hub: 'a', reason: 'references the image in 2 documents' },
    ]);
    expect(one.message).toBe(
      `a file that references ${IMAGE.full} cannot be edited safely, so nothing was changed:\n  - deployments/a/config/common.yaml:8: reaches the image through an alias\n  - deployments/a/config/common.yaml: references the image in 2 documents. Fix this file by hand (or exclude it with "exclude"), then re-run`,
    );
    const two = unsafeFiles(IMAGE.full, [
      { file: 'a.yaml', hub: undefined, reason: 'x' },
      { file: 'b.yaml', hub: undefined, reason: 'y' },
    ]);
    expect(two.message).toMatch(/^2 files that reference .* Fix these files by hand \(or exclude them/s);
    expect(two.message).not.toContain('\n.');
  });

  it('lists at most ten foreign commits and counts the rest', () => {
    const commit = (n: number): BranchCommit => ({
      sha: String(n).padStart(40, '0'),
      message: `Change ${n}`,
      authorName: 'Ada',
      authorEmail: 'ada@example.edu',
      committerEmail: 'ada@example.edu',
    });
    const error = foreignCommitsError(
      'b',
      'o/r',
      'staging',
      Array.from({ length: 100 }, (_, i) => commit(i)),
      120,
    );
    expect(error.message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(11);
    expect(error.message).toContain('  - … and 110 more. Merge or close');
  });

  it('names "paths" and its value when it selects no file, or "exclude" when that removed them all', () => {
    const inputs = {
      paths: ['deployments/*/config/*.yml'],
      exclude: ['deployments/template/**'],
      baseBranch: 'staging',
    };
    expect(noFileSelected(inputs, [])).toBe(
      'input "paths" is "deployments/*/config/*.yml": it matches no file in staging, so no hub was looked at. Check the globs (e.g. deployments/*/config/*.yaml)',
    );
    expect(
      noFileSelected({ ...inputs, exclude: ['deployments/**'] }, ['deployments/a/config/x.yml']),
    ).toMatch(/^input "exclude" is "deployments\/\*\*": it leaves out all 1 file\(s\) that "paths"/);
  });
});

describe('references pinned by digest', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it.each([
    ['a tag and a digest', { tag: 'v1', digest }, '`v1`'],
    ['a digest only', { tag: '', digest }, 'none (`@sha256:abababababab…`)'],
    ['a tag only', { tag: 'v1', digest: undefined }, '`v1`'],
  ])('shows %s', (_what, use, shown) => {
    expect(shownTag(use)).toBe(shown);
  });

  it('never shows an empty tag in the "Left alone" table', () => {
    const text = `image: ${IMAGE.full}@${digest}\n`;
    const file = scanFile('deployments/h/config/common.yaml', text);
    const plan = planBump(
      findImageUses([file], IMAGE.full).uses,
      new Map([[file.path, text]]),
      'aaaaaaaaaaaa',
      () => ({
        action: 'bump',
      }),
    );
    expect(keptTable(plan)).toContain('| none (`@sha256:abababababab…`) |');
    expect(keptTable(plan)).not.toContain('``');
  });
});

describe('legacy hubploy.yaml references', () => {
  it('are named in the pull request body, one line per file', () => {
    const text = `images:\n  image_name: ${IMAGE.full}:111111111111\n`;
    const file = scanFile('deployments/old/hubploy.yaml', text);
    const uses = findImageUses([file], IMAGE.full).uses;
    const plan = planBump(uses, new Map([[file.path, text]]), 'aaaaaaaaaaaa', () => ({ action: 'bump' }));
    const body = pullRequestBody(IMAGE, plan, undefined, legacyOnlyReferences(uses));
    expect(body).toContain('**Not deployed by hubploy ≥ 1.0**');
    expect(body).toContain(
      "- `deployments/old/hubploy.yaml` sets hub old's image only in its `images:` stanza, which hubploy dropped in 1.0 (2025-10)",
    );
  });
});
