import { describe, expect, it } from '@jest/globals';
import { cleanPath, IgnoreMatcher, parseIgnoreFile } from '../src/index.js';

describe('cleanPath (Go path.Clean)', () => {
  it.each([
    ['', '.'],
    ['.', '.'],
    ['./foo', 'foo'],
    ['foo/', 'foo'],
    ['foo//bar/', 'foo/bar'],
    ['foo/../bar', 'bar'],
    ['../foo', '../foo'],
    ['/foo/', '/foo'],
    ['/..', '/'],
    ['a/./b/../../c', 'c'],
  ])('%j → %j', (input, expected) => {
    expect(cleanPath(input)).toBe(expected);
  });
});

describe('parseIgnoreFile', () => {
  it('skips comment lines and blank lines, trims, cleans and drops a leading "/"', () => {
    const text = '\uFEFF# comment\n\n  node_modules/  \r\n/build\n!./keep/\n #not-a-comment\n./a/../b\n';
    expect(parseIgnoreFile(text).map(({ pattern, exclusion }) => [pattern, exclusion])).toEqual([
      ['node_modules', false],
      ['build', false],
      ['keep', true],
      ['#not-a-comment', false],
      ['b', false],
    ]);
  });
});

describe('IgnoreMatcher: which paths a build leaves out', () => {
  it.each<[string, string, boolean]>([
    ['*', 'foo', true],
    ['*', 'foo/bar', true], // the parent "foo" matches
    ['*.md', 'README.md', true],
    ['*.md', 'docs/a.md', false], // "*" stops at "/"
    ['docs/*.md', 'docs/a.md', true],
    ['docs', 'docs/deep/file', true],
    ['docs/', 'docs/file', true],
    ['/docs', 'docs/file', true],
    ['dir/**', 'dir/a/b', true],
    ['dir/**', 'dir', false],
    ['**/*.go', 'a/b/c.go', true],
    ['**/*.go', 'c.go', true],
    ['**', 'anything/at/all', true],
    ['**/secret', 'x/y/secret', true],
    ['**/secret', 'secret', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['a.b', 'axb', false], // "." is literal
    ['gha-creds-*.json', 'gha-creds-1234.json', true],
    ['gha-creds-*.json', 'sub/gha-creds-1234.json', false],
    ['**/gha-creds-*.json', 'sub/gha-creds-1234.json', true],
    ['$HOME', '$HOME/.docker/config.json', true],
    ['.git', '.git/config', true],
    ['secret', 'Secret', false], // case-sensitive, as docker on Linux
  ])('%j on %j → %j', (pattern, path, ignored) => {
    expect(IgnoreMatcher.fromText(pattern).ignores(path)).toBe(ignored);
  });

  it('lets the last matching pattern win, with "!" re-including', () => {
    const matcher = IgnoreMatcher.fromText('*.md\n!README.md');
    expect(matcher.ignores('README.md')).toBe(false);
    expect(matcher.ignores('NOTES.md')).toBe(true);
    const reversed = IgnoreMatcher.fromText('!README.md\n*.md');
    expect(reversed.ignores('README.md')).toBe(true);
  });

  it('re-includes a file below an ignored directory', () => {
    const matcher = IgnoreMatcher.fromText('docs\n!docs/keep.md');
    expect(matcher.ignores('docs/keep.md')).toBe(false);
    expect(matcher.ignores('docs/other.md')).toBe(true);
    expect(matcher.mayReincludeBelow('docs')).toBe(true);
    expect(matcher.mayReincludeBelow('other')).toBe(false);
  });

  it('concatenates several files in order (.dockerignore, then .containerignore)', () => {
    const matcher = IgnoreMatcher.fromText('secret.txt', '!secret.txt');
    expect(matcher.ignores('secret.txt')).toBe(false);
  });

  it('matches nothing with an empty rule set', () => {
    expect(IgnoreMatcher.fromText('').ignores('a/b')).toBe(false);
    expect(IgnoreMatcher.fromText('').hasExclusions).toBe(false);
  });
});
