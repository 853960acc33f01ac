// The hostile-input table of yamllint-runner: paths that leave the workspace, bad files and configurations, ranges at
// and beyond their bounds, keywords in any case. Each row fails before anything is linted or written (outcome
// "error"), reads nothing outside the workspace and shows no secret.
import { beforeAll } from '@jest/globals';
import { mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  hostileTable,
  rowsOf,
  treeListing,
  type HostileRow,
} from '@hub-image-actions/local-world/hostile-table';
import { makeTempDir } from '@hub-image-actions/local-world/tmp';
import { e2eScratch } from './plain-yamllint.js';

const { dirs, yamllint } = e2eScratch();
const ACTION = 'yamllint-runner';
const JOB_TOKEN = 'ghs_JobToken0123456789abcdefABCDEFyamllint';
// Content of a file outside the workspace: no row may show it.
const OUTSIDE_SECRET = 'outside-secret-5f1c0a9e7d3b';
let root: string;
let ws: string;
let outside: string;

beforeAll(async () => {
  root = await realpath(await makeTempDir('yamllint-hostile'));
  dirs.push(root);
  ws = join(root, 'ws');
  outside = join(root, 'outside');
  await mkdir(join(ws, 'deploy'), { recursive: true });
  await mkdir(join(ws, 'results'), { recursive: true });
  await mkdir(outside, { recursive: true });
  await writeFile(join(ws, 'deploy', 'a.yaml'), '---\na: 1\n');
  await writeFile(join(outside, 'secret.yaml'), `secret:   ${OUTSIDE_SECRET}\n`);
  await symlink(outside, join(ws, 'elsewhere'));
});

const error = { outcome: 'error' };
const { refused, leaves, accepted } = rowsOf(ACTION, {
  bad: ['jobs', '0'],
  outputs: error,
  notInLog: [OUTSIDE_SECRET, 'too many spaces'],
});

const rows: HostileRow[] = [
  leaves('paths', '../../etc'),
  leaves('paths', '/etc'),
  leaves('paths', 'elsewhere'),
  leaves('paths', 'deploy/../../outside'),
  leaves('config-file', '../outside/secret.yaml'),
  leaves('config-file', 'elsewhere/secret.yaml'),
  leaves('config-file', '/etc/hostname'),
  leaves('sarif-file', '../yamllint.sarif'),
  leaves('sarif-file', '/tmp/hostile-yamllint.sarif'),
  leaves('sarif-file', 'elsewhere/out.sarif'),
  refused('sarif-file', 'results', 'is a directory'),
  refused('paths', 'nope/', 'does not exist'),
  {
    name: 'config-data extends a preset that does not exist',
    inputs: { 'config-data': 'extends: relaxd' },
    error:
      /^yamllint-runner action failed: the yamllint configuration given inline in input "config-data" is not usable: it extends "relaxd", which is neither a preset of yamllint/,
    outputs: { outcome: 'config-error' },
  },
  {
    name: 'config-file and config-data together',
    inputs: { 'config-file': 'deploy/a.yaml', 'config-data': 'extends: default' },
    error:
      'yamllint-runner action failed: input "config-data" cannot be combined with "config-file". Give one of the two.',
    outputs: error,
  },
  refused('jobs', '0', 'expected "auto" \\(one yamllint per core\\) or a whole number from 1 to 256'),
  refused('jobs', '257', 'expected "auto" \\(one yamllint per core\\) or a whole number from 1 to 256'),
  refused('jobs', '-1'),
  refused('jobs', 'many'),
  refused('strict', 'maybe', 'expected true or false'),
  refused('no-warnings', 'yes', 'expected true or false'),
  refused('changed-only', '1', 'expected true or false'),
  refused('yamllint-version', 'latest'),
  {
    name: 'a misspelt config_file: a warning names both, and the run goes on',
    inputs: { config_file: 'deploy/a.yaml' },
    exitCode: 0,
    warning:
      'input "config_file" is not an input of yamllint-runner, so its value is ignored; did you mean "config-file"? Rename it in the step\'s `with:`',
    outputs: { outcome: 'passed' },
  },
  {
    name: 'paths "." does not follow a symlink out of the workspace',
    inputs: { paths: '.' },
    exitCode: 0,
    outputs: { outcome: 'passed', 'files-checked': '1' },
    notInLog: [OUTSIDE_SECRET, 'too many spaces'],
  },
  accepted({ jobs: '1' }, undefined, ['strict', 'maybe']),
  accepted({ jobs: '256' }, undefined, ['strict', 'maybe']),
  accepted({ jobs: 'AUTO' }, undefined, ['strict', 'maybe']),
  accepted({ strict: 'True', 'no-warnings': 'FALSE', 'changed-only': 'tRUE' }),
  accepted({ 'yamllint-version': 'ANY' }),
];

hostileTable(
  'yamllint-runner: hostile inputs',
  {
    action: ACTION,
    inputs: () => ({ 'yamllint-version': yamllint.version, paths: 'deploy' }),
    workspace: () => ws,
    githubToken: () => JOB_TOKEN,
    secrets: () => ({ 'job token': JOB_TOKEN, 'a file outside the workspace': OUTSIDE_SECRET }),
    world: async () => treeListing(root),
  },
  rows,
);
