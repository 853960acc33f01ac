// The bundled action against plain yamllint on file names and messages at the edges of its output format: the same
// problems in the same order, the same counts, the same verdict, and SARIF that says exactly what plain printed.
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { makeTempDir } from '@hub-image-actions/local-world/tmp';
import type { SarifResult } from '../src/sarif.js';
import { writeCorpus } from '../bench/corpus.ts';
import { e2eScratch, failureOf, plainYamllint, problemLines } from './plain-yamllint.js';

jest.setTimeout(120_000);

const { dirs, runs, yamllint } = e2eScratch();

type Files = Array<[string | Buffer, string]>;

async function writeFiles(dir: string, files: Files): Promise<void> {
  for (const [name, content] of files) {
    const bytes = Buffer.from(name);
    const slash = bytes.lastIndexOf('/');
    if (slash > 0) await mkdir(join(dir, bytes.subarray(0, slash).toString()), { recursive: true });
    await writeFile(Buffer.concat([Buffer.from(`${dir}/`), bytes]), content);
  }
}

async function workspace(files: Files): Promise<string> {
  const dir = await makeTempDir('yamllint-conform');
  dirs.push(dir);
  await writeFiles(dir, files);
  return dir;
}

async function lint(ws: string, inputs: Record<string, string>): Promise<ActionRun> {
  const run = await runAction({
    action: 'yamllint-runner',
    workspace: ws,
    inputs: {
      'yamllint-version': yamllint.version,
      jobs: '2',
      'sarif-file': 'out/yamllint.sarif',
      ...inputs,
    },
  });
  runs.push(run);
  return run;
}

/** A SARIF uri back to the bytes of the file name. */
function uriBytes(uri: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < uri.length; i += 1) {
    if (uri[i] === '%') {
      bytes.push(Number.parseInt(uri.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(uri[i] ?? ''));
    }
  }
  return Buffer.from(bytes);
}

/** The SARIF results printed as plain yamllint prints problems: byte for byte what it wrote, when they agree. */
function sarifAsParsable(results: readonly SarifResult[]): Buffer {
  return Buffer.concat(
    results.map((result) => {
      const location = result.locations[0]?.physicalLocation;
      return Buffer.concat([
        Buffer.from('./'),
        uriBytes(location?.artifactLocation.uri ?? ''),
        Buffer.from(
          `:${location?.region.startLine}:${location?.region.startColumn}: [${result.level}] ${result.message.text} (${result.ruleId})\n`,
        ),
      ]);
    }),
  );
}

/**
 * Checks the action against plain yamllint over the whole workspace, and, for `names`, against plain yamllint on
 * each file alone: there every problem is that file's, so a problem given to the wrong file, or a message cut in
 * two, shows even where the concatenated output reads the same.
 */
async function expectConformance(
  ws: string,
  inputs: Record<string, string>,
  plainArgs: string[],
  names: ReadonlyArray<string | Buffer>,
) {
  const run = await lint(ws, inputs);
  const plain = await plainYamllint(ws, [...plainArgs, '.']);
  expect(plain.stderr).toBe('');
  expect([0, 1, 2]).toContain(plain.exitCode);
  expect(failureOf(run) ?? '').not.toMatch(/stopped without a verdict|not in its parsable format/);
  expect(problemLines(run)).toEqual(plain.lines);
  expect(run.exitCode).toBe(plain.exitCode === 0 ? 0 : 1);

  const sarif = JSON.parse(await readFile(join(ws, 'out', 'yamllint.sarif'), 'utf8')) as {
    runs: Array<{ results: SarifResult[] }>;
  };
  const results = sarif.runs[0]?.results ?? [];
  expect(sarifAsParsable(results).equals(plain.bytes)).toBe(true);
  for (const name of names) {
    const file = Buffer.concat([Buffer.from('./'), Buffer.from(name)]);
    const alone = await plainYamllint(ws, [...plainArgs.filter((arg) => arg !== '--strict'), file]);
    const mine = results.filter((result) =>
      Buffer.concat([
        Buffer.from('./'),
        uriBytes(result.locations[0]?.physicalLocation.artifactLocation.uri ?? ''),
      ]).equals(file),
    );
    expect({ file: file.toString(), output: sarifAsParsable(mine).toString('latin1') }).toEqual({
      file: file.toString(),
      output: alone.bytes.toString('latin1'),
    });
  }
  expect(run.outputs).toMatchObject({
    outcome: plain.exitCode === 0 ? 'passed' : 'failed',
    errors: String(results.filter((result) => result.level === 'error').length),
    warnings: String(results.filter((result) => result.level === 'warning').length),
  });
  return { run, plain, results };
}

const ORDINARY: Files = [
  ['ok.yaml', '---\nok: true\n'],
  ['spaces.yaml', '---\na:   1\n'],
];

