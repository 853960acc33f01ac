// Bad and hostile inputs, through the bundled action: each gets a clear error with outcome "error" (or
// "config-error"), before anything is linted or written, and nothing outside the workspace is read or written.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { access, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { makeTempDir } from '@hub-image-actions/local-world/tmp';
import { e2eScratch, failureOf } from './plain-yamllint.js';

const { dirs, runs, yamllint } = e2eScratch();
let ws: string;
let outside: string;

beforeAll(async () => {
  const root = await realpath(await makeTempDir('yamllint-bad'));
  dirs.push(root);
  ws = join(root, 'ws');
  outside = join(root, 'outside');
  await mkdir(join(ws, 'deploy'), { recursive: true });
  await mkdir(join(ws, 'results'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(ws, 'deploy', 'a.yaml'), '---\na: 1\n');
  await writeFile(join(outside, 'secret.yaml'), 'secret:   value\n');
  await symlink(outside, join(ws, 'elsewhere'));
});

async function lint(inputs: Record<string, string>): Promise<ActionRun> {
  const run = await runAction({
    action: 'yamllint-runner',
    workspace: ws,
    inputs: { 'yamllint-version': yamllint.version, ...inputs },
  });
  runs.push(run);
  return run;
}

const FIX =
  'Give a path inside the workspace, with no ".." or symlink that leads out of it; to use a file from elsewhere, copy it into the workspace in an earlier step';

describe('paths that leave the workspace', () => {
  it.each([
    ['paths', '../../etc', () => resolve(ws, '../../etc')],
    ['paths', 'elsewhere', () => outside],
    ['sarif-file', '../yamllint.sarif', () => join(ws, '..', 'yamllint.sarif')],
    ['sarif-file', 'elsewhere/out.sarif', () => join(outside, 'out.sarif')],
    ['config-file', 'elsewhere/secret.yaml', () => join(outside, 'secret.yaml')],
  ])('%s: %s is refused before anything runs', async (input, value, resolved) => {
    const run = await lint({ [input]: value });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    expect(failureOf(run)).toBe(
      `yamllint-runner action failed: input "${input}" is "${value}": resolves to ${resolved()}, outside the workspace (${ws}). ${FIX}`,
    );
    expect(run.log).not.toContain('::group::yamllint');
    // Nothing was linted: not even a problem of the file outside.
    expect(run.log).not.toContain('too many spaces');
    await expect(access(join(outside, 'out.sarif'))).rejects.toThrow();
    await expect(access(join(ws, '..', 'yamllint.sarif'))).rejects.toThrow();
  });

  it('every bad path at once, with the other bad inputs', async () => {
    const run = await lint({ paths: '../../etc\ndeploy', 'sarif-file': '/tmp/x.sarif', jobs: '0' });
    expect(run.outputs['outcome']).toBe('error');
    expect(failureOf(run)).toMatch(
      /^yamllint-runner action failed: 3 inputs are invalid:\n {2}- input "jobs" is "0": .*\n {2}- input "paths" is "..\/..\/etc": resolves to .*\n {2}- input "sarif-file" is "\/tmp\/x.sarif": resolves to \/tmp\/x.sarif, outside the workspace/,
    );
  });
});

describe('other bad inputs', () => {
  it('a sarif-file that is a directory is an input error, not a crash', async () => {
    const run = await lint({ 'sarif-file': 'results' });
    expect(run.outputs['outcome']).toBe('error');
    expect(failureOf(run)).toBe(
      `yamllint-runner action failed: input "sarif-file" is "results": is a directory (${join(ws, 'results')}); ` +
        'expected the path of a file to write SARIF to. Name a file, e.g. "yamllint.sarif" or "results/yamllint.sarif"',
    );
    expect(run.log).not.toContain('unexpected error');
  });

  it('extends: a preset that does not exist says so, and lists the presets', async () => {
    const run = await lint({ 'config-data': 'extends: relaxd' });
    expect(run.outputs['outcome']).toBe('config-error');
    expect(failureOf(run)).toBe(
      'yamllint-runner action failed: the yamllint configuration given inline in input "config-data" is not usable: ' +
        `it extends "relaxd", which is neither a preset of yamllint (default, relaxed) nor a file (a path is relative to the working directory, ${ws})\n` +
        'Fix the YAML given in "config-data"',
    );
  });

  it.each([
    [{ jobs: 'many' }],
    [{ strict: 'maybe' }],
    [{ 'yamllint-version': 'latest' }],
    [{ 'config-file': 'a.yaml', 'config-data': 'extends: default' }],
    [{ paths: 'nope/' }],
  ])('%j sets outcome "error", as documented', async (inputs) => {
    const run = await lint(inputs);
    expect(run.exitCode).toBe(1);
    expect(run.outputs['outcome']).toBe('error');
    expect(failureOf(run)).toMatch(/^yamllint-runner action failed: (input|\d+ inputs)/);
  });

  it('keywords in any case: jobs AUTO, yamllint-version ANY, strict TRUE', async () => {
    const run = await lint({ jobs: 'AUTO', 'yamllint-version': 'ANY', strict: 'TRUE', paths: 'deploy' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ outcome: 'passed', 'files-checked': '1' });
  });
});
