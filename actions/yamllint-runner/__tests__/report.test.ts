import { describe, expect, it } from '@jest/globals';
import type { Problem } from '../src/problems.js';
import {
  failureMessage,
  nothingMatched,
  planAnnotations,
  summaryMarkdown,
  summaryReport,
  verdict,
  type SummaryInput,
} from '../src/report.js';
import { type SarifResult, toSarif } from '../src/sarif.js';

function problem(
  file: string,
  line: number,
  level: Problem['level'],
  rule: string | undefined,
  description = 'x',
): Problem {
  return {
    file: Buffer.from(file),
    line,
    column: 1,
    level,
    rule,
    description,
    raw: Buffer.from(`${file}:${line}:1: [${level}] ${description}`),
  };
}

function many(count: number, level: Problem['level']): Problem[] {
  return Array.from({ length: count }, (_, i) =>
    problem(`./f${i % 3}.yaml`, i + 1, level, 'trailing-spaces'),
  );
}

describe('verdict', () => {
  it.each([
    [{ errors: 0, warnings: 0 }, false, false],
    [{ errors: 0, warnings: 3 }, false, false],
    [{ errors: 0, warnings: 3 }, true, true],
    [{ errors: 1, warnings: 0 }, false, true],
    [{ errors: 1, warnings: 0 }, true, true],
    [{ errors: 0, warnings: 0 }, true, false],
  ])('%j with strict %s fails: %s', (counts, strict, failed) => {
    expect(verdict(counts, { strict }).failed).toBe(failed);
  });
});

describe('planAnnotations', () => {
  it('annotates every problem when GitHub can show them all', () => {
    const problems = [...many(3, 'error'), ...many(4, 'warning')];
    const plan = planAnnotations(problems, true);
    expect(plan.annotated).toHaveLength(7);
    expect(plan.cut).toBe(false);
  });

  it('keeps 10 warnings, and 9 errors on a failing step whose failure message takes the tenth slot', () => {
    const problems = [...many(25, 'warning'), ...many(30, 'error')];
    const failing = planAnnotations(problems, true);
    expect(failing.errors).toEqual({ shown: 9, total: 30 });
    expect(failing.warnings).toEqual({ shown: 10, total: 25 });
    expect(failing.cut).toBe(true);
    expect(failing.annotated.slice(0, 10).every((p) => p.level === 'warning')).toBe(true);
    expect(planAnnotations(many(12, 'error'), false).errors).toEqual({ shown: 10, total: 12 });
  });
});

describe('failureMessage', () => {
  it('says how many problems, where, where the full list is and that annotations were cut', () => {
    const problems = [...many(30, 'error'), ...many(2, 'warning')];
    const message = failureMessage({
      verdict: { failed: true },
      found: { errors: 30, warnings: 2 },
      noWarnings: false,
      filesWithProblems: 3,
      filesChecked: 40,
      plan: planAnnotations(problems, true),
      sarifFile: '/w/yamllint.sarif',
      localCommand: 'yamllint -f parsable -- .',
    });
    expect(message).toBe(
      'yamllint found 30 errors and 2 warnings in 3 of 40 files; the job summary and the step log list every ' +
        'problem; so does the SARIF file /w/yamllint.sarif; annotations show the first 9 of 30 errors ' +
        '(GitHub displays at most 10 of each per step)',
    );
  });

  it('explains a failure on warnings under strict, hidden ones included', () => {
    const message = failureMessage({
      verdict: { failed: true },
      found: { errors: 0, warnings: 1 },
      noWarnings: true,
      filesWithProblems: 1,
      filesChecked: 1,
      plan: planAnnotations([], true),
      sarifFile: undefined,
      localCommand: 'yamllint -f parsable --no-warnings -- .',
    });
    expect(message).toBe(
      'yamllint found 1 warning (hidden by no-warnings) in 1 of 1 file (strict: true fails on warnings); ' +
        'the job summary and the step log list every problem',
    );
  });
});

