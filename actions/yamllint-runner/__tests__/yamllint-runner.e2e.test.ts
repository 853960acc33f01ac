// The bundled action, run as the runner runs it, against the real yamllint on PATH (whatever its version: the
// tests pin its behaviour, compared with plain yamllint, not a distribution's version) and real git.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { systemRunner } from '@hub-image-actions/process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { cleanupRun, runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { findLeaks } from '@hub-image-actions/local-world/leak-checker';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';
import { writeCorpus } from '../bench/corpus.ts';
import { failureOf, pathYamllint, plainYamllint, problemLines } from './plain-yamllint.js';

jest.setTimeout(120_000);

const dirs: string[] = [];
const runs: ActionRun[] = [];
/** The yamllint on PATH, which every run uses unless a test is about choosing one. */
let yamllint = { path: '', version: '' };

beforeAll(async () => {
  yamllint = await pathYamllint();
});

afterAll(async () => {
  for (const run of runs) await cleanupRun(run);
  for (const dir of dirs) await removeDir(dir);
});

async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await makeTempDir('yamllint-ws');
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

async function lint(
  inputs: Record<string, string>,
  options: {
    workspace: string;
    event?: { name: string; payload: unknown };
    env?: Record<string, string | undefined>;
  },
): Promise<ActionRun> {
  const run = await runAction({
    action: 'yamllint-runner',
    inputs: { 'yamllint-version': yamllint.version, ...inputs },
    ...options,
  });
  runs.push(run);
  return run;
}

async function listedFiles(cwd: string, args: string[]): Promise<string[]> {
  const result = await systemRunner.run('yamllint', ['--list-files', ...args], { cwd });
  return result.stdout.split('\n').filter((line) => line !== '');
}

const failure = failureOf;

function problemAnnotations(run: ActionRun) {
  return run.annotations.filter((annotation) => annotation.title?.startsWith('yamllint'));
}

// One file per default rule, plus the cases image repos run into.
const FIXTURES: Record<string, string> = {
  '.yamllint.yaml': [
    'extends: default',
    'yaml-files:',
    "  - '*.yaml'",
    "  - '*.yml'",
    "  - '*.yaml.j2'",
    "  - 'Chartfile'",
    'ignore: |',
    '  vendor/',
    '  *.generated.yaml',
    'rules:',
    '  line-length:',
    '    max: 100',
    '',
  ].join('\n'),
  'rules/braces.yaml': '---\na: {  b: 1 }\n',
  'rules/brackets.yaml': '---\na: [ 1, 2 ]\n',
  'rules/colons.yaml': '---\na:   1\nb : 2\n',
  'rules/commas.yaml': '---\na: [1 , 2,3]\n',
  'rules/comments.yaml': '---\na: 1 #comment\n',
  'rules/comments-indentation.yaml': '---\na:\n    # misplaced\n  b: 1\n',
  'rules/document-start.yaml': 'a: 1\n',
  'rules/empty-lines.yaml': '---\na: 1\n\n\n\nb: 2\n',
  'rules/hyphens.yaml': '---\n-  a\n- b\n',
  'rules/indentation.yaml': '---\na:\n  b: 1\nc:\n   d: 1\n',
  'rules/key-duplicates.yaml': '---\na: 1\na: 2\n',
  'rules/line-length.yaml': `---\na: ${'word '.repeat(30).trim()}\n`,
  'rules/new-line-at-end-of-file.yaml': '---\na: 1',
  'rules/new-lines.yaml': '---\r\na: 1\r\n',
  'rules/trailing-spaces.yaml': '---\na: 1   \n',
  'rules/truthy.yaml': '---\na: yes\n',
  'syntax.yaml': '---\nlist: [a, b\nkey: value\n',
  'warnings-only.yaml': 'enabled: on\n#tight comment\n',
  'disabled.yaml': [
    '---',
    `long: ${'word '.repeat(30).trim()}  # yamllint disable-line rule:line-length`,
    '# yamllint disable',
    'a:   1',
    '# yamllint enable',
    'b: 2',
    '',
  ].join('\n'),
  'templates/values.yaml.j2': '---\nimage:  x\n',
  Chartfile: 'name: chart\n',
  'notes.txt': 'not: [yaml\n',
  'vendor/upstream.yaml': 'bad:   [\n',
  'out.generated.yaml': 'bad:   1\n',
  'clean.yaml': '---\nclean: true\n',
};

const DEFAULT_RULES = [
  'braces',
  'brackets',
  'colons',
  'commas',
  'comments',
  'comments-indentation',
  'document-start',
  'empty-lines',
  'hyphens',
  'indentation',
  'key-duplicates',
  'line-length',
  'new-line-at-end-of-file',
  'new-lines',
  'trailing-spaces',
  'truthy',
];

