// Expressions as GitHub evaluates them (@actions/expressions), and workflow values and `if:` conditions as GitHub's
// workflow parser reads them. The expressions our workflows use, GitHub's refusals, and the cases where the demo's
// former hand-written evaluator disagreed with GitHub's.
import { describe, expect, it } from '@jest/globals';
import {
  asString,
  evaluate,
  evaluateToken,
  ExpressionError,
  formatExpression,
  isTruthy,
  readWorkflowTemplate,
  tokenAt,
  WorkflowError,
  type Contexts,
  type Value,
} from '../src/index.ts';

const contexts: Contexts = {
  inputs: {
    'workload-identity-provider': 'projects/1/locations/global/workloadIdentityPools/p/providers/gh',
    'app-id': '',
    'force-rebuild': false,
    'skip-bump': true,
    'timeout-minutes': 120,
    registry: '127.0.0.1:5000',
    image: 'hubs/user-images/base',
  },
  secrets: { 'gar-credentials-json': '', 'app-private-key': 'PEM' },
  steps: {
    build: { outputs: { tag: '8b48b4867330', 'local-image': '' } },
    push: { outputs: { tag: 'latest' } },
  },
  github: { ref: 'refs/heads/main', event: { repository: { default_branch: 'main' } } },
  vars: { IMAGE: 'hubs/user-images/base' },
};

describe('evaluate', () => {
  it.each<[string, Value]>([
    ["'it''s'", "it's"],
    ['42', 42],
    ['-1.5', -1.5],
    ['0xff', 255],
    ['true', true],
    ['null', null],
    ['inputs.registry', '127.0.0.1:5000'],
    ['inputs.force-rebuild', false],
    ['steps.build.outputs.tag', '8b48b4867330'],
    ["steps['build'].outputs['local-image']", ''],
    ['steps.missing.outputs.tag', null],
    ['github.event.repository.default_branch', 'main'],
    ['GITHUB.REF', 'refs/heads/main'],
    ['vars.image', 'hubs/user-images/base'],
    ["secrets.gar-credentials-json != ''", false],
    ["inputs.workload-identity-provider == '' && secrets.gar-credentials-json || ''", ''],
    ["inputs.app-id != '' && secrets.app-private-key || ''", ''],
    ["inputs.app-id == '' && secrets.app-private-key || 'none'", 'PEM'],
    ['!inputs.skip-bump', false],
    ['!inputs.force-rebuild', true],
    ['inputs.force-rebuild == true', false],
    ['vars.NOT_SET == true', false],
    ["'ABC' == 'abc'", true],
    ["'1' == 1", true],
    ["'' == 0", true],
    ['null == false', true],
    ["'x' == 0", false],
    ['inputs.timeout-minutes > 60', true],
    ["'b' >= 'A'", true],
    ["contains('Hello World', 'world')", true],
    ["startsWith(github.ref, 'refs/heads/')", true],
    ["endsWith('a.yml', '.YML')", true],
    ["format('{0}/{1} {{x}}', inputs.registry, inputs.image)", '127.0.0.1:5000/hubs/user-images/base {x}'],
    ['join(fromJSON(\'["a","b"]\'), \' + \')', 'a + b'],
    ["(inputs.app-id || 'fallback')", 'fallback'],
    ['github.event == github.event', true],
    // Every '' in a literal is one quote (@actions/expressions 0.3.61 alone unescapes only the first).
    ["'a''b'''", "a'b'"],
    ["format('''{0}'' and ''{1}''', 'x', 'y')", "'x' and 'y'"],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression, contexts)).toEqual(expected);
  });

  // GitHub's own messages, where the hand-written evaluator had its own wording.
  it.each([
    ["hashFiles('**/x')", "Unrecognized function: 'hashFiles'"],
    ['matrix.os', "Unrecognized named-value: 'matrix'"],
    ["'open", "Unexpected symbol: ''open'"],
    ['inputs.registry ==', "Unexpected end of expression: '=='"],
    ['inputs.registry inputs.image', "Unexpected symbol: 'inputs'"],
    ['a + b', "Unexpected symbol: '+'"],
    ["steps.'build'", "Unexpected symbol: 'build'"],
    ['success()', "Unrecognized function: 'success'"],
    ['', 'An expression was expected'],
  ])('refuses %s', (expression, message) => {
    expect(() => evaluate(expression, contexts)).toThrow(ExpressionError);
    expect(() => evaluate(expression, contexts)).toThrow(`cannot evaluate \${{ ${expression} }}: ${message}`);
  });

  it('offers the status functions only where a status is given, as in if: conditions', () => {
    expect(evaluate('success()', contexts, { succeeded: true, cancelled: false })).toBe(true);
    expect(evaluate('failure()', contexts, { succeeded: false, cancelled: false })).toBe(true);
    expect(evaluate('cancelled() || always()', contexts, { succeeded: true, cancelled: true })).toBe(true);
    expect(evaluate('success()', contexts, { succeeded: true, cancelled: true })).toBe(false);
  });
});

