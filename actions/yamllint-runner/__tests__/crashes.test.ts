import { describe, expect, it } from '@jest/globals';
import type { ProcessRunner } from '@hub-image-actions/process';
import { crashError, findCrashes, lastWords, type Segment, type YamllintCall } from '../src/lint-run.js';

/** A yamllint double that dies with a traceback whenever it is given one of `bad`, and counts its runs. */
function crashingOn(bad: Set<string>): { call: YamllintCall; runs: () => number } {
  let runs = 0;
  const runner: ProcessRunner = {
    run: async (_command, _args, options) => {
      runs += 1;
      // The driver reads yamllint's arguments NUL-separated from stdin.
      const args = String(options?.stdin ?? '').split('\0');
      const culprit = args.find((arg) => bad.has(arg));
      return culprit === undefined
        ? { exitCode: 0, signal: null, timedOut: false, stdout: '', stdoutBytes: Buffer.alloc(0), stderr: '' }
        : {
            exitCode: 1,
            signal: null,
            timedOut: false,
            stdout: '',
            stdoutBytes: Buffer.alloc(0),
            stderr: `Traceback (most recent call last):\n  File "x", line 1\nValueError: bad ${culprit}\n`,
          };
    },
  };
  return {
    call: { python: ['python3'], runner, cwd: '/', env: {}, config: { kind: 'discovery' } },
    runs: () => runs,
  };
}

const list = (count: number) => Array.from({ length: count }, (_, i) => Buffer.from(`./f-${i}.yaml`));
const b = (name: string): Buffer => Buffer.from(name);

/** The crashing files the segments name, and what the runs say of them. */
function crashed(segments: Segment[]): Array<[string | undefined, string]> {
  return segments.flatMap((segment) =>
    'crash' in segment
      ? [[segment.file?.toString(), segment.crash.lastLine] as [string | undefined, string]]
      : [],
  );
}

describe('findCrashes', () => {
  it('finds the one file in 200 by bisection, in about 2·log2(200) runs', async () => {
    const { call, runs } = crashingOn(new Set(['./f-137.yaml']));
    const segments = await findCrashes(call, list(200), 5);
    expect(crashed(segments)).toEqual([['./f-137.yaml', 'ValueError: bad ./f-137.yaml']]);
    expect(runs()).toBeLessThanOrEqual(16);
    // The other 199 files linted, in segments that keep the list's order.
    expect(segments.flatMap((segment) => segment.files)).toEqual(list(200));
    const linted = segments.filter((segment) => 'problems' in segment).flatMap((segment) => segment.files);
    expect(linted).toHaveLength(199);
  });

  it('finds several, in list order, and stops at the limit, leaving the rest unlinted', async () => {
    const bad = new Set(['./f-3.yaml', './f-50.yaml', './f-51.yaml', './f-99.yaml']);
    expect(crashed(await findCrashes(crashingOn(bad).call, list(100), 5)).map(([file]) => file)).toEqual([
      './f-3.yaml',
      './f-50.yaml',
      './f-51.yaml',
      './f-99.yaml',
    ]);
    const limited = await findCrashes(crashingOn(bad).call, list(100), 2);
    expect(crashed(limited).map(([file]) => file)).toEqual(['./f-3.yaml', './f-50.yaml']);
    expect(limited.flatMap((segment) => segment.files)).toEqual(list(100));
    const skipped = limited.filter((segment) => 'skipped' in segment).flatMap((segment) => segment.files);
    expect(skipped.map(String)).toContain('./f-99.yaml');
  });

  it('finds nothing when no smaller run crashes: every file linted', async () => {
    const segments = await findCrashes(crashingOn(new Set()).call, list(10), 5);
    expect(crashed(segments)).toEqual([]);
    expect(segments.every((segment) => 'problems' in segment)).toBe(true);
  });
});

describe('lastWords', () => {
  it("is a traceback's exception line with its continuation lines", () => {
    expect(
      lastWords(
        'Traceback (most recent call last):\n  File "r.py", line 143, in check\n    raise ReaderError(x)\n' +
          'yaml.reader.ReaderError: unacceptable character #x0000: special characters are not allowed\n' +
          '  in "<unicode string>", position 8\n',
      ),
    ).toBe(
      'yaml.reader.ReaderError: unacceptable character #x0000: special characters are not allowed in "<unicode string>", position 8',
    );
    expect(lastWords('Killed\n')).toBe('Killed');
    expect(lastWords('')).toBe('nothing on stderr');
  });
});

describe('crashError', () => {
  const utf8 =
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9 in position 13: invalid continuation byte";
  it('names every file and mentions UTF-8 only when yamllint does', () => {
    const error = crashError(
      [
        { file: b('./a.yaml'), files: [b('./a.yaml')], exit: 'exit code 1', lastLine: utf8 },
        {
          file: b('./b.yaml'),
          files: [b('./b.yaml')],
          exit: 'exit code 1',
          lastLine: 'OSError: [Errno 5] I/O error',
        },
      ],
      true,
    );
    expect(error.message).toBe(
      'yamllint stopped without a verdict: it crashes on these 2 files (the first 2 found; there may be more):\n' +
        `  ./a.yaml: ${utf8} (exit code 1)\n  ./b.yaml: OSError: [Errno 5] I/O error (exit code 1). ${error.fix}`,
    );
    expect(error.fix).toMatch(/^yamllint reads files as UTF-8: re-encode those files as UTF-8/);
    expect(error.fix).toMatch(/`yamllint \.\/a\.yaml \.\/b\.yaml` shows the whole traceback$/);
    const other = crashError(
      [
        {
          file: b('./b.yaml'),
          files: [b('./b.yaml')],
          exit: 'exit code 1',
          lastLine: 'OSError: [Errno 5] I/O error',
        },
      ],
      false,
    );
    expect(other.fix).toBe(
      'Fix or remove that file, or leave it out with the "ignore" setting of the yamllint configuration; `yamllint ./b.yaml` shows the whole traceback',
    );
  });

  it('falls back to the shard when no single file repeats the crash', () => {
    const error = crashError(
      [
        {
          file: undefined,
          files: [b('./a.yaml'), b('./m.yaml'), b('./z.yaml')],
          exit: 'exit code -9',
          lastLine: 'nothing on stderr',
        },
      ],
      false,
    );
    expect(error.message).toBe(
      'yamllint stopped without a verdict:\n  one of 3 files from ./a.yaml to ./z.yaml (no single file repeats it): nothing on stderr (exit code -9). ' +
        'Run yamllint on those files to see why it stops; a file it cannot read can be left out with the "ignore" setting of the yamllint configuration',
    );
  });
});
