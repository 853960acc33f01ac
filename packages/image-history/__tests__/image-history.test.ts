import { describe, expect, it } from '@jest/globals';
import { commitTags, newestIn, orderFromCompare, tagKind, tagOfCommit } from '../src/index.js';

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
});

describe('the newest pushed image', () => {
  const tags = commitTags([
    '8b48b4867330',
    'inputs-0123abcd',
    'pr-7-6adfc68c7100',
    'latest',
    '0be26ba',
    'PLACEHOLDER',
  ]);

  it('keeps only commit tags', () => {
    expect([...tags.keys()].sort()).toEqual(['0be26ba', '8b48b4867330']);
  });

  it.each([
    ['8b48b4867330ffffffffffffffffffffffffffff', '8b48b4867330'],
    ['0be26ba905cb0000000000000000000000000000', '0be26ba'],
    ['6adfc68c7100aaaaaaaaaaaaaaaaaaaaaaaaaaaa', undefined],
  ])('finds the tag of %s: %s', (sha, tag) => {
    expect(tagOfCommit(sha, tags)).toBe(tag);
  });

  it('is the first commit of the page whose tag exists, counting the newer commits before it', () => {
    const commits = [
      { sha: 'f'.repeat(40), date: '2026-01-03T00:00:00Z' },
      { sha: `8b48b4867330${'0'.repeat(28)}`, date: '2026-01-02T00:00:00Z' },
      { sha: `0be26ba${'0'.repeat(33)}`, date: '2026-01-01T00:00:00Z' },
    ];
    expect(newestIn(commits, tags, 100)).toEqual({
      tag: '8b48b4867330',
      sha: commits[1]?.sha,
      date: '2026-01-02T00:00:00Z',
      newerCommits: 101,
    });
    expect(newestIn(commits.slice(0, 1), tags, 0)).toBeUndefined();
  });
});