describe('failureMessage when the job summary was cut to fit', () => {
  const problems = Array.from({ length: 300 }, (_, i) => problem(`./file-${i}.yaml`, 1, 'error', 'colons'));
  const summary = summaryReport({
    verdict: { failed: true },
    found: { errors: 300, warnings: 0 },
    problems,
    noWarnings: false,
    filesWithProblems: 300,
    filesChecked: 300,
    plan: planAnnotations(problems, true),
    facts: [],
    notes: [],
    repoPath: (file) => file,
    sarifFile: '/w/out.sarif',
    localCommand: "yamllint -d 'extends: relaxed' -f parsable -- .",
    budgetBytes: 20_000,
  });
  const context = {
    verdict: { failed: true },
    found: { errors: 300, warnings: 0 },
    noWarnings: false,
    filesWithProblems: 300,
    filesChecked: 300,
    plan: planAnnotations(problems, true),
    summaryCut: summary.cut,
    localCommand: "yamllint -d 'extends: relaxed' -f parsable -- .",
  };

  it('knows what the summary left out', () => {
    expect(summary.cut).toBeDefined();
    const listed = summary.markdown.split('\n').filter((line) => line.startsWith('| 1 | 1 | error |')).length;
    expect(summary.cut).toEqual({
      listedProblems: listed,
      totalProblems: 300,
      listedFiles: listed,
      totalFiles: 300,
    });
    expect(listed).toBeGreaterThan(0);
    expect(listed).toBeLessThan(300);
  });

  it('points to the SARIF file, not the summary, for every problem', () => {
    const message = failureMessage({ ...context, sarifFile: '/w/out.sarif' });
    expect(message).toBe(
      'yamllint found 300 errors in 300 of 300 files; the step log lists every problem; so does the SARIF file ' +
        `/w/out.sarif; the job summary lists ${summary.cut?.listedProblems} of 300 problems, cut to fit GitHub's ` +
        '1 MiB limit; annotations show the first 9 of 300 errors (GitHub displays at most 10 of each per step)',
    );
    expect(message).not.toContain('job summary and');
  });

  it('without a SARIF file, gives the exact yamllint command that lists them all', () => {
    const message = failureMessage({ ...context, sarifFile: undefined });
    expect(message).toContain(
      `the job summary lists ${summary.cut?.listedProblems} of 300 problems, cut to fit GitHub's 1 MiB limit; for the ` +
        `full list in a file, set "sarif-file" or run \`yamllint -d 'extends: relaxed' -f parsable -- .\` in a checkout;`,
    );
  });

  it('says the summary lists every problem when it does', () => {
    const fits = summaryReport({
      verdict: { failed: true },
      found: { errors: 3, warnings: 0 },
      problems: problems.slice(0, 3),
      noWarnings: false,
      filesWithProblems: 3,
      filesChecked: 3,
      plan: planAnnotations(problems.slice(0, 3), true),
      facts: [],
      notes: [],
      repoPath: (file) => file,
      sarifFile: undefined,
      localCommand: 'yamllint -f parsable -- .',
    });
    expect(fits.cut).toBeUndefined();
    expect(
      failureMessage({
        ...context,
        found: { errors: 3, warnings: 0 },
        summaryCut: fits.cut,
        sarifFile: undefined,
      }),
    ).toContain('the job summary and the step log list every problem');
  });
});

describe('summaryMarkdown', () => {
  const base = (problems: Problem[], overrides: Partial<SummaryInput> = {}): string =>
    summaryMarkdown({
      verdict: { failed: problems.some((p) => p.level === 'error') },
      found: {
        errors: problems.filter((p) => p.level === 'error').length,
        warnings: problems.filter((p) => p.level === 'warning').length,
      },
      problems,
      noWarnings: false,
      filesWithProblems: new Set(problems.map((p) => p.file.toString())).size,
      filesChecked: 10,
      plan: planAnnotations(problems, true),
      facts: [['yamllint', '1.29.0']],
      notes: [],
      repoPath: (file) => file.subarray(file.indexOf('./') === 0 ? 2 : 0),
      sarifFile: undefined,
      localCommand: 'yamllint -f parsable -- .',
      ...overrides,
    });

  it('groups every problem by file, counts per rule, and escapes what markdown or HTML would eat', () => {
    const markdown = base([
      problem(
        './a.yaml',
        2,
        'error',
        'syntax',
        "syntax error: expected '<document start>', but found '<block end>'",
      ),
      problem('./a.yaml', 5, 'warning', 'truthy', 'truthy value should be one of [false, true]'),
      problem('./b|c.yaml', 1, 'error', 'colons', 'too many spaces after colon'),
    ]);
    expect(markdown).toContain('### yamllint failed: 2 errors and 1 warning in 2 of 10 files');
    expect(markdown).toContain('- **yamllint**: 1.29.0');
    expect(markdown).toContain('| syntax | 1 | 0 |');
    expect(markdown).toContain('| truthy | 0 | 1 |');
    expect(markdown).toContain('<summary><code>a.yaml</code>: 1 error and 1 warning</summary>');
    expect(markdown).toContain("expected '&lt;document start&gt;', but found '&lt;block end&gt;'");
    expect(markdown).toContain('| 1 | 1 | error | colons | too many spaces after colon |');
    expect(markdown).not.toContain('Note: annotations');
  });

  it('notes that annotations were cut', () => {
    expect(base(many(12, 'error'))).toContain(
      '> Note: annotations show the first 9 of 12 errors (GitHub displays at most 10 of each per step). Every problem is listed below.',
    );
  });

  it('says so when the problems do not fit in a job summary, at its top and at its end, and where they all are', () => {
    const problems = Array.from({ length: 300 }, (_, i) => problem(`./file-${i}.yaml`, 1, 'error', 'colons'));
    const markdown = base(problems, { budgetBytes: 20_000, sarifFile: '/w/out.sarif' });
    expect(Buffer.byteLength(markdown)).toBeLessThan(20_000);
    const listed = markdown.split('\n').filter((line) => line.startsWith('| 1 | 1 | error |')).length;
    expect(listed).toBeGreaterThan(10);
    expect(markdown).not.toContain('Every problem is listed below');
    expect(markdown).toContain(
      `> Note: annotations show the first 9 of 300 errors (GitHub displays at most 10 of each per step). The first ${listed} of 300 problems are listed below; the step log and the SARIF file <code>/w/out.sarif</code> list them all.`,
    );
    expect(markdown.trimEnd().split('\n').at(-1)).toBe(
      `> Note: ${300 - listed} more problems in ${300 - listed} more files do not fit in a job summary (GitHub's limit is 1 MiB); the step log and the SARIF file <code>/w/out.sarif</code> list every problem.`,
    );
    const without = base(problems, { budgetBytes: 20_000 });
    expect(without.trimEnd().split('\n').at(-1)).toMatch(
      /the step log and <code>yamllint -f parsable -- \.<\/code> run in a checkout list every problem\.$/,
    );
  });

  it('says yamllint stopped, and what it linted, when it has no verdict on some files', () => {
    const markdown = base([problem('./a.yaml', 1, 'error', 'colons')], {
      stopped:
        '1 of 10 files have no verdict: yamllint stopped without a verdict: it crashes on this file:\n  b.yaml: X',
    });
    expect(markdown).toContain('### yamllint stopped: 1 error in 1 of 10 files linted');
    expect(markdown).toContain(
      '> **1 of 10 files have no verdict: yamllint stopped without a verdict: it crashes on this file:<br>  b.yaml: X**',
    );
    expect(markdown).toContain('| 1 | 1 | error | colons | x |');
  });

  it('says a clean run passed, with no tables', () => {
    const markdown = base([]);
    expect(markdown).toContain('### yamllint passed: no problems in 0 of 10 files');
    expect(markdown).not.toContain('Problems per rule');
  });
});