describe('fixtures', () => {
  let ws: string;
  let run: ActionRun;

  beforeAll(async () => {
    ws = await workspace(FIXTURES);
    run = await lint({ jobs: '2', 'sarif-file': 'results/yamllint.sarif' }, { workspace: ws });
  });

  it('reports exactly what plain yamllint reports, in its order', async () => {
    const plain = await plainYamllint(ws, ['.']);
    expect(plain.exitCode).toBe(1);
    expect(problemLines(run)).toEqual(plain.lines);
    expect(run.outputs['files-checked']).toBe(String((await listedFiles(ws, ['.'])).length));
  });

  it('covers every default rule and syntax errors, honours ignore, yaml-files and disable comments', () => {
    const lines = problemLines(run);
    const rules = new Set(lines.map((line) => /\(([a-z-]+)\)$/.exec(line)?.[1]));
    for (const rule of [...DEFAULT_RULES, 'syntax']) expect(rules).toContain(rule);
    expect(lines.some((line) => line.startsWith('./templates/values.yaml.j2:2:8: [error]'))).toBe(true);
    expect(lines.some((line) => line.startsWith('./Chartfile:1:1: [warning]'))).toBe(true);
    for (const ignored of ['vendor/', 'out.generated.yaml', 'notes.txt']) {
      expect(lines.filter((line) => line.includes(ignored))).toEqual([]);
    }
    expect(lines.filter((line) => line.startsWith('./disabled.yaml'))).toEqual([]);
  });

  it('fails, saying how many problems and where the full list is', async () => {
    const plain = await plainYamllint(ws, ['.']);
    const errors = plain.lines.filter((line) => line.includes(': [error] ')).length;
    const warnings = plain.lines.length - errors;
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({
      outcome: 'failed',
      errors: String(errors),
      warnings: String(warnings),
      'yamllint-version': yamllint.version,
    });
    expect(failure(run)).toMatch(
      new RegExp(
        `^yamllint-runner action failed: yamllint found ${errors} errors and ${warnings} warnings in \\d+ of \\d+ files; ` +
          'the job summary and the step log list every problem; so does the SARIF file .*results/yamllint.sarif; ' +
          `annotations show the first 9 of ${errors} errors`,
      ),
    );
  });

  it('annotates with file, line, column, level and rule, within what GitHub shows', () => {
    const annotations = problemAnnotations(run);
    expect(annotations.filter((a) => a.level === 'error')).toHaveLength(9);
    expect(annotations.filter((a) => a.level === 'warning').length).toBeLessThanOrEqual(10);
    // The first errors and warnings, in yamllint's order, each as file, line, column, level and rule.
    const expected = problemLines(run)
      .map((line) => /^\.\/(.*):(\d+):(\d+): \[(error|warning)\] (.*) \(([a-z-]+)\)$/.exec(line))
      .map((m) => ({
        file: m?.[1],
        line: Number(m?.[2]),
        col: Number(m?.[3]),
        level: m?.[4],
        message: m?.[5],
        title: `yamllint ${m?.[4]} (${m?.[6]})`,
      }));
    const firstOf = (level: string, count: number) =>
      expected.filter((a) => a.level === level).slice(0, count);
    expect(annotations.filter((a) => a.level === 'error')).toEqual(firstOf('error', 9));
    expect(annotations.filter((a) => a.level === 'warning')).toEqual(firstOf('warning', 10));
  });

  it('writes a job summary with every problem, grouped by file, counted per rule', async () => {
    const plain = await plainYamllint(ws, ['.']);
    expect(run.summary).toMatch(/^### yamllint failed: \d+ errors and \d+ warnings in \d+ of \d+ files/);
    expect(run.summary).toContain('#### Problems per rule');
    expect(run.summary).toContain('| syntax | 1 | 0 |');
    expect(run.summary).toContain('annotations show the first 9 of');
    const rows = run.summary.split('\n').filter((line) => /^\| \d+ \| \d+ \| (error|warning) \|/.test(line));
    expect(rows).toHaveLength(plain.lines.length);
    expect(run.summary).toContain('<summary><code>rules/colons.yaml</code>: 2 errors</summary>');
  });

  it('writes SARIF 2.1.0 with rules, levels and locations', async () => {
    const sarifPath = run.outputs['sarif-file'] ?? '';
    expect(sarifPath).toBe(join(ws, 'results', 'yamllint.sarif'));
    const sarif = JSON.parse(await readFile(sarifPath, 'utf8')) as {
      version: string;
      runs: Array<{
        tool: { driver: { name: string; rules: Array<{ id: string }> } };
        results: Array<{
          ruleId: string;
          level: string;
          locations: Array<{
            physicalLocation: {
              artifactLocation: { uri: string };
              region: { startLine: number; startColumn: number };
            };
          }>;
        }>;
      }>;
    };
    expect(sarif.version).toBe('2.1.0');
    const [sarifRun] = sarif.runs;
    expect(sarifRun?.tool.driver.name).toBe('yamllint');
    const plain = await plainYamllint(ws, ['.']);
    expect(sarifRun?.results).toHaveLength(plain.lines.length);
    const asLines = sarifRun?.results.map((result) => {
      const location = result.locations[0]?.physicalLocation;
      return `./${decodeURIComponent(location?.artifactLocation.uri ?? '')}:${location?.region.startLine}:${location?.region.startColumn}: [${result.level}]`;
    });
    expect(asLines).toEqual(plain.lines.map((line) => /^(.*?:\d+:\d+: \[(error|warning)\])/.exec(line)?.[1]));
    expect(sarifRun?.tool.driver.rules.map((rule) => rule.id).sort()).toEqual(
      [...new Set(sarifRun?.results.map((result) => result.ruleId))].sort(),
    );
  });
});

describe('warnings, strict and no-warnings, with a relaxed config like the image repos use', () => {
  const RELAXED = [
    'extends: default',
    'rules:',
    '  line-length: {level: warning, max: 120}',
    '  indentation: {level: warning}',
    '  trailing-spaces: {level: warning}',
    '  colons: {level: warning}',
    '  brackets: {level: warning}',
    '  comments: {level: warning}',
    '  document-start: disable',
    '  truthy: disable',
    '',
  ].join('\n');
  const FILES = {
    'ci/relaxed.yaml': RELAXED,
    'values.yaml': 'a:   1\nlist: [ x ]\nenabled: yes\nkey: 1   \n#c\n',
    'profiles.yaml': 'p:\n  q: 1\nr:\n   s: 1\n',
  };
  let ws: string;

  beforeAll(async () => {
    ws = await workspace(FILES);
  });

  it('passes with warnings and annotates them as warnings', async () => {
    const run = await lint({ 'config-file': 'ci/relaxed.yaml' }, { workspace: ws });
    const plain = await plainYamllint(ws, ['-c', 'ci/relaxed.yaml', '.']);
    expect(plain.exitCode).toBe(0);
    expect(problemLines(run)).toEqual(plain.lines);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      outcome: 'passed',
      errors: '0',
      warnings: String(plain.lines.length),
    });
    expect(problemAnnotations(run).every((a) => a.level === 'warning')).toBe(true);
    expect(problemAnnotations(run)).toHaveLength(Math.min(10, plain.lines.length));
  });

  it('fails on warnings with strict', async () => {
    const run = await lint({ 'config-file': 'ci/relaxed.yaml', strict: 'true' }, { workspace: ws });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['outcome']).toBe('failed');
    expect(failure(run)).toMatch(/warnings in 2 of 3 files \(strict: true fails on warnings\)/);
    // Plain yamllint --strict exits 2 here; the step's own code is 1, and the log says which it was.
    const plain = await systemRunner.run('yamllint', ['--strict', '-c', 'ci/relaxed.yaml', '.'], { cwd: ws });
    expect(plain.exitCode).toBe(2);
    expect(run.log).toContain(
      'Plain yamllint --strict exits with code 2 (warnings, with --strict); this step fails with exit code 1.',
    );
  });

  it('hides warnings with no-warnings from the log, annotations, summary and SARIF, and still counts them', async () => {
    // Errors and warnings both: key-duplicates and new-line-at-end-of-file stay errors in the relaxed config.
    const dir = await workspace({ ...FILES, 'broken.yaml': 'a: 1\nb:   2\na: 3\nlast: line' });
    const run = await lint(
      { 'config-file': 'ci/relaxed.yaml', 'no-warnings': 'true', 'sarif-file': 'out.sarif' },
      { workspace: dir },
    );
    const all = await plainYamllint(dir, ['-c', 'ci/relaxed.yaml', '.']);
    const plain = await plainYamllint(dir, ['-c', 'ci/relaxed.yaml', '--no-warnings', '.']);
    const warnings = all.lines.filter((line) => line.includes(': [warning] '));
    expect(warnings.length).toBeGreaterThan(5);
    expect(plain.lines.length).toBeGreaterThan(0);
    expect(plain.lines.every((line) => line.includes(': [error] '))).toBe(true);

    // The log's problems are plain yamllint's --no-warnings output, exactly; the verdict is its exit code.
    expect(problemLines(run)).toEqual(plain.lines);
    expect(plain.exitCode).toBe(1);
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({
      outcome: 'failed',
      errors: String(plain.lines.length),
      // As documented: the warnings found, also when no-warnings hides them.
      warnings: String(warnings.length),
    });
    expect(failure(run)).toContain(
      `yamllint found ${plain.lines.length} errors and ${warnings.length} warnings (hidden by no-warnings) in 3 of 4 files`,
    );

    const annotations = problemAnnotations(run);
    expect(annotations.length).toBe(Math.min(9, plain.lines.length));
    expect(annotations.filter((a) => a.level !== 'error')).toEqual([]);
    expect(run.annotations.filter((a) => a.level === 'warning')).toEqual([]);

    const rows = run.summary.split('\n').filter((line) => /^\| \d+ \| \d+ \| (error|warning) \|/.test(line));
    expect(rows).toHaveLength(plain.lines.length);
    expect(rows.filter((row) => row.includes('| warning |'))).toEqual([]);
    // The rules that only warned are not in the per-rule table either.
    for (const rule of ['trailing-spaces', 'colons', 'brackets', 'comments', 'indentation']) {
      expect(run.summary).not.toContain(`| ${rule} |`);
    }
    expect(run.summary).not.toContain('values.yaml');

    const sarif = JSON.parse(await readFile(join(dir, 'out.sarif'), 'utf8')) as {
      runs: Array<{ tool: { driver: { rules: Array<{ id: string }> } }; results: Array<{ level: string }> }>;
    };
    expect(sarif.runs[0]?.results).toHaveLength(plain.lines.length);
    expect(sarif.runs[0]?.results.filter((result) => result.level !== 'error')).toEqual([]);
    expect(sarif.runs[0]?.tool.driver.rules.map((rule) => rule.id).sort()).toEqual(
      [...new Set(plain.lines.map((line) => /\(([a-z-]+)\)$/.exec(line)?.[1]))].sort(),
    );
  });

  it('still fails on hidden warnings under strict, like yamllint', async () => {
    const strict = await lint(
      { 'config-file': 'ci/relaxed.yaml', 'no-warnings': 'true', strict: 'true' },
      { workspace: ws },
    );
    const plain = await systemRunner.run(
      'yamllint',
      ['-c', 'ci/relaxed.yaml', '--no-warnings', '--strict', '.'],
      { cwd: ws },
    );
    expect(plain.exitCode).toBe(2);
    expect(strict.exitCode).toBe(1);
    expect(problemAnnotations(strict)).toEqual([]);
    expect(failure(strict)).toMatch(
      /warnings \(hidden by no-warnings\) in 2 of 3 files \(strict: true fails on warnings\)/,
    );
  });
});

