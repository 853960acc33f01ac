import { describe, expect, it } from '@jest/globals';
import { parseVersionOutput, pipRequirement, versionSatisfies } from '../src/version.js';

describe('yamllint versions', () => {
  it.each([
    ['yamllint 1.29.0\n', '1.29.0'],
    ['yamllint 1.35.1', '1.35.1'],
    ['warning: something\nyamllint 2.0\n', '2.0'],
    ['Python 3.11.2', undefined],
    ['', undefined],
  ])('reads the version from %j', (output, version) => {
    expect(parseVersionOutput(output)).toBe(version);
  });

  it.each([
    ['1.29.0', '1.29.0', true],
    ['1.29.0', '1.29', true],
    ['1.29.3', '1.29', true],
    ['1.29.3', '1.29.0', false],
    ['1.30.0', '1.29', false],
    ['1.29', '1.29.0', true],
    ['1.290.0', '1.29', false],
    ['0.1', 'any', true],
  ])('%s satisfies %s: %s', (found, wanted, expected) => {
    expect(versionSatisfies(found, wanted)).toBe(expected);
  });

  it('asks pip for an exact version, or the newest patch of a minor version', () => {
    expect(pipRequirement('1.29.0')).toBe('yamllint==1.29.0');
    expect(pipRequirement('1.35')).toBe('yamllint==1.35.*');
  });
});
