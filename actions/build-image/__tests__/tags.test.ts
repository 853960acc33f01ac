import { describe, expect, it } from '@jest/globals';
import { commitFromEvent, firstParent, inputsTag, tagsToPush } from '../src/tags.js';

const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const MERGE = 'ffffffffffffffffffffffffffffffffffffffff';

describe('commitFromEvent', () => {
  it.each<[string, string | undefined, unknown, string | undefined, unknown]>([
    [
      'the PR head on pull_request, not the merge commit',
      'pull_request',
      { pull_request: { head: { sha: HEAD } } },
      MERGE,
      { sha: HEAD, source: 'pull-request-head' },
    ],
    [
      'the PR head on pull_request_target',
      'pull_request_target',
      { pull_request: { head: { sha: HEAD } } },
      MERGE,
      { sha: HEAD, source: 'pull-request-head' },
    ],
    ['GITHUB_SHA on push', 'push', { after: HEAD }, HEAD, { sha: HEAD, source: 'github-sha' }],
    ['GITHUB_SHA on workflow_dispatch', 'workflow_dispatch', {}, HEAD, { sha: HEAD, source: 'github-sha' }],
    [
      'GITHUB_SHA when a PR payload lacks the head',
      'pull_request',
      {},
      MERGE,
      { sha: MERGE, source: 'github-sha' },
    ],
    ['nothing outside Actions', undefined, undefined, undefined, undefined],
    ['nothing for a malformed sha', 'push', {}, 'not-a-sha', undefined],
  ])('%s', (_name, event, payload, githubSha, expected) => {
    expect(commitFromEvent(event, payload, githubSha)).toEqual(expected);
  });
});

describe('inputsTag', () => {
  it('takes 24 hex characters of the hash behind a fixed prefix', () => {
    expect(inputsTag(`sha256:${'0123456789abcdef'.repeat(4)}`)).toBe('inputs-0123456789abcdef01234567');
  });

  it('refuses anything that is not a sha256 hash', () => {
    expect(() => inputsTag('sha256:xyz')).toThrow(/not an inputs hash/);
  });
});

describe('tagsToPush', () => {
  it('lists the tag, the additional tags and the inputs tag once each, in that order', () => {
    expect(tagsToPush('8b48b4867330', ['latest', '8b48b4867330', 'stable'], 'inputs-abc')).toEqual([
      '8b48b4867330',
      'latest',
      'stable',
      'inputs-abc',
    ]);
    expect(tagsToPush('t', [], undefined)).toEqual(['t']);
  });
});

describe('firstParent', () => {
  it('reads the first parent from the commit headers, also of a merge commit', () => {
    const raw = `tree ${'1'.repeat(40)}\nparent ${'2'.repeat(40)}\nparent ${'3'.repeat(40)}\nauthor a <a@b> 1 +0000\n\nparent ${'4'.repeat(40)}\n`;
    expect(firstParent(raw)).toBe('2'.repeat(40));
  });

  it('is undefined for a root commit', () => {
    expect(firstParent(`tree ${'1'.repeat(40)}\nauthor a <a@b> 1 +0000\n\nmsg\n`)).toBeUndefined();
  });
});