describe('config-data', () => {
  it('lints with the inline configuration, exactly as plain yamllint -d with the same text', async () => {
    const inline = [
      'extends: default',
      "yaml-files: ['*.yaml', '*.cfg']",
      'ignore: |',
      '  skipped/',
      'rules:',
      '  line-length: {max: 40}',
      '  truthy: disable',
      '  document-start: {level: warning}',
    ].join('\n');
    const dir = await workspace({
      // A discovered config that would give another verdict: the inline one must win.
      '.yamllint.yaml': 'extends: relaxed\n',
      'a.yaml': `---\nenabled: yes\nlong: ${'x'.repeat(50)}\n`,
      'b.yaml': 'key: value\n',
      'c.cfg': 'key:   value\n',
      'skipped/d.yaml': 'bad:   [\n',
    });
    const run = await lint({ 'config-data': `\n${inline}\n` }, { workspace: dir });
    const plain = await plainYamllint(dir, ['-d', inline, '.']);
    expect(plain.exitCode).toBe(1);
    expect(plain.lines.length).toBeGreaterThan(2);
    expect(problemLines(run)).toEqual(plain.lines);
    expect(run.exitCode).toBe(plain.exitCode);
    expect(run.outputs).toMatchObject({
      outcome: 'failed',
      'files-checked': String((await listedFiles(dir, ['-d', inline, '.'])).length),
    });
    expect(problemLines(run).some((line) => line.startsWith('./c.cfg:'))).toBe(true);
    expect(run.log).toContain('Configuration: inline YAML (config-data).');
    // The discovered relaxed config would have given another result.
    expect((await plainYamllint(dir, ['.'])).lines).not.toEqual(plain.lines);
  });
});

