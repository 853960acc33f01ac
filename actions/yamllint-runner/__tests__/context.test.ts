import { describe, expect, it } from '@jest/globals';
import { inputsFrom } from '@hub-image-actions/action-io';
import { readInputs } from '../src/context.js';

const fix = (input: string) =>
  `Fix "${input}" in the step's \`with:\` (or the workflow input that feeds it), then run again`;

describe('readInputs', () => {
  it('reads the defaults', () => {
    expect(readInputs(inputsFrom({}))).toEqual({
      paths: ['.'],
      config: { kind: 'discovery' },
      yamllintVersion: '1.29.0',
      changedOnly: false,
      strict: false,
      noWarnings: false,
      sarifFile: undefined,
      jobs: undefined,
    });
  });

  it('takes keywords in any case, like booleans: AUTO, Any, TRUE', () => {
    expect(
      readInputs(
        inputsFrom({ jobs: 'AUTO', 'yamllint-version': 'Any', strict: 'TRUE', 'changed-only': 'False' }),
      ),
    ).toMatchObject({ jobs: undefined, yamllintVersion: 'any', strict: true, changedOnly: false });
    expect(readInputs(inputsFrom({ jobs: ' 8 ' })).jobs).toBe(8);
  });

  it('reads every input', () => {
    const inputs = readInputs(
      inputsFrom({
        paths: 'deployments\n# comment\n.github/workflows\n',
        'config-data': '\n  extends: relaxed\n  rules:\n    line-length: disable\n',
        'yamllint-version': 'any',
        'changed-only': 'true',
        strict: 'true',
        'no-warnings': 'True',
        'sarif-file': 'out/yamllint.sarif',
        jobs: '3',
      }),
    );
    expect(inputs).toMatchObject({
      paths: ['deployments', '.github/workflows'],
      config: { kind: 'data', yaml: '  extends: relaxed\n  rules:\n    line-length: disable' },
      yamllintVersion: 'any',
      changedOnly: true,
      strict: true,
      noWarnings: true,
      sarifFile: 'out/yamllint.sarif',
      jobs: 3,
    });
    expect(readInputs(inputsFrom({ 'config-file': '.yamllint.yaml' })).config).toEqual({
      kind: 'file',
      path: '.yamllint.yaml',
    });
  });

  it('reports every bad input at once, naming input, value and what is expected', () => {
    expect(() =>
      readInputs(
        inputsFrom({
          'config-file': 'a.yaml',
          'config-data': 'extends: default',
          'yamllint-version': 'latest',
          jobs: '0',
          strict: 'maybe',
        }),
      ),
    ).toThrow(
      [
        '4 inputs are invalid:',
        '  - input "config-data" cannot be combined with "config-file". Give one of the two.',
        `  - input "yamllint-version" is "latest": expected a version such as 1.29.0 or 1.29, or "any". ${fix('yamllint-version')}`,
        '  - input "jobs" is "0": expected "auto" (one yamllint per core) or a whole number from 1 to 256. Leave "jobs" out for "auto", or give how many yamllint processes to run at once',
        `  - input "strict" is "maybe": expected true or false. ${fix('strict')}`,
      ].join('\n'),
    );
  });
});