// Where the demo's former evaluator (scripts/demo/expressions.ts) and GitHub's disagreed: GitHub's answer.
describe('what GitHub answers where the hand-written evaluator did not', () => {
  it.each<[string, Value]>([
    ["contains(fromJSON('{\"a\": 1}'), 'obj')", false], // an object contains nothing; it said true
    ['join(fromJSON(\'{"a": 1}\'))', ''], // it said "Object"
    ['steps.*.outputs.tag', ['8b48b4867330', 'latest']], // object filters; it refused them
    ['fromJSON(\'{"a": 1}\') == fromJSON(\'{"a": 1}\')', false],
  ])('%s', (expression, expected) => {
    expect(evaluate(expression, contexts)).toEqual(expected);
  });

  it.each([
    ['-0x10', "Unexpected symbol: '-0x10'"], // it said NaN
    ["format('a{b', 1)", 'The following format string is invalid: a{b'], // it accepted it
  ])('refuses %s', (expression, message) => {
    expect(() => evaluate(expression, contexts)).toThrow(message);
  });
});

/** A job-level `env:` value of a workflow, as GitHub's parser reads it. */
async function envValue(yamlScalar: string) {
  const text = `on: workflow_call\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    env:\n      V: ${yamlScalar}\n    steps:\n      - run: 'true'\n`;
  const file = await readWorkflowTemplate('test.yml', text);
  const token = tokenAt(file.root, 'jobs', 'j', 'env', 'V');
  if (token === undefined) throw new Error('no env value');
  return evaluateToken(token, contexts);
}

describe('workflow values', () => {
  it('keeps the type of a value that is one expression and nothing else', async () => {
    expect(await envValue(`"\${{ secrets.gar-credentials-json != '' }}"`)).toBe(false);
    expect(await envValue('${{ inputs.timeout-minutes }}')).toBe(120);
  });

  it('writes each expression into a string otherwise, null as empty', async () => {
    expect(await envValue('${{ inputs.registry }}/${{ inputs.image }}')).toBe(
      '127.0.0.1:5000/hubs/user-images/base',
    );
    expect(await envValue('hub-image-main-${{ inputs.registry }}/${{ vars.MISSING }}x')).toBe(
      'hub-image-main-127.0.0.1:5000/x',
    );
    // Spaces around the one expression make it a string (the hand-written evaluator gave the number 1).
    expect(await envValue("' ${{ 1 }} '")).toBe(' 1 ');
  });

  it('does not end an expression at a }} inside a string literal (the hand-written evaluator cut it there)', async () => {
    expect(await envValue(`"\${{ 'a}}b' }}"`)).toBe('a}}b');
    expect(await envValue(`"x-\${{ format('{0}}}', 'a') }}"`)).toBe('x-a}');
  });

  it('reads YAML scalars as the schema says (env values are strings) and leaves plain strings alone', async () => {
    expect(await envValue('false')).toBe('false');
    expect(await envValue('2')).toBe('2');
    expect(await envValue("'plain $ { text }'")).toBe('plain $ { text }');
    expect(await envValue('')).toBe('');
  });

  it("refuses a context GitHub does not offer there, with GitHub's message", async () => {
    await expect(envValue('${{ steps.build.outputs.tag }}')).rejects.toThrow(WorkflowError);
    await expect(envValue('${{ steps.build.outputs.tag }}')).rejects.toThrow(
      "Unrecognized named-value: 'steps'",
    );
  });
});