describe('conformance on a generated corpus', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await makeTempDir('yamllint-corpus');
    dirs.push(ws);
    await writeCorpus(ws, { files: 300, seed: 7, maxBlocks: 4 });
    await writeFile(
      join(ws, '.yamllint.yml'),
      "extends: default\nyaml-files: ['*.yaml', '*.yml', '*.txt']\nignore: |\n  deployments/hub-00[0-4]/\n  /.github/workflows/hub-02*.yml\n",
    );
  });

  it.each([
    ['unsharded', '1'],
    ['sharded', '4'],
    ['jobs: auto (the default)', undefined],
  ])('%s: the problems equal plain yamllint -f parsable exactly', async (_name, jobs) => {
    const run = await lint(jobs === undefined ? {} : { jobs }, { workspace: ws });
    const plain = await plainYamllint(ws, ['.']);
    expect(plain.lines.length).toBeGreaterThan(1000);
    expect(problemLines(run)).toEqual(plain.lines);
    expect(run.exitCode).toBe(plain.exitCode);
    expect(run.outputs['errors']).toBe(
      String(plain.lines.filter((line) => line.includes(': [error] ')).length),
    );
    const files = await listedFiles(ws, ['.']);
    expect(files.some((file) => file.endsWith('.txt'))).toBe(true);
    expect(files.some((file) => file.includes('hub-003/'))).toBe(false);
    expect(run.outputs['files-checked']).toBe(String(files.length));
    const processes = /(\d+) concurrent yamllint processes over (\d+) shards/.exec(run.log);
    if (jobs === undefined) {
      // One process per core (the child sees the cores this test sees), never more than shards.
      const shards = Number(processes?.[2]);
      expect(shards).toBeGreaterThanOrEqual(Math.min(availableParallelism(), 2));
      expect(Number(processes?.[1])).toBe(Math.min(availableParallelism(), shards));
    } else {
      expect(processes?.[1]).toBe(jobs);
      if (jobs === '1') expect(processes?.[2]).toBe('1');
    }
  });

  it('lints given paths only, like yamllint', async () => {
    const run = await lint(
      { paths: 'deployments/hub-010\n.github/workflows/hub-011.yml', jobs: '2' },
      { workspace: ws },
    );
    const plain = await plainYamllint(ws, ['deployments/hub-010', '.github/workflows/hub-011.yml']);
    expect(problemLines(run)).toEqual(plain.lines);
  });
});

