// Parsing yamllint's parsable output and its configuration failures, checked against the real yamllint.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { systemRunner } from '@hub-image-actions/process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hia-yamllint-output-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function yamllint(args: string[]) {
  return systemRunner.run('yamllint', args, { cwd: dir });
}

describe('parseParsable', () => {
  it('reads file, line, column, level, description and rule', () => {
    const files = new Set(['./a.yaml']);
    expect(
      parseParsable(
        './a.yaml:3:12: [error] too many spaces after colon (colons)\n' +
          './a.yaml:1:1: [warning] missing document start "---" (document-start)\n',
        files,
      ),
    ).toEqual([
      {
        file: './a.yaml',
        line: 3,
        column: 12,
        level: 'error',
        description: 'too many spaces after colon',
        rule: 'colons',
        raw: './a.yaml:3:12: [error] too many spaces after colon (colons)',
      },
      expect.objectContaining({ line: 1, level: 'warning', rule: 'document-start' }),
    ]);
  });

  it('finds the file name when it contains colons, spaces and the location pattern itself', () => {
    const tricky = './odd: 1:2: [error] x.yaml';
    const [problem] = parseParsable(
      `${tricky}:4:2: [error] trailing spaces (trailing-spaces)`,
      new Set([tricky]),
    );
    expect(problem).toMatchObject({ file: tricky, line: 4, column: 2, rule: 'trailing-spaces' });
  });

  it('refuses a line in another format', () => {
    expect(() =>
      parseParsable('a.yaml\n  1:1  warning  missing document start', new Set(['a.yaml'])),
    ).toThrow(UnexpectedOutputError);
    expect(() => parseParsable('b.yaml:1:1: [error] x (y)', new Set(['a.yaml']))).toThrow(
      UnexpectedOutputError,
    );
  });

  it('parses what the real yamllint prints, syntax errors and odd file names included', async () => {
    await mkdir(join(dir, 'sub dir'), { recursive: true });
    await writeFile(join(dir, 'sub dir', 'we:ird.yaml'), 'key:  value\n');
    await writeFile(join(dir, 'broken.yaml'), '---\nlist: [a, b\n');
    await writeFile(join(dir, 'fine.yaml'), '---\nkey: value\n');
    const files = ['./sub dir/we:ird.yaml', 'broken.yaml', 'fine.yaml'];
    const result = await yamllint(lintArgv({ kind: 'discovery' }, files));
    expect(result.exitCode).toBe(1);
    const problems = parseParsable(result.stdout, new Set(files));
    expect(problems.map((p) => [p.file, p.line, p.column, p.level, p.rule])).toEqual([
      ['./sub dir/we:ird.yaml', 1, 1, 'warning', 'document-start'],
      ['./sub dir/we:ird.yaml', 1, 6, 'error', 'colons'],
      ['broken.yaml', 3, 1, 'error', 'syntax'],
    ]);
    expect(problems[2]?.description).toMatch(/^syntax error: expected ',' or '\]', but got '<stream end>'$/);
    expect(countLevels(problems)).toEqual({ errors: 2, warnings: 1 });
    expect(countByRule(problems).map((entry) => entry.rule)).toEqual(['colons', 'document-start', 'syntax']);
    expect(groupByFile(problems).map((group) => [group.file, group.problems.length])).toEqual([
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
    expect(list).toEqual({ files: ['fine.yaml'] });
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
    expect(lintArgv({ kind: 'discovery' }, ['a.yaml'])).toEqual(['-f', 'parsable', '--', 'a.yaml']);
    expect(lintArgv({ kind: 'data', yaml: 'extends: relaxed' }, ['a.yaml'])).toEqual([
      '-d',
      'extends: relaxed',
      '-f',
      'parsable',
      '--',
      'a.yaml',
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
  });
});
