import { describe, expect, it } from '@jest/globals';
import {
  asString,
  evaluate,
  evaluateCondition,
  evaluateValue,
  ExpressionError,
  isTruthy,
  looseEquals,
  type Contexts,
  type Value,
} from '../expressions.ts';

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
  steps: { build: { outputs: { tag: '8b48b4867330', 'local-image': '' } } },
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
  ])('%s', (expression, expected) => {
    expect(evaluate(expression, contexts)).toEqual(expected);
  });

  it.each([
    ["hashFiles('**/x')", /the function hashfiles\(\) is not supported/],
    ['matrix.os', /the context "matrix" is not available here/],
    ["'open", /a string literal is not closed/],
    ['inputs.registry ==', /it ends too early/],
    ['inputs.registry inputs.image', /unexpected "inputs"/],
    ['a + b', /unexpected character "\+"/],
    ['steps.*.outputs', /object filters \(\.\*\) are not supported/],
    ["steps.'build'", /expected a property name after "."/],
    ['success()', /success\(\) is only available in if: conditions/],
    ['', /it is empty/],
  ])('refuses %s', (expression, message) => {
    expect(() => evaluate(expression, contexts)).toThrow(ExpressionError);
    expect(() => evaluate(expression, contexts)).toThrow(message);
  });
});

describe('evaluateValue', () => {
  it('keeps the type of a value that is one expression', () => {
    expect(evaluateValue("${{ secrets.gar-credentials-json != '' }}", contexts)).toBe(false);
    expect(evaluateValue(' ${{ inputs.timeout-minutes }} ', contexts)).toBe(120);
  });

  it('writes each expression into a string otherwise, null as empty', () => {
    expect(evaluateValue('${{ inputs.registry }}/${{ inputs.image }}', contexts)).toBe(
      '127.0.0.1:5000/hubs/user-images/base',
    );
    expect(evaluateValue('hub-image-main-${{ inputs.registry }}/${{ vars.MISSING }}x', contexts)).toBe(
      'hub-image-main-127.0.0.1:5000/x',
    );
  });

  it('passes YAML scalars through and leaves plain strings alone', () => {
    expect(evaluateValue(false, contexts)).toBe(false);
    expect(evaluateValue(2, contexts)).toBe(2);
    expect(evaluateValue('plain $ { text }', contexts)).toBe('plain $ { text }');
    expect(evaluateValue(undefined, contexts)).toBeNull();
  });
});

describe('evaluateCondition', () => {
  const ok = { succeeded: true, cancelled: false };
  const failed = { succeeded: false, cancelled: false };

  it.each<[unknown, typeof ok, boolean]>([
    [undefined, ok, true],
    [undefined, failed, false],
    ['${{ !inputs.skip-bump }}', ok, false],
    ['${{ !inputs.force-rebuild }}', ok, true],
    ['!inputs.force-rebuild', failed, false],
    ['${{ always() }}', failed, true],
    ['failure()', failed, true],
    ['failure()', ok, false],
    ['${{ always() && inputs.force-rebuild }}', failed, false],
    [true, ok, true],
  ])('%s with %o is %s', (condition, status, expected) => {
    expect(evaluateCondition(condition, contexts, status)).toBe(expected);
  });
});

describe('truthiness, strings and equality', () => {
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
    expect([null, true, 3, 'x', [1], { a: 1 }].map(asString)).toEqual([
      '',
      'true',
      '3',
      'x',
      'Array',
      'Object',
    ]);
  });

  it('compares objects only to themselves', () => {
    const object = { a: 1 };
    expect(looseEquals(object, object)).toBe(true);
    expect(looseEquals(object, { a: 1 })).toBe(false);
    expect(looseEquals(null, null)).toBe(true);
    expect(looseEquals(NaN, NaN)).toBe(false);
  });
});