describe('a job summary too large for GitHub', () => {
  it('is cut, says so at its top and its end, and points to the SARIF file for the rest', async () => {
    // About 16,000 problems: two on each line (too many spaces after a colon, trailing spaces).
    const files: Record<string, string> = {};
    for (let f = 0; f < 100; f += 1) {
      const lines = Array.from({ length: 80 }, (_, i) => `key${i}:  value   `);
      files[`values/f-${String(f).padStart(3, '0')}.yaml`] = `---\n${lines.join('\n')}\n`;
    }
    const ws = await workspace(files);
    const run = await lint({ 'sarif-file': 'all.sarif' }, { workspace: ws });
    expect(run.outputs['outcome']).toBe('failed');
    const total = Number(run.outputs['errors']) + Number(run.outputs['warnings']);
    const rows = run.summary.split('\n').filter((line) => /^\| \d+ \| \d+ \| (error|warning) \|/.test(line));
    expect(rows.length).toBeGreaterThan(1000);
    expect(rows.length).toBeLessThan(total);
    expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024);
    expect(run.summary).not.toContain('Every problem is listed below');
    const sarif = `<code>${join(ws, 'all.sarif')}</code>`;
    expect(run.summary).toContain(
      `The first ${rows.length} of ${total} problems are listed below; the step log and the SARIF file ${sarif} list them all.`,
    );
    expect(run.summary.trimEnd().split('\n').at(-1)).toMatch(
      new RegExp(
        `do not fit in a job summary \\(GitHub's limit is 1 MiB\\); the step log and the SARIF file ${sarif.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} list every problem\\.$`,
      ),
    );
    expect(failure(run)).toContain(
      `so does the SARIF file ${join(ws, 'all.sarif')}; the job summary lists ${rows.length} of ${total} problems`,
    );
  });
});

describe('configuration problems get their own outcome', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await workspace({
      'a.yaml': '---\na: 1\n',
      'bad.yaml': 'rules: {colons: [\n',
      'ci/unknown.yaml': 'rules:\n  no-such-rule: enable\n',
    });
  });

  it.each([
    [
      'a missing config file',
      { 'config-file': 'missing.yaml' },
      /"missing.yaml" \(input "config-file"\) does not exist/,
    ],
    [
      'a config with a syntax error',
      { 'config-file': 'bad.yaml' },
      /the yamllint configuration "bad.yaml" \(input "config-file"\) is not usable: invalid config: while parsing a flow node\nexpected the node content, but found '<stream end>'\n[^]*\nFix "bad.yaml", or point "config-file" at another file$/,
    ],
    [
      'inline config with a syntax error',
      { 'config-data': 'rules: {colons: [' },
      /^yamllint-runner action failed: the yamllint configuration given inline in input "config-data" is not usable: invalid config: while parsing[\s\S]*Fix the YAML given in "config-data"$/,
    ],
    [
      'a config naming an unknown rule',
      { 'config-file': './ci/unknown.yaml' },
      /the yamllint configuration "ci\/unknown.yaml" \(input "config-file"\) is not usable: invalid config: no such rule: "no-such-rule"\nFix "ci\/unknown.yaml", or point "config-file" at another file$/,
    ],
  ])('%s', async (_name, inputs, message) => {
    const run = await lint(inputs, { workspace: ws });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['outcome']).toBe('config-error');
    if (!('config-file' in inputs && inputs['config-file'] === 'missing.yaml')) {
      const plain = await systemRunner.run(
        'yamllint',
        [...Object.entries(inputs).flatMap(([k, v]) => [k === 'config-file' ? '-c' : '-d', v]), '.'],
        { cwd: ws },
      );
      expect(run.log).toContain(
        `yamllint exits with code ${plain.exitCode} (an invalid configuration, or a file it could not open); this step fails with exit code 1.`,
      );
    }
    expect(run.outputs['errors']).toBeUndefined();
    expect(failure(run)).toMatch(message);
    expect(failure(run)).not.toMatch(/found \d+ error/);
  });

  it('an invalid config that yamllint finds by itself', async () => {
    const dir = await workspace({
      'a.yaml': '---\na: 1\n',
      '.yamllint.yml': 'rules:\n  colons:\n    max-spaces-after: lots\n',
    });
    const run = await lint({}, { workspace: dir });
    expect(run.outputs['outcome']).toBe('config-error');
    expect(failure(run)).toMatch(
      /the yamllint configuration ".yamllint.yml" \(found by yamllint, which looks for .yamllint, .yamllint.yaml, .yamllint.yml in the working directory, in that order\) is not usable: invalid config: option "max-spaces-after" of "colons" should be int\nFix ".yamllint.yml", or give another configuration with "config-file" or "config-data"$/,
    );
    expect(run.log).toContain('Configuration: .yamllint.yml (found by yamllint in the working directory).');
  });

  it('a problem-free run: zero annotations and a passing step', async () => {
    const clean = await workspace({
      'a.yaml': '---\na: 1\n',
      'b.yml': '---\nb: [1, 2]\n',
      'c/d.yaml': '---\nd: true\n',
    });
    const run = await lint({ 'sarif-file': 'clean.sarif' }, { workspace: clean });
    expect(run.exitCode).toBe(0);
    expect(run.annotations).toEqual([]);
    expect(run.outputs).toMatchObject({
      outcome: 'passed',
      errors: '0',
      warnings: '0',
      'files-checked': '3',
    });
    expect(run.summary).toContain('### yamllint passed: no problems in 0 of 3 files');
    const sarif = JSON.parse(await readFile(join(clean, 'clean.sarif'), 'utf8')) as {
      runs: Array<{ results: unknown[] }>;
    };
    expect(sarif.runs[0]?.results).toEqual([]);
  });

  it.each([
    ['no YAML file at all', { 'notes.txt': 'not yaml\n', 'docs/readme.md': '# hi\n' }, {}],
    [
      'only ignored YAML files',
      {
        '.yamllint.yaml': 'extends: default\nignore: |\n  vendor/\n  /.yamllint.yaml\n',
        'vendor/x.yaml': 'bad:   [\n',
      },
      { strict: 'true' },
    ],
  ])(
    'nothing to lint (%s) passes like plain yamllint, with a warning that no file matched',
    async (_name, files, inputs) => {
      const dir = await workspace({ ...files, 'docs/keep.txt': 'x\n' });
      const run = await lint({ paths: '.\ndocs', 'sarif-file': 'none.sarif', ...inputs }, { workspace: dir });
      const plain = await systemRunner.run(
        'yamllint',
        [...('strict' in inputs ? ['--strict'] : []), '.', 'docs'],
        { cwd: dir },
      );
      expect(plain.exitCode).toBe(0);
      expect(run.exitCode).toBe(plain.exitCode);
      expect(run.outputs).toMatchObject({
        outcome: 'passed',
        errors: '0',
        warnings: '0',
        'files-checked': '0',
      });
      const warnings = run.annotations.filter((a) => a.level === 'warning');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.title).toBe('yamllint: no file to lint');
      expect(warnings[0]?.message).toMatch(
        /^no file matched: yamllint lints no file in "\.", "docs" \(input "paths"\); the configuration's "yaml-files" patterns and "ignore" setting decide/,
      );
      expect(run.summary).toContain('### yamllint passed: no problems in 0 of 0 files');
      expect(run.summary).toContain(
        '> no file matched: yamllint lints no file in ".", "docs" (input "paths")',
      );
      const sarif = JSON.parse(await readFile(join(dir, 'none.sarif'), 'utf8')) as {
        runs: Array<{ results: unknown[] }>;
      };
      expect(sarif.runs[0]?.results).toEqual([]);
    },
  );

  it('a path that does not exist is an input error, before yamllint runs', async () => {
    const run = await lint({ paths: 'a.yaml\nnope/' }, { workspace: ws });
    expect(run.outputs['outcome']).toBe('error');
    expect(failure(run)).toBe(
      'yamllint-runner action failed: input "paths" is "nope/": does not exist in ' +
        ws +
        '. List files or directories of the checkout, one per line',
    );
    expect(run.log).not.toContain('::group::yamllint');
  });
});

