import { describe, expect, it } from '@jest/globals';
import { compareConda, compareDebian, comparePep440, compareR, majorOf } from '../src/index.js';

/** Each list is in ascending order; every pair is checked both ways. */
function expectAscending(compare: (a: string, b: string) => number, versions: string[]): void {
  for (let i = 0; i < versions.length - 1; i += 1) {
    const [a, b] = [versions[i]!, versions[i + 1]!];
    expect([a, b, compare(a, b)]).toEqual([a, b, -1]);
    expect([b, a, compare(b, a)]).toEqual([b, a, 1]);
  }
}

describe('version orderings', () => {
  it('Debian: epochs, revisions and ~ (deb-version(7))', () => {
    expectAscending(compareDebian, [
      '1.0~rc1',
      '1.0',
      '1.0-1',
      '1.0-1+b1',
      '1.0-2',
      '1.0a',
      '1.0+dfsg',
      '1.2',
      '1.10',
      '2:0.1',
    ]);
    expect(compareDebian('3.11.2-1+b1', '3.11.2-1+b1')).toBe(0);
    expect(compareDebian('1.01', '1.1')).toBe(0);
    expect(compareDebian('0:1.0', '1.0')).toBe(0);
  });

  it("conda: conda's documented order", () => {
    expectAscending(compareConda, [
      '0.4',
      '0.4.1.rc',
      '0.4.1',
      '0.5a1',
      '0.5b3',
      '0.5',
      '0.9.6',
      '0.960923',
      '1.0',
      '1.1dev1',
      '1.1a1',
      '1.1.0rc1',
      '1.1.0',
      '1.1.0post1',
      '1.1post1',
      '1996.07.12',
      '1!0.4.1',
      '1!3.1.1.6',
      '2!0.4.1',
    ]);
    expect(compareConda('1.1', '1.1.0')).toBe(0);
    expect(compareConda('0.4.1.rc', '0.4.1.RC')).toBe(0);
    expect(compareConda('1.1.dev1', '1.1.0dev1')).toBe(0);
  });

  it('pip: PEP 440', () => {
    expectAscending(comparePep440, [
      '1.0.dev1',
      '1.0a1',
      '1.0b2',
      '1.0rc1',
      '1.0',
      '1.0.post1',
      '1.0.1',
      '1!0.1',
    ]);
    expect(comparePep440('1.0', '1.0.0')).toBe(0);
    expect(comparePep440('2026.04.0', '2026.4.0')).toBe(0);
  });

  it("R: package_version's dotted and dashed numbers", () => {
    expectAscending(compareR, ['0.9', '1.0', '1.0-0', '1.0-1', '1.0.10', '1.1-2', '3.5.1']);
    expect(compareR('1.0-1', '1.0.1')).toBe(0);
  });

  it.each([
    ['pip', '1.26.4', '0!1'],
    ['pip', '2.0.0rc1', '0!2'],
    ['pip', '1!2.0', '1!2'],
    ['dpkg', '1:3.11.2-1+b1', '1:3'],
    ['dpkg', '252.22-1~deb12u1', '0:252'],
    ['conda', '1.26.4', '0!1'],
    ['r', '3.5.1', '0!3'],
  ] as const)('the major part of %s %s is %s', (ecosystem, version, major) => {
    expect(majorOf(ecosystem, version)).toBe(major);
  });
});
