// GitHub's workflow parser under plain Node (as the demo runs), with and without the hook for its JSON import.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');

function node(script: string) {
  const result = spawnSync(
    process.execPath,
    ['--no-warnings', '--experimental-transform-types', '--input-type=module', '-e', script],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const READ = `const { parseWorkflowTokens } = await import('@hub-image-actions/workflow-files');
const root = parseWorkflowTokens('w.yml', 'on: push\\njobs:\\n  j:\\n    runs-on: ubuntu-24.04\\n    steps:\\n      - run: echo\\n');
console.log(root.find('jobs').find('j').find('runs-on').value);`;

describe('the JSON import hook', () => {
  it('lets plain Node load the parser', () => {
    expect(node(`await import('@hub-image-actions/workflow-files/json-import-hook');\n${READ}`)).toEqual({
      status: 0,
      output: 'ubuntu-24.04\n',
    });
  });

  it('is needed: without it Node refuses the import of the JSON schema', () => {
    const result = node(READ);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('ERR_IMPORT_ATTRIBUTE_MISSING');
  });
});
