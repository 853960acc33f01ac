import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { declaredInputs, unknownInputs } from '../src/index.js';

const ACTIONS = resolve(import.meta.dirname, '..', '..', '..', 'actions');

describe('declaredInputs', () => {
  it.each(readdirSync(ACTIONS))(
    "reads the same input names as a YAML parser from %s's action.yml",
    (action) => {
      const text = readFileSync(join(ACTIONS, action, 'action.yml'), 'utf8');
      const parsed = parse(text) as { inputs?: Record<string, unknown> };
      expect(declaredInputs(text)).toEqual(Object.keys(parsed.inputs ?? {}));
      expect(declaredInputs(text).length).toBeGreaterThan(3);
    },
  );

  it('reads quoted names and skips comments, nested keys and other sections', () => {
    const text = [
      'name: x',
      'inputs:',
      '  # a comment',
      "  'quoted name':",
      '    description: "x: y"',
      '    default: a',
      '  plain-one: { description: z }',
      'outputs:',
      '  not-an-input:',
    ].join('\n');
    expect(declaredInputs(text)).toEqual(['quoted name', 'plain-one']);
  });
});

describe('unknownInputs', () => {
  const declared = ['config-file', 'credentials-json', 'paths', 'jobs', 'no-warnings'];
  const env = (names: string[]): NodeJS.ProcessEnv =>
    Object.fromEntries([...declared.map((n) => `INPUT_${n.toUpperCase()}`), ...names].map((n) => [n, 'x']));

  it('finds "_" for "-", a dropped letter, a case change and two edits, and names the input meant', () => {
    expect(
      unknownInputs(
        env(['INPUT_CONFIG_FILE', 'INPUT_CREDENTIAL-JSON', 'INPUT_JOBZ', 'INPUT_NO_WARNING', 'INPUT_PATHS_']),
        declared,
      ),
    ).toEqual([
      { given: 'config_file', meant: 'config-file' },
      { given: 'credential-json', meant: 'credentials-json' },
      { given: 'jobz', meant: 'jobs' },
      { given: 'no_warning', meant: 'no-warnings' },
      { given: 'paths_', meant: 'paths' },
    ]);
  });

  it('leaves declared inputs, and variables close to none, alone', () => {
    expect(
      unknownInputs(env(['INPUT_SOMETHING-ELSE', 'INPUT_', 'NOT_AN_INPUT', 'INPUT_TOKEN']), declared),
    ).toEqual([]);
  });
});