describe('toSarif', () => {
  it('writes SARIF 2.1.0 with the rules that reported, levels and repository-relative locations', () => {
    const sarif = toSarif({
      problems: [
        problem('./deploy/a b.yaml', 3, 'error', 'line-length', 'line too long (90 > 80 characters)'),
        problem('./deploy/a b.yaml', 4, 'warning', 'truthy'),
        problem('./c.yaml', 9, 'error', 'syntax', 'syntax error: could not find expected :'),
      ],
      yamllintVersion: '1.29.0',
      repoPath: (file) => file.subarray(2),
    }) as {
      version: string;
      $schema: string;
      runs: Array<{
        tool: {
          driver: {
            name: string;
            version: string;
            rules: Array<{ id: string; helpUri: string; defaultConfiguration: { level: string } }>;
          };
        };
        results: SarifResult[];
      }>;
    };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/sarif-2\.1\.0/);
    const run = sarif.runs[0];
    expect(run?.tool.driver).toMatchObject({ name: 'yamllint', version: '1.29.0' });
    expect(run?.tool.driver.rules.map((rule) => rule.id)).toEqual(['line-length', 'syntax', 'truthy']);
    expect(run?.tool.driver.rules[0]?.helpUri).toBe(
      'https://yamllint.readthedocs.io/en/stable/rules.html#module-yamllint.rules.line_length',
    );
    expect(run?.tool.driver.rules[2]?.defaultConfiguration.level).toBe('warning');
    expect(run?.results[0]).toMatchObject({
      ruleId: 'line-length',
      ruleIndex: 0,
      level: 'error',
      message: { text: 'line too long (90 > 80 characters)' },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: 'deploy/a%20b.yaml' },
            region: { startLine: 3, startColumn: 1 },
          },
        },
      ],
    });
    expect(run?.results.map((result) => run.tool.driver.rules[result.ruleIndex]?.id)).toEqual(
      run?.results.map((result) => result.ruleId),
    );
  });
});

describe('nothingMatched', () => {
  it('names the paths and says the configuration decides, and that the run passes', () => {
    expect(
      nothingMatched(['.', 'charts'], '.yamllint.yaml (found by yamllint in the working directory)'),
    ).toBe(
      'no file matched: yamllint lints no file in ".", "charts" (input "paths"); the configuration\'s "yaml-files" ' +
        'patterns and "ignore" setting decide which files it lints (.yamllint.yaml (found by yamllint in the working ' +
        'directory)). Like plain yamllint, this passes with 0 files checked; if files were expected, check "paths" ' +
        'and those two settings',
    );
  });
});