describe('yamllint crashing on a file', () => {
  let ws: string;
  beforeAll(async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 150; i += 1)
      files[`good/f-${String(i).padStart(3, '0')}.yaml`] = `---\nkey${i}:  value\n`;
    for (let i = 0; i < 60; i += 1)
      files[`nul/f-${String(i).padStart(3, '0')}.yaml`] = `---\nkey${i}: value\n`;
    ws = await workspace(files);
    // Latin-1 bytes in a YAML file, a NUL character in another: yamllint dies with a traceback on each.
    await writeFile(join(ws, 'good/f-100.yaml'), Buffer.from('---\nname: Jos\xe9\n', 'latin1'));
    await writeFile(join(ws, 'nul/f-041.yaml'), '---\nkey: "\u0000"\n');
  });

  /** The exception line plain yamllint prints last for one file (with its indented continuation lines). */
  async function plainLastWords(file: string): Promise<string> {
    const result = await systemRunner.run('yamllint', ['-f', 'parsable', file], { cwd: ws });
    expect(result.stderr).toContain('Traceback (most recent call last)');
    const lines = result.stderr.trimEnd().split('\n');
    const start = lines.findLastIndex((line) => /^\S/.test(line));
    return lines
      .slice(start)
      .map((line) => line.trim())
      .join(' ');
  }

  it('names the file of invalid UTF-8 inside a shard of many files, and quotes yamllint', async () => {
    const run = await lint({ paths: 'good', jobs: '2' }, { workspace: ws });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    // 150 files in 3 shards of 50: the culprit is found inside its shard, the other shards linted fine.
    expect(run.log).toContain('yamllint finished 3 of 3 shards');
    expect(run.log).toContain('yamllint crashed on 1 shard: linting its files again in halves');
    const words = await plainLastWords('good/f-100.yaml');
    expect(words).toMatch(/^UnicodeDecodeError: 'utf-8' codec can't decode byte 0xe9/);
    expect(failure(run)).toBe(
      'yamllint-runner action failed: yamllint stopped without a verdict: it crashes on this file:\n' +
        `  good/f-100.yaml: ${words} (exit code 1). ` +
        'yamllint reads files as UTF-8: re-encode that file as UTF-8, remove it, or leave it out with the "ignore" ' +
        'setting of the yamllint configuration; `yamllint good/f-100.yaml` shows the whole traceback',
    );
  });

  it('reports what it linted (problems, counts, summary), then the error', async () => {
    const run = await lint({ paths: 'good', jobs: '2', 'sarif-file': 'partial.sarif' }, { workspace: ws });
    expect(run.outputs['outcome']).toBe('error');
    const others = (await listedFiles(ws, ['good'])).filter((file) => file !== 'good/f-100.yaml');
    expect(others).toHaveLength(149);
    const plain = await plainYamllint(ws, others);
    expect(plain.lines).toHaveLength(149);
    expect(problemLines(run)).toEqual(plain.lines);
    expect(run.outputs).toMatchObject({ errors: '149', warnings: '0', 'files-checked': '149' });
    expect(run.summary).toContain('### yamllint stopped: 149 errors in 149 of 149 files linted');
    expect(run.summary).toContain('> **1 of 150 files have no verdict: yamllint stopped without a verdict');
    expect(
      run.summary.split('\n').filter((line) => /^\| 2 \| \d+ \| error \| colons \|/.test(line)),
    ).toHaveLength(149);
    const sarif = JSON.parse(await readFile(join(ws, 'partial.sarif'), 'utf8')) as {
      runs: Array<{ results: unknown[] }>;
    };
    expect(sarif.runs[0]?.results).toHaveLength(149);
    expect(run.log).toContain(
      'yamllint linted 149 of 150 files; it stopped without a verdict on the others.',
    );
    // The error comes last, after what was linted.
    expect(run.annotations.at(-1)?.message).toMatch(
      /^yamllint-runner action failed: yamllint stopped without a verdict/,
    );
  });

  it('names a file that crashes yamllint for another reason, without blaming UTF-8', async () => {
    const run = await lint({ paths: 'nul\ngood/f-000.yaml' }, { workspace: ws });
    expect(run.outputs['outcome']).toBe('error');
    const words = await plainLastWords('nul/f-041.yaml');
    expect(words).toMatch(/^yaml\.reader\.ReaderError: unacceptable character #x0000: .* position \d+$/);
    const message = failure(run) ?? '';
    expect(message).toContain(`crashes on this file:\n  nul/f-041.yaml: ${words} (exit code 1). `);
    expect(message).toMatch(
      /\(exit code 1\)\. Fix or remove that file, or leave it out with the "ignore" setting/,
    );
    expect(message).not.toMatch(/utf-?8/i);
  });
});

