import { describe, expect, it } from '@jest/globals';
import {
  applyEdits,
  editFile,
  findImageUses,
  readsAsPlainString,
  renderScalar,
  scanFile,
} from '../src/index.js';

const IMAGE = 'reg.example/proj/user-images/base';

function bump(text: string, tag: string): string {
  const file = scanFile('deployments/h/config/common.yaml', text);
  const search = findImageUses([file], IMAGE);
  expect(search.unsafe).toEqual([]);
  return editFile(file, search.uses, tag).text;
}

describe('readsAsPlainString', () => {
  it.each([
    ['8b48b4867330', true],
    ['0be26ba905cb', true],
    ['PLACEHOLDER', true],
    ['v1.2.3', true],
    ['_build', true],
    ['123456789012', false],
    ['1234e5', false],
    ['0x1f', false],
    ['0o17', false],
    ['017', false],
    ['1_000', false],
    ['1.5', false],
    ['true', false],
    ['yes', false],
    ['off', false],
    ['y', false],
    ['null', false],
    ['2024-01-01', false],
  ])('%s → %s', (tag, expected) => {
    expect(readsAsPlainString(tag)).toBe(expected);
  });

  it('renders a plain tag in double quotes only when needed', () => {
    expect(renderScalar('abc', 'plain')).toBe('abc');
    expect(renderScalar('1234e5', 'plain')).toBe('"1234e5"');
    expect(renderScalar('abc', 'single')).toBe("'abc'");
  });
});

describe('editFile', () => {
  it.each([
    ['plain', 'i:\n  name: NAME\n  tag: old  # c\n', 'i:\n  name: NAME\n  tag: new1  # c\n'],
    ['single-quoted', "i:\n  name: NAME\n  tag: 'old'\n", "i:\n  name: NAME\n  tag: 'new1'\n"],
    ['double-quoted', 'i:\n  name: NAME\n  tag: "old"\n', 'i:\n  name: NAME\n  tag: "new1"\n'],
    ['inline', 'p:\n  - image: NAME:old # c\n', 'p:\n  - image: NAME:new1 # c\n'],
    ['quoted inline', "p: ['NAME:old']\n", "p: ['NAME:new1']\n"],
    ['CRLF', 'i:\r\n  name: NAME\r\n  tag: old\r\n', 'i:\r\n  name: NAME\r\n  tag: new1\r\n'],
    ['BOM', '\uFEFFi:\n  name: NAME\n  tag: old\n', '\uFEFFi:\n  name: NAME\n  tag: new1\n'],
    ['no final newline', 'i:\n  name: NAME\n  tag: old', 'i:\n  name: NAME\n  tag: new1'],
  ])('edits only the tag (%s)', (_what, input, output) => {
    expect(bump(input.replace(/NAME/g, IMAGE), 'new1')).toBe(output.replace(/NAME/g, IMAGE));
  });

  it.each([
    ['123456789012', 'tag: "123456789012"', 'image: NAME:123456789012'],
    ['1234e5', 'tag: "1234e5"', 'image: NAME:1234e5'],
    ['true', 'tag: "true"', 'image: NAME:true'],
  ])('quotes the numeric-looking tag %s in a plain tag value but not inline', (tag, tagLine, inlineLine) => {
    const text = `i:\n  name: ${IMAGE}\n  tag: old\np:\n  - image: ${IMAGE}:old\n`;
    const out = bump(text, tag);
    expect(out).toContain(tagLine);
    expect(out).toContain(inlineLine.replace('NAME', IMAGE));
  });

  it('quotes an existing unquoted numeric tag even when it equals the new tag', () => {
    expect(bump(`i:\n  name: ${IMAGE}\n  tag: 123456789012\n`, '123456789012')).toBe(
      `i:\n  name: ${IMAGE}\n  tag: "123456789012"\n`,
    );
  });

  it('makes no edit when the file already holds the tag', () => {
    const file = scanFile('a.yaml', `i:\n  name: ${IMAGE}\n  tag: abc\n`);
    expect(editFile(file, findImageUses([file], IMAGE).uses, 'abc').edits).toEqual([]);
  });

  it('never edits a digest-pinned reference', () => {
    const text = `i: ${IMAGE}:old@sha256:${'b'.repeat(64)}\n`;
    expect(bump(text, 'new1')).toBe(text);
  });

  it('edits several references in one file, keeping everything between them', () => {
    const text = `a: ${IMAGE}:x # one\nb: ${IMAGE}:y\n# two\nc:\n  name: ${IMAGE}\n  tag: z\n`;
    expect(bump(text, 'new1')).toBe(
      text.replace(':x', ':new1').replace(':y', ':new1').replace('tag: z', 'tag: new1'),
    );
  });

  it('refuses overlapping edits', () => {
    expect(() =>
      applyEdits('abcdef', [
        { use: undefined as never, start: 1, end: 3, replacement: 'x' },
        { use: undefined as never, start: 2, end: 4, replacement: 'y' },
      ]),
    ).toThrow(/overlapping/);
  });
});

describe('a host written in another case', () => {
  it('edits an inline reference and keeps the name as the file writes it', () => {
    const text = `p:\n  - image: REG.EXAMPLE/proj/base:one  # keep\n`;
    const file = scanFile('deployments/a/config/common.yaml', text);
    const uses = findImageUses([file], 'reg.example/proj/base').uses;
    expect(editFile({ path: file.path, text }, uses, 'two').text).toBe(
      `p:\n  - image: REG.EXAMPLE/proj/base:two  # keep\n`,
    );
  });
});
