import { describe, expect, it } from '@jest/globals';
import { parseArgs, UsageError } from '../args.ts';

describe('the demo command line', () => {
  it.each<[string[], Partial<ReturnType<typeof parseArgs>>]>([
    [[], { reset: false, change: false, verbose: false, stateDir: undefined, help: false }],
    [['--reset', '--change', '--verbose'], { reset: true, change: true, verbose: true }],
    [['--state-dir', '/tmp/x'], { stateDir: '/tmp/x' }],
    [['--state-dir=/tmp/y'], { stateDir: '/tmp/y' }],
    [['-h'], { help: true }],
  ])('%j', (argv, expected) => {
    expect(parseArgs(argv)).toMatchObject(expected);
  });

  it.each([
    [['--frobnicate'], 'unknown argument: --frobnicate'],
    [['--state-dir'], '--state-dir needs a directory'],
    [['--reset=yes'], '--reset takes no value'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