describe('yamllint itself', () => {
  it('a version that cannot be installed is a clear error that says how to fix it', async () => {
    const ws = await workspace({ 'a.yaml': '---\na: 1\n' });
    const wanted = yamllint.version === '1.28.0' ? '1.27.0' : '1.28.0';
    const runnerTemp = await makeTempDir('yamllint-rt');
    dirs.push(runnerTemp);
    // pip gets no index: it fails at once here, as it does on a runner that cannot reach PyPI.
    const run = await runAction({
      action: 'yamllint-runner',
      inputs: { 'yamllint-version': wanted },
      workspace: ws,
      runnerTemp,
      env: { PIP_NO_INDEX: '1', PIP_CONFIG_FILE: '/dev/null' },
    });
    runs.push(run);
    expect(run.exitCode).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    const message = failure(run) ?? '';
    expect(message).toContain(
      `yamllint ${wanted} (input "yamllint-version") is needed, PATH has yamllint ${yamllint.version} (${yamllint.path}), and installing it with pip failed: pip install yamllint==${wanted} exited with code 1:`,
    );
    expect(message).toContain(`No matching distribution found for yamllint==${wanted}`);
    expect(message).toContain(
      `or set yamllint-version to "any" to use the yamllint on PATH or to "${yamllint.version}"`,
    );
    // Nothing half-installed is left to be picked up by the next run.
    await expect(access(join(runnerTemp, 'hub-image-actions-yamllint', wanted))).rejects.toThrow();
  });

  it('"any" uses whatever yamllint is on PATH', async () => {
    const ws = await workspace({ 'a.yaml': '---\na: 1\n' });
    const run = await lint({ 'yamllint-version': 'any' }, { workspace: ws });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain(`Using yamllint ${yamllint.version}: ${yamllint.path}, found on PATH.`);
  });

  it('"any" with no yamllint anywhere says what to install', async () => {
    const ws = await workspace({ 'a.yaml': '---\na: 1\n' });
    const bin = await makeTempDir('yamllint-nobin');
    dirs.push(bin);
    const run = await lint({ 'yamllint-version': 'any' }, { workspace: ws, env: { PATH: bin } });
    expect(failure(run)).toMatch(
      /yamllint-version is "any" but there is no yamllint on PATH\. Install yamllint before this step/,
    );
  });
});