describe('block scalars', () => {
  /** A step's `run:` block, evaluated. */
  async function runBlock(header: string, lines: string[]): Promise<Value> {
    const body = lines.map((line) => `          ${line}`).join('\n');
    const text = `on: workflow_call\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: ${header}\n${body}\n`;
    const file = await readWorkflowTemplate('test.yml', text);
    const token = tokenAt(file.root, 'jobs', 'j', 'steps', 0, 'run');
    if (token === undefined) throw new Error('no run');
    return evaluateToken(token, contexts);
  }

  // @actions/workflow-parser alone would keep the block's indentation and its last newline (`|-`) in the result.
  it('are read as their YAML value, as the runner reads them', async () => {
    expect(await runBlock('|-', ['echo ${{ inputs.registry }}', 'echo "two"'])).toBe(
      'echo 127.0.0.1:5000\necho "two"',
    );
    expect(await runBlock('|', ["echo '${{ inputs.image }}' {x}"])).toBe(
      "echo 'hubs/user-images/base' {x}\n",
    );
    expect(await runBlock('>-', ['a ${{ inputs.registry }}', 'b'])).toBe('a 127.0.0.1:5000 b');
    expect(await runBlock('|', ['${{ inputs.registry }}'])).toBe('127.0.0.1:5000\n');
  });

  it.each([
    ['a ${{ x }} b', "format('a {0} b', x)"],
    ['${{ x }}', 'x'],
    ["it's {a} ${{ 'q}}' }}${{ y }}", "format('it''s {{a}} {0}{1}', 'q}}', y)"],
    ['no expression', "format('no expression')"],
  ])('%s is evaluated as %s', (text, expression) => {
    expect(formatExpression(text)).toBe(expression);
  });
});

describe('if: conditions, as GitHub reads them', () => {
  const ok = { succeeded: true, cancelled: false };
  const failed = { succeeded: false, cancelled: false };

  /** A step's `if:` (or none), with the implied `success() &&` GitHub adds when it names no status function. */
  async function condition(value: string | undefined, status: typeof ok): Promise<boolean> {
    const line = value === undefined ? '' : `\n        if: ${value}`;
    const text = `on: workflow_call\njobs:\n  j:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: 'true'${line}\n`;
    const file = await readWorkflowTemplate('test.yml', text);
    const step =
      file.template.jobs[0] && 'steps' in file.template.jobs[0] ? file.template.jobs[0].steps[0] : undefined;
    if (step === undefined || !('if' in step) || step.if === undefined) throw new Error('no step');
    return isTruthy(evaluateToken(step.if, contexts, status));
  }

  it.each<[string | undefined, typeof ok, boolean]>([
    [undefined, ok, true],
    [undefined, failed, false],
    ['${{ !inputs.skip-bump }}', ok, false],
    ['${{ !inputs.force-rebuild }}', ok, true],
    ['${{ !inputs.force-rebuild }}', failed, false],
    ['${{ always() }}', failed, true],
    ['failure()', failed, true],
    ['failure()', ok, false],
    ['${{ always() && inputs.force-rebuild }}', failed, false],
    ["contains('success()', 'x')", failed, false],
  ])('%s with %o is %s', async (value, status, expected) => {
    expect(await condition(value, status)).toBe(expected);
  });
});

describe('truthiness and strings', () => {
  it.each<[Value, boolean]>([
    [false, false],
    [0, false],
    ['', false],
    [null, false],
    [NaN, false],
    ['false', true],
    [[], true],
    [{}, true],
  ])('%p is truthy: %s', (value, expected) => {
    expect(isTruthy(value)).toBe(expected);
  });

  it('reads values into strings like the runner', () => {
    expect([null, true, 3, 1.5, 'x', [1], { a: 1 }].map(asString)).toEqual([
      '',
      'true',
      '3',
      '1.5',
      'x',
      'Array',
      'Object',
    ]);
  });
});
