// Parsing yamllint's parsable output and its configuration failures, checked against the real yamllint (the one
// on PATH, run through its own Python by the driver, as the action runs it).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { systemRunner } from '@hub-image-actions/process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pythonOfScript } from '../src/driver.js';
import { missingBase, runYamllint, type YamllintOutput } from '../src/lint-run.js';
import {
  parseParsable,
  UnexpectedOutputError,
  countByRule,
  countLevels,
  groupByFile,
} from '../src/problems.js';
import {
  describeConfigProblem,
  lintArgv,
  listFilesArgv,
  localCommand,
  readFileList,
} from '../src/yamllint-cli.js';

let dir: string;
let python: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hia-yamllint-output-'));
  const which = await systemRunner.run('sh', ['-c', 'command -v yamllint']);
  python = pythonOfScript(await readFile(which.stdout.trim())) ?? [];
  if (python[0] !== undefined && !python[0].includes('/')) {
    python[0] = (await systemRunner.run('sh', ['-c', `command -v ${python[0]}`])).stdout.trim();
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yamllint(args: ReadonlyArray<string | Buffer>): Promise<YamllintOutput> {
  return runYamllint(
    { python, runner: systemRunner, cwd: dir, env: process.env, config: { kind: 'discovery' } },
    args,
  );
}

const b = (text: string): Buffer => Buffer.from(text);
const records = (text: string): Buffer[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map(b);

describe('parseParsable', () => {
  it('reads file, line, column, level, description and rule', () => {
    expect(
      parseParsable(
        records(
          './a.yaml:3:12: [error] too many spaces after colon (colons)\n' +
            './a.yaml:1:1: [warning] missing document start "---" (document-start)\n',
        ),
        [b('./a.yaml')],
      ),
    ).toEqual([
      {
        file: b('./a.yaml'),
        line: 3,
        column: 12,
        level: 'error',
        description: 'too many spaces after colon',
        rule: 'colons',
        raw: b('./a.yaml:3:12: [error] too many spaces after colon (colons)'),
      },
      expect.objectContaining({ line: 1, level: 'warning', rule: 'document-start' }),
    ]);
  });

  it('finds the file name when it contains colons, spaces and the location pattern itself', () => {
    const tricky = './odd: 1:2: [error] x.yaml';
    const [problem] = parseParsable(
      [b(`${tricky}:4:2: [error] trailing spaces (trailing-spaces)`)],
      [b(tricky)],
    );
    expect(problem).toMatchObject({ file: b(tricky), line: 4, column: 2, rule: 'trailing-spaces' });
  });

  it("takes the longest file name that fits, from the current file on, when one is another's prefix", () => {
    const short = b('./a.yaml');
    const long = b('./a.yaml:1:1: [error] x.yaml');
    const lines = [
      './a.yaml:1:1: [error] x.yaml:2:9: [error] too few spaces after comma (commas)',
      './a.yaml:1:6: [error] too many spaces after colon (colons)',
    ];
    // The long name first: its problem is its own, not a.yaml's at 1:1.
    expect(parseParsable(lines.map(b), [long, short]).map((p) => [p.file.toString(), p.line])).toEqual([
      [long.toString(), 2],
      ['./a.yaml', 1],
    ]);
    // a.yaml first: once yamllint has moved past the long name, a record can only be a later file's.
    expect(
      parseParsable([b(lines[1] ?? ''), b(lines[0] ?? '')], [short, long]).map((p) => [
        p.file.toString(),
        p.line,
      ]),
    ).toEqual([
      ['./a.yaml', 1],
      [long.toString(), 2],
    ]);
  });

  it('keeps a message with a newline whole, and file names as bytes', () => {
    const latin = Buffer.from('./caf\xe9.yaml', 'latin1');
    const [dup, odd] = parseParsable(
      [
        b('./d.yaml:3:1: [error] duplication of key "a\nb" in mapping (key-duplicates)'),
        Buffer.concat([latin, b(':1:4: [error] too many spaces after colon (colons)')]),
      ],
      [b('./d.yaml'), latin],
    );
    expect(dup).toMatchObject({
      description: 'duplication of key "a\nb" in mapping',
      rule: 'key-duplicates',
    });
    expect(odd?.file.equals(latin)).toBe(true);
  });

  it('refuses a line in another format', () => {
    expect(() =>
      parseParsable(records('a.yaml\n  1:1  warning  missing document start'), [b('a.yaml')]),
    ).toThrow(UnexpectedOutputError);
    expect(() => parseParsable([b('b.yaml:1:1: [error] x (y)')], [b('a.yaml')])).toThrow(
      UnexpectedOutputError,
    );
  });

  it('parses what the real yamllint prints, syntax errors and odd file names included', async () => {
    await mkdir(join(dir, 'sub dir'), { recursive: true });
    await writeFile(join(dir, 'sub dir', 'we:ird.yaml'), 'key:  value\n');
    await writeFile(join(dir, 'broken.yaml'), '---\nlist: [a, b\n');
    await writeFile(join(dir, 'fine.yaml'), '---\nkey: value\n');
    const files = ['./sub dir/we:ird.yaml', 'broken.yaml', 'fine.yaml'].map(b);
    const result = await yamllint(lintArgv({ kind: 'discovery' }, files));
    expect(result.exitCode).toBe(1);
    const problems = parseParsable(result.records, files);
    expect(problems.map((p) => [p.file.toString(), p.line, p.column, p.level, p.rule])).toEqual([
      ['./sub dir/we:ird.yaml', 1, 1, 'warning', 'document-start'],
      ['./sub dir/we:ird.yaml', 1, 6, 'error', 'colons'],
      ['broken.yaml', 3, 1, 'error', 'syntax'],
    ]);
    expect(problems[2]?.description).toMatch(/^syntax error: expected ',' or '\]', but got '<stream end>'$/);
    expect(countLevels(problems)).toEqual({ errors: 2, warnings: 1 });
    expect(countByRule(problems).map((entry) => entry.rule)).toEqual(['colons', 'document-start', 'syntax']);
    expect(groupByFile(problems).map((group) => [group.file.toString(), group.problems.length])).toEqual([
      ['./sub dir/we:ird.yaml', 2],
      ['broken.yaml', 1],
    ]);
  });
});

describe('configuration problems, as the real yamllint reports them', () => {
  it('lists files for a usable configuration', async () => {
    await writeFile(join(dir, 'fine.yaml'), '---\nkey: value\n');
    const list = readFileList(
      await yamllint(listFilesArgv({ kind: 'data', yaml: 'extends: default' }, ['fine.yaml'])),
    );
    expect(list).toEqual({ files: [b('fine.yaml')] });
  });

  it('lists names with a newline, and names that are not UTF-8, exactly', async () => {
    const odd = join(dir, 'odd');
    await mkdir(odd, { recursive: true });
    await writeFile(join(odd, 'new\nline.yaml'), 'a: 1\n');
    await writeFile(Buffer.from(`${odd}/caf\xe9.yaml`, 'latin1'), 'a: 1\n');
    const list = readFileList(await yamllint(listFilesArgv({ kind: 'discovery' }, ['odd'])));
    expect('files' in list && list.files.map((file) => file.toString('latin1')).sort()).toEqual([
      'odd/caf\xe9.yaml',
      'odd/new\nline.yaml',
    ]);
  });

  it.each([
    [
      'a missing file',
      { kind: 'file' as const, path: 'nowhere.yaml' },
      /No such file or directory: 'nowhere.yaml'/,
    ],
    [
      'YAML with a syntax error',
      { kind: 'data' as const, yaml: 'rules: {colons: [' },
      /^invalid config: while parsing/,
    ],
    [
      'an unknown rule',
      { kind: 'data' as const, yaml: 'rules:\n  no-such-rule: enable' },
      /invalid config: no such rule: "no-such-rule"/,
    ],
    [
      'a bad option',
      { kind: 'data' as const, yaml: 'rules:\n  colons:\n    max-spaces-after: many' },
      /should be int/,
    ],
    [
      'a missing base',
      { kind: 'data' as const, yaml: 'extends: nothing-like-it' },
      /No such file or directory: 'nothing-like-it'/,
    ],
  ])('reports %s as a configuration problem', async (_name, config, message) => {
    const result = await yamllint(listFilesArgv(config, ['.']));
    expect(result.exitCode).not.toBe(0);
    const list = readFileList(result);
    expect('configProblem' in list && list.configProblem).toMatch(message);
  });

  it('tells a missing extends base from other problems', () => {
    expect(missingBase("[Errno 2] No such file or directory: 'relaxd'")).toBe('relaxd');
    expect(missingBase('[Errno 2] No such file or directory: "it\'s.yaml"')).toBe("it's.yaml");
    expect(missingBase('invalid config: no such rule: "x"')).toBeUndefined();
  });

  it('falls back to the end of stderr for a failure it does not recognise', () => {
    expect(describeConfigProblem('something\nwent wrong\n', 3)).toBe('something\nwent wrong');
    expect(describeConfigProblem('', 3)).toBe('yamllint exited with code 3 and printed nothing');
  });

  it('builds argv with the configuration first and paths after --', () => {
    expect(listFilesArgv({ kind: 'file', path: '.yamllint.yaml' }, ['-odd', '.'])).toEqual([
      '-c',
      '.yamllint.yaml',
      '--list-files',
      '--',
      '-odd',
      '.',
    ]);
    expect(lintArgv({ kind: 'discovery' }, [b('a.yaml')])).toEqual(['-f', 'parsable', '--', b('a.yaml')]);
    expect(lintArgv({ kind: 'data', yaml: 'extends: relaxed' }, [b('a.yaml')])).toEqual([
      '-d',
      'extends: relaxed',
      '-f',
      'parsable',
      '--',
      b('a.yaml'),
    ]);
  });
});

describe('localCommand', () => {
  it('is the yamllint command of the run, quoted for a shell', () => {
    expect(
      localCommand({ kind: 'file', path: 'ci/lint.yaml' }, ['.', 'charts dir'], { noWarnings: true }),
    ).toBe("yamllint -c ci/lint.yaml -f parsable --no-warnings -- . 'charts dir'");
    expect(
      localCommand({ kind: 'data', yaml: "extends: relaxed\nignore: 'x'" }, ['.'], { noWarnings: false }),
    ).toBe("yamllint -d 'extends: relaxed\nignore: '\\''x'\\''' -f parsable -- .");
    expect(localCommand({ kind: 'discovery' }, ['./a.yaml'], { noWarnings: false })).toBe(
      'yamllint -f parsable -- ./a.yaml',
    );
    expect(
      localCommand({ kind: 'discovery' }, [Buffer.from("./it's caf\xe9\t.yaml", 'latin1')], {
        noWarnings: false,
      }),
    ).toBe("yamllint -f parsable -- $'./it\\'s caf\\xe9\\x09.yaml'");
  });
});