describe('each edge of yamllint output, against plain yamllint', () => {
  it.each<[string, Files]>([
    [
      'a message with a newline (a duplicated key "a\\nb")',
      [['dup-newline.yaml', '---\n"a\\nb": 1\n"a\\nb": 2\n']],
    ],
    [
      'messages with a NUL, a carriage return and a line that looks like a problem',
      [
        ['dup-nul.yaml', '---\n"a\\0b": 1\n"a\\0b": 2\n'],
        ['dup-cr.yaml', '---\n"a\\rb": 1\n"a\\rb": 2\n'],
        [
          'dup-fake.yaml',
          '---\n"x (colons)\\n./ok.yaml:1:1: [error] y": 1\n"x (colons)\\n./ok.yaml:1:1: [error] y": 2\n',
        ],
      ],
    ],
    [
      'file names with a newline, one of them followed by a workflow command',
      [
        ['new\nline.yaml', 'key:  1\n'],
        ['x\n::error::injected.yaml', 'key:  1\n'],
      ],
    ],
    ['a file name that is not UTF-8', [[Buffer.from('caf\xe9.yaml', 'latin1'), 'key:  1\n']]],
    [
      "a file name that is another's followed by the location pattern",
      [
        ['a.yaml', 'key:  1\n'],
        ['a.yaml:1:1: [error] x.yaml', '---\nkey: [1,2]\n'],
      ],
    ],
    [
      'names with spaces, colons, a leading dash, quotes and non-ASCII letters',
      [
        ['dir with space/k: v.yaml', 'k:  1\n'],
        ['-c.yaml', 'x: yes\n'],
        ['it\'s "q".yaml', 'q:  1\n'],
        ['ünïcödé.yml', 'u:  1\n'],
      ],
    ],
  ])('%s', async (_name, files) => {
    const ws = await workspace([...ORDINARY, ...files]);
    const names = [...ORDINARY, ...files].map(([name]) => name);
    const { run, plain } = await expectConformance(ws, {}, [], names);
    expect(plain.exitCode).toBe(1);
    // A file name is never a workflow command, and the summary shows names on one line.
    expect(run.annotations.filter((annotation) => annotation.message.startsWith('injected'))).toEqual([]);
    expect(run.summary).not.toMatch(/^::error::injected/m);
    expect(plain.lines.length).toBeGreaterThan(2);
  });
});

describe('a corpus of every edge and ordinary files, under four configurations', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await makeTempDir('yamllint-conform-corpus');
    dirs.push(ws);
    await writeCorpus(ws, { files: 160, seed: 13, maxBlocks: 4 });
    await writeFiles(ws, EDGES);
  });

  const EDGES: Files = [
    ['edges/dup-newline.yaml', '---\n"a\\nb": 1\n"a\\nb": 2\n'],
    ['edges/dup-nul.yaml', '---\n"a\\0b": 1\n"a\\0b": 2\n'],
    ['edges/new\nline.yaml', 'key:  1\n'],
    [Buffer.from('edges/caf\xe9.yaml', 'latin1'), 'key:  1\nok: yes\n'],
    ['edges/a.yaml', 'key:  1\n'],
    ['edges/a.yaml:1:1: [error] x.yaml', '---\nkey: [1,2]\n'],
    ['edges/warn.yaml', '---\nenabled: yes\n#tight\n'],
    [
      'ci/yamllint.yaml',
      "extends: default\nyaml-files: ['*.yaml', '*.yml']\nignore: |\n  deployments/hub-00[0-2]/\nrules:\n  line-length: {max: 100, level: warning}\n  truthy: disable\n",
    ],
  ];

  it.each<[string, Record<string, string>, string[]]>([
    ['default', {}, []],
    ['relaxed', { 'config-data': 'extends: relaxed' }, ['-d', 'extends: relaxed']],
    ['strict', { strict: 'true', 'config-data': 'extends: relaxed' }, ['--strict', '-d', 'extends: relaxed']],
    ['the repository configuration', { 'config-file': 'ci/yamllint.yaml' }, ['-c', 'ci/yamllint.yaml']],
  ])('%s', async (_name, inputs, plainArgs) => {
    const edges = EDGES.map(([name]) => name).filter((name) => !String(name).startsWith('ci/'));
    const { run, plain } = await expectConformance(ws, inputs, plainArgs, edges);
    expect(plain.lines.length).toBeGreaterThan(100);
    // Every file plain lists is checked: its --list-files output has one line more for the name with a newline.
    const listed = await plainYamllint(ws, [
      '--list-files',
      ...plainArgs.filter((arg) => arg !== '--strict'),
      '.',
    ]);
    expect(listed.lines).toEqual(expect.arrayContaining(['./edges/new', 'line.yaml']));
    expect(listed.lines.length).toBeGreaterThan(100);
    expect(run.outputs['files-checked']).toBe(String(listed.lines.length - 1));
  });
});
