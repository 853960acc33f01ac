import { describe, expect, it } from '@jest/globals';
import {
  ConfigurationError,
  describeFailure,
  escapeCell,
  formatBytes,
  formatDuration,
  markdownTable,
  secretForms,
} from '../src/index.js';

describe('describeFailure', () => {
  it('prefixes the action name and hides the stack for user mistakes', () => {
    expect(
      describeFailure('push-to-gar', new ConfigurationError('tag exists', 'Set overwrite: true')),
    ).toEqual({
      message: 'push-to-gar action failed: tag exists. Set overwrite: true',
    });
  });

  it('keeps the stack for bugs', () => {
    const failure = describeFailure('bump-hubploy', new TypeError('x is undefined'));
    expect(failure.message).toBe('bump-hubploy action failed: x is undefined');
    expect(failure.stack).toMatch(/TypeError: x is undefined\n\s+at /);
  });
});

describe('secretForms', () => {
  it('covers lines, base64, URL and JSON encodings', () => {
    const forms = secretForms('line-one\nline/two+');
    expect(forms).toEqual(
      expect.arrayContaining([
        'line-one\nline/two+',
        'line-one',
        'line/two+',
        Buffer.from('line-one\nline/two+').toString('base64'),
        'line-one%0Aline%2Ftwo%2B',
        'line-one\\nline/two+',
      ]),
    );
  });
  it('skips fragments too short to mask safely', () => {
    expect(secretForms('abcdef\nab')).not.toContain('ab');
  });
});

describe('summary formatting', () => {
  it('builds a markdown table with escaped cells', () => {
    expect(markdownTable(['hub', 'tag'], [['a|b', 'x\ny']])).toBe(
      '| hub | tag |\n| --- | --- |\n| a\\|b | x<br>y |',
    );
    expect(escapeCell('a\\b')).toBe('a\\\\b');
  });
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 ** 3, '5.0 GiB'],
  ])('formatBytes(%i) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
  it.each([
    [250, '250 ms'],
    [1500, '1.5 s'],
    [125_000, '2 min 5 s'],
    [999.7, '1.0 s'],
    [59_960, '1 min 0 s'],
    [3_599_600, '60 min 0 s'],
  ])('formatDuration(%i) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
