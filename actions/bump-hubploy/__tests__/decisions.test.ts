import { describe, expect, it } from '@jest/globals';
import { inputsFrom } from '@hub-image-actions/action-io';
import { findImageUses, scanFile } from '@hub-image-actions/deploy-config';
import { parseImageName } from '@hub-image-actions/image-ref';
import {
  branchTag,
  bumpBranch,
  commitMessage,
  foreignCommits,
  readTrailers,
  type BranchCommit,
} from '../src/branch.js';
import { normalizePrivateKey, readInputs } from '../src/context.js';
import { classifyApiFailure, classifyGitFailure, parsePushOutcome } from '../src/failures.js';
import { decideMove, orderFromCompare, tagKind } from '../src/order.js';
import { planBump } from '../src/plan.js';
import { pullRequestBody } from '../src/report.js';

const IMAGE = parseImageName('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image');
const BOT = 'hub-image-bot@users.noreply.github.com';

describe('commit order', () => {
  it.each([
    ['PLACEHOLDER', 'placeholder'],
    ['placeholder', 'placeholder'],
    ['8b48b4867330', 'commit'],
    ['123456789012', 'commit'],
    ['1234e5', 'other'],
    ['8B48B4867330', 'other'],
    ['v2', 'other'],
  ])('tagKind(%s) is %s', (tag, kind) => {
    expect(tagKind(tag)).toBe(kind);
  });

  it.each([
    ['ahead', 0, { kind: 'older' }],
    ['identical', 0, { kind: 'same' }],
    ['behind', 3, { kind: 'newer', aheadBy: 3 }],
  ] as const)('orders compare status %s', (status, behindBy, order) => {
    expect(orderFromCompare(status, behindBy, { current: undefined, next: undefined })).toEqual(order);
  });

  it('orders diverged histories by commit date', () => {
    const dates = { current: '2026-01-02T00:00:00Z', next: '2026-01-01T00:00:00Z' };
    expect(orderFromCompare('diverged', 1, dates)).toEqual({ kind: 'diverged', currentIsLater: true });
    expect(orderFromCompare('diverged', 1, { current: dates.next, next: dates.current })).toEqual({
      kind: 'diverged',
      currentIsLater: false,
    });
  });

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
  it('is named per image, readable and unique', () => {
    expect(bumpBranch(IMAGE)).toMatch(/^hub-image-bump\/base-user-image-[0-9a-f]{8}$/);
    expect(bumpBranch(IMAGE)).toBe(bumpBranch(IMAGE));
    const other = parseImageName('us-central1-docker.pkg.dev/other-project/user-images/base-user-image');
    expect(bumpBranch(other)).not.toBe(bumpBranch(IMAGE));
  });

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

describe('failures', () => {
  const apiError = (status: number, message: string, headers: Record<string, string> = {}) =>
    Object.assign(new Error(message), { status, response: { headers, data: { message } } });

  it.each([
    [apiError(500, 'x'), true],
    [apiError(502, 'x'), true],
    [apiError(503, 'x'), true],
    [apiError(404, 'Not Found'), false],
    [apiError(422, 'Validation Failed'), false],
    [apiError(401, 'Bad credentials'), false],
    [apiError(403, 'Resource not accessible by integration'), false],
    [apiError(403, 'You have exceeded a secondary rate limit'), true],
    [apiError(429, 'slow down', { 'retry-after': '3' }), true],
    [Object.assign(new Error('fetch failed'), { status: 500 }), true],
  ])('classifyApiFailure %#', (error, retry) => {
    expect(classifyApiFailure(error, 0).retry).toBe(retry);
  });

  it('waits as long as retry-after or the rate limit reset says', () => {
    expect(classifyApiFailure(apiError(403, 'x', { 'retry-after': '7' }), 0)).toMatchObject({
      afterMs: 7000,
    });
    expect(
      classifyApiFailure(
        apiError(403, 'API rate limit exceeded', {
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': '100',
        }),
        90_000,
      ),
    ).toMatchObject({ retry: true, afterMs: 11_000 });
  });

  it.each([
    ['remote: Repository not found.\nfatal: repository not found', 'not-found'],
    ['fatal: unable to access: The requested URL returned error: 403', 'forbidden'],
    ['remote: Permission to a/b.git denied to reader.', 'forbidden'],
    ["fatal: could not read Username for 'http://x': terminal prompts disabled", 'unauthorized'],
    ['fatal: unable to access: Failed to connect to 127.0.0.1 port 9', 'unreachable'],
    ["fatal: couldn't find remote ref refs/heads/x", 'missing-ref'],
    ['something else', 'other'],
  ])('classifyGitFailure(%j) is %s', (stderr, kind) => {
    expect(classifyGitFailure(stderr)).toBe(kind);
  });

  it.each([
    ['*\tabc:refs/heads/b\t[new branch]\nDone\n', '', 0, 'pushed'],
    ['+\tabc:refs/heads/b\t111...222 (forced update)\nDone\n', '', 0, 'pushed'],
    ['!\tabc:refs/heads/b\t[rejected] (stale info)\nDone\n', 'error: failed to push', 1, 'moved'],
    ['!\tabc:refs/heads/b\t[remote rejected] (failed to update ref)\n', '', 1, 'moved'],
    [
      '!\tabc:refs/heads/b\t[remote rejected] (pre-receive hook declined)\n',
      'remote: protected branch\n',
      1,
      'refused',
    ],
  ])('parsePushOutcome %#', (stdout, stderr, code, status) => {
    expect(parsePushOutcome(stdout, stderr, code).status).toBe(status);
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