describe('changed-only', () => {
  const REPO = 'hub/image-repo';
  const TOKEN = 'ghs_changedOnlyToken0123456789abcdef';
  let server: GitServer;
  let base: string;
  let head: string;
  let checkoutDir: string;

  beforeAll(async () => {
    server = await GitServer.start();
    server.addToken(TOKEN, { push: false });
    const files: Record<string, string> = { '.yamllint.yaml': 'extends: default\nignore: |\n  vendor/\n' };
    for (let i = 0; i < 40; i += 1)
      files[`deployments/hub-${i}/config/common.yaml`] = `hub${i}:  bad spacing\n`;
    files['vendor/chart.yaml'] = 'x:  1\n';
    await server.createRepo(REPO, { files });
    // The pull request: two YAML files changed, one added, one deleted, a vendored (ignored) one and a text file.
    await server.commit(
      REPO,
      'feature',
      { 'deployments/hub-1/config/common.yaml': 'hub1:   worse\n' },
      'change hub-1',
    );
    await server.commit(
      REPO,
      'feature',
      {
        'deployments/hub-2/config/common.yaml': '---\nhub2: fixed\n',
        'deployments/new/config/common.yaml': 'new:  hub\n',
      },
      'fix hub-2, add new',
    );
    head = await server.commit(
      REPO,
      'feature',
      { 'deployments/hub-3/config/common.yaml': null, 'vendor/chart.yaml': 'x:   2\n', 'README.txt': 'hi\n' },
      'delete hub-3',
    );
    // The base branch moves on meanwhile; those changes are not the pull request's.
    for (let i = 0; i < 5; i += 1)
      await server.commit(
        REPO,
        'main',
        { [`deployments/hub-${10 + i}/config/common.yaml`]: `moved${i}:  on\n` },
        `main ${i}`,
      );
    base = (await server.resolve(REPO, 'main')) ?? '';

    // A depth-1 checkout of head whose credentials sit in .git/config, as actions/checkout leaves them.
    checkoutDir = await makeTempDir('yamllint-checkout');
    dirs.push(checkoutDir);
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    const git = async (args: string[]) => {
      const result = await systemRunner.run('git', args, {
        cwd: checkoutDir,
        env: { PATH: process.env['PATH'], HOME: checkoutDir, GIT_CONFIG_NOSYSTEM: '1' },
      });
      if (result.exitCode !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
    };
    await git(['init', '-q']);
    await git(['config', `http.${server.url}/.extraheader`, header]);
    await git(['remote', 'add', 'origin', server.repoUrl(REPO)]);
    await git(['fetch', '-q', '--no-tags', '--depth=1', 'origin', head]);
    await git(['checkout', '-q', head]);
  });

  afterAll(async () => {
    await server.stop();
  });

  const event = () => ({
    name: 'pull_request',
    payload: {
      number: 12,
      pull_request: { number: 12, base: { sha: base, ref: 'main' }, head: { sha: head, ref: 'feature' } },
    },
  });

  it('on pull_request lints only the YAML files changed against the merge base, fetching what is missing', async () => {
    const run = await runAction({
      action: 'yamllint-runner',
      inputs: { 'changed-only': 'true', 'yamllint-version': yamllint.version },
      workspace: checkoutDir,
      event: event(),
      recordArgvOf: ['git'],
      env: { HOME: checkoutDir },
    });
    runs.push(run);
    expect(run.outputs['files-checked']).toBe('3');
    const linted = [...new Set(problemLines(run).map((line) => line.split(':')[0]))];
    expect(linted.sort()).toEqual([
      './deployments/hub-1/config/common.yaml',
      './deployments/new/config/common.yaml',
    ]);
    expect(problemLines(run)).toEqual(
      (
        await plainYamllint(
          checkoutDir,
          // The changed files in yamllint's own order, as a run over the whole checkout would visit them.
          (await listedFiles(checkoutDir, ['.'])).filter((file) =>
            ['hub-1', 'hub-2', 'new'].some((hub) => file === `./deployments/${hub}/config/common.yaml`),
          ),
        )
      ).lines,
    );
    expect(run.log).toContain(`fetched the base commit ${base.slice(0, 12)} from origin (--depth=1)`);
    expect(run.log).toMatch(
      /5 files changed against the merge base [0-9a-f]{40}; 3 of them are YAML files yamllint lints here/,
    );
    expect(run.summary).toContain('3 changed of 41 YAML files');
    expect(run.argv.some((argv) => argv.includes('fetch'))).toBe(true);
    const leaks = await findLeaks(
      { token: TOKEN },
      {
        texts: {
          log: run.log,
          summary: run.summary,
          outputs: JSON.stringify(run.outputs),
          argv: JSON.stringify(run.argv),
        },
      },
    );
    expect(leaks).toEqual([]);
  });

  it('on push lints everything and says why', async () => {
    const run = await lint(
      { 'changed-only': 'true' },
      { workspace: checkoutDir, env: { HOME: checkoutDir } },
    );
    expect(run.outputs['files-checked']).toBe('41');
    expect(run.log).toContain(
      'changed-only: linting all 41 files because the event is workflow_dispatch, not pull_request.',
    );
    expect(run.annotations.filter((a) => a.level === 'notice')).toEqual([]);
  });

  it('lints everything with a notice when the base cannot be fetched', async () => {
    const shallow = await makeTempDir('yamllint-checkout-noauth');
    dirs.push(shallow);
    const env = { PATH: process.env['PATH'], HOME: shallow, GIT_CONFIG_NOSYSTEM: '1' };
    const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
    for (const args of [
      ['init', '-q'],
      ['remote', 'add', 'origin', server.repoUrl(REPO)],
      ['-c', `http.extraheader=${header}`, 'fetch', '-q', '--depth=1', 'origin', head],
      ['checkout', '-q', head],
    ]) {
      const result = await systemRunner.run('git', args, { cwd: shallow, env });
      expect(result.stderr).toBe('');
    }
    // No credentials persisted (persist-credentials: false): the base commit cannot be fetched.
    const run = await lint(
      { 'changed-only': 'true' },
      { workspace: shallow, event: event(), env: { HOME: shallow } },
    );
    expect(run.outputs['files-checked']).toBe('41');
    const notice = run.annotations.find((a) => a.level === 'notice');
    expect(notice?.message).toMatch(
      new RegExp(
        `^changed-only: linting all 41 files because the base commit ${base.slice(0, 12)} is not in the checkout and fetching it from "origin" failed: `,
      ),
    );
  });
});
