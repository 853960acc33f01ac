import { describe, expect, it } from '@jest/globals';
import { InputErrors, InputReader, inputsFrom } from '../src/index.js';

function reader(values: Record<string, string>): InputReader {
  return new InputReader(inputsFrom(values));
}

function problems(read: (r: InputReader) => void, values: Record<string, string>): string[] {
  const r = reader(values);
  read(r);
  try {
    r.finish();
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(InputErrors);
    return (error as InputErrors).errors.map((e) => e.message);
  }
}

describe('InputReader', () => {
  it('reads typed values with fallbacks', () => {
    const r = reader({ flag: 'True', n: '42', mode: 'auto', name: '  x  ', tags: 'a, b\nc\n# note\n\n' });
    expect(r.boolean('flag', false)).toBe(true);
    expect(r.boolean('missing', true)).toBe(true);
    expect(r.integer('n', 0, { min: 1, max: 100 })).toBe(42);
    expect(r.choice('mode', ['auto', 'true', 'false'] as const, 'auto')).toBe('auto');
    expect(r.string('name', 'd')).toBe('x');
    expect(r.optional('absent')).toBeUndefined();
    expect(r.list('tags')).toEqual(['a', 'b', 'c']);
    expect(r.list('tags', 'newline')).toEqual(['a, b', 'c']);
    r.finish();
  });

  it('matches keywords whatever their case: booleans, choices and keywords, returned as declared', () => {
    const r = reader({ a: 'TRUE', b: 'tRuE', c: 'False', mode: 'AUTO', test: 'True', jobs: 'Auto', n: '4' });
    expect([r.boolean('a', false), r.boolean('b', false), r.boolean('c', true)]).toEqual([true, true, false]);
    expect(r.choice('mode', ['auto', 'true', 'false'] as const, 'false')).toBe('auto');
    expect(r.choice('test', ['auto', 'true', 'false'] as const, 'auto')).toBe('true');
    expect(r.keyword('jobs', ['auto'])).toBe('auto');
    expect(r.keyword('n', ['auto'])).toBeUndefined();
    expect(r.keyword('absent', ['auto'])).toBeUndefined();
    r.finish();
  });

  it('parses KEY=VALUE lines, keeping "=" inside values', () => {
    const r = reader({ labels: 'a=1\nb = x=y\n' });
    expect(r.keyValues('labels')).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
    ]);
  });

  it.each([
    [
      (r: InputReader) => r.required('image', 'the image name'),
      {},
      'input "image" is required: the image name',
    ],
    [
      (r: InputReader) => r.boolean('dry-run', false),
      { 'dry-run': 'yes' },
      'input "dry-run" is "yes": expected true or false',
    ],
    [
      (r: InputReader) => r.integer('user-id', 1000, { min: 1, max: 65535 }),
      { 'user-id': '0' },
      'input "user-id" is "0": expected a whole number from 1 to 65535',
    ],
    [
      (r: InputReader) => r.choice('test', ['auto', 'true', 'false'], 'auto'),
      { test: 'maybe' },
      'input "test" is "maybe": expected one of "auto", "true", "false"',
    ],
    [
      (r: InputReader) => r.keyValues('labels'),
      { labels: 'novalue' },
      'input "labels" is "novalue": expected one KEY=VALUE per line',
    ],
    [
      (r: InputReader) =>
        r.check('tag', r.optional('tag'), () => {
          throw new Error('tag "-x" starts with "-"');
        }),
      { tag: '-x' },
      'input "tag" is "-x": tag "-x" starts with "-"',
    ],
  ])('reports %#, and where to fix it', (read, values, message) => {
    const input = /^input "([^"]+)"/.exec(message)?.[1] ?? '';
    expect(problems(read, values)).toEqual([
      `${message}. Fix "${input}" in the step's \`with:\` (or the workflow input that feeds it), then run again`,
    ]);
  });

  it('collects every problem before throwing, and lists them all', () => {
    const r = reader({ a: 'x', b: 'y' });
    r.boolean('a', false);
    r.integer('b', 1, { min: 1, max: 2 });
    expect(() => r.finish()).toThrow(/^2 inputs are invalid:\n {2}- input "a".*\n {2}- input "b"/);
  });

  it('masks secrets and never echoes them', () => {
    const r = reader({ token: '  s3cret-value  ' });
    expect(r.secret('token')).toBe('s3cret-value');
    expect(r.secret('absent')).toBeUndefined();
  });
});
