import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  cleanupRun,
  inputVariableName,
  parseKeyValueFile,
  parseWorkflowCommand,
  runAction,
  UNREACHABLE_URL,
  type ActionRun,
} from '../src/action-runner.js';
import { waitFor } from '../src/net.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

// A throwaway action that speaks the runner's protocols with Node built-ins only, as @actions/core 3 does.
const ACTION_YML = `name: probe
description: writes every kind of runner output
inputs:
  my-input:
    description: a hyphenated input
    required: true
  with space:
    description: a name with a space
    default: spaced default
  token-default:
    description: defaults to the job token
    default: \${{ github.token }}
runs:
  using: node24
  main: dist/index.js
  post: dist/index.js
`;

const PROBE = String.raw`
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { EOL } from 'node:os';

const escapeData = (s) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
const command = (name, props, message) => {
  const list = Object.entries(props).map(([k, v]) => k + '=' + escapeProperty(String(v))).join(',');
  process.stdout.write('::' + name + (list ? ' ' + list : '') + '::' + escapeData(message) + EOL);
};
const fileCommand = (file, key, value) => {
  const delimiter = 'ghadelimiter_' + randomUUID();
  appendFileSync(file, key + '<<' + delimiter + EOL + value + EOL + delimiter + EOL);
};

if (process.env.STATE_isPost === 'true') {
  console.log('post sees ' + process.env.STATE_phase + ' / ' + process.env.STATE_multi);
  fileCommand(process.env.GITHUB_OUTPUT, 'post-output', 'from post');
  process.exit(0);
}

console.log('probe started at ' + Date.now());
const mode = process.env['INPUT_MODE'] ?? 'normal';
if (mode === 'sleep') {
  // Runs until it is killed; says when it got here.
  if (process.env['INPUT_READY-FILE']) appendFileSync(process.env['INPUT_READY-FILE'], 'ready' + EOL);
  setInterval(() => {}, 1 << 30);
}
else if (mode === 'orphan') {
  // A child left running when the action exits: a leftover.
  spawn('sleep', ['30'], { stdio: 'ignore' }).unref();
  execFileSync('git', ['--version']);
} else if (mode === 'stdin') {
  // Through the argv shim, stdin (how secrets reach commands) must still reach the real program.
  console.log('hash=' + execFileSync('git', ['hash-object', '--stdin'], { input: 'abc', encoding: 'utf8' }).trim());
} else if (mode === 'fail') {
  command('error', {}, 'it broke');
  process.exitCode = 3;
} else {
  console.log('input my-input=' + process.env['INPUT_MY-INPUT']);
  console.log('input with space=' + process.env['INPUT_WITH_SPACE']);
  console.log('input token-default=[' + process.env['INPUT_TOKEN-DEFAULT'] + ']');
  console.log('leak=' + (process.env.HIA_LEAK_CHECK ?? '<unset>'));
  console.log('home=' + (process.env.HOME ?? '<unset>'));
  console.log('api=' + process.env.GITHUB_API_URL + ' cwd=' + process.cwd());
  command('add-mask', {}, 's3cr3t-value');
  console.log('the secret is s3cr3t-value, twice: s3cr3t-value');
  console.error('stderr line with s3cr3t-value');
  command('group', {}, 'Phase one');
  command('error', { file: 'deploy/a,b.yaml', line: 12, col: 3, endLine: 14, endColumn: 9, title: 'Bad: tag, quoted' }, 'first line\nsecond line 100%');
  command('warning', {}, 'just a warning');
  command('notice', { file: 'README.md' }, 'note');
  command('debug', {}, 'debug detail');
  command('endgroup', {}, '');
  appendFileSync(process.env.GITHUB_OUTPUT, 'single=one line' + EOL);
  fileCommand(process.env.GITHUB_OUTPUT, 'multi', 'line 1' + EOL + 'line 2=two' + EOL + 'line 3<<not a delimiter');
  fileCommand(process.env.GITHUB_STATE, 'isPost', 'true');
  fileCommand(process.env.GITHUB_STATE, 'phase', 'main-was-here');
  fileCommand(process.env.GITHUB_STATE, 'multi', 'a' + EOL + 'b');
  fileCommand(process.env.GITHUB_ENV, 'EXPORTED', 'exported value');
  appendFileSync(process.env.GITHUB_PATH, '/opt/probe/bin' + EOL);
  appendFileSync(process.env.GITHUB_STEP_SUMMARY, '## Probe summary' + EOL);
  const gitVersion = execFileSync('git', ['--version'], { encoding: 'utf8' }).trim();
  console.log('child ran: ' + gitVersion);
}
`;

let actionDir: string;
const runs: ActionRun[] = [];

async function probe(options: Omit<Parameters<typeof runAction>[0], 'action'> = {}): Promise<ActionRun> {
  const run = await runAction({ action: actionDir, ...options });
  runs.push(run);
  return run;
}

beforeAll(async () => {
  actionDir = await makeTempDir('probe-action');
  await mkdir(join(actionDir, 'dist'));
  await writeFile(join(actionDir, 'action.yml'), ACTION_YML);
  await writeFile(join(actionDir, 'dist', 'index.js'), PROBE);
});

afterEach(async () => {
  for (const run of runs.splice(0)) await cleanupRun(run);
});

afterAll(async () => {
  await removeDir(actionDir);
});

describe('runAction with a probe action', () => {
  it('passes inputs as INPUT_ variables (hyphens kept, spaces to _) and applies action.yml defaults', async () => {
    expect(inputVariableName('with space')).toBe('INPUT_WITH_SPACE');
    const run = await probe({ inputs: { 'my-input': 'hello' }, githubToken: 'ghs_jobtoken1234' });
    expect(run.failed).toBe(false);
    expect(run.log).toContain('input my-input=hello\n');
    expect(run.log).toContain('input with space=spaced default\n');
    expect(run.log).toContain('input token-default=[ghs_jobtoken1234]\n');
    // The runner masks the job token everywhere it is displayed.
    expect(run.maskedLog).toContain('input token-default=[***]\n');
  });

  it('records when it spawned the action, for benchmarks', async () => {
    const before = Date.now();
    const run = await probe({ inputs: { 'my-input': 'x' } });
    const after = Date.now();
    const started = Number(/probe started at (\d+)/.exec(run.log)?.[1]);
    expect(run.spawnedAt).toBeGreaterThanOrEqual(before);
    expect(run.spawnedAt).toBeLessThanOrEqual(started);
    expect(started).toBeLessThanOrEqual(after);
  });

  it('parses single-line and heredoc outputs, env, path and summary files', async () => {
    const run = await probe({ inputs: { 'my-input': 'x' } });
    expect(run.outputs).toEqual({ single: 'one line', multi: 'line 1\nline 2=two\nline 3<<not a delimiter' });
    expect(run.exportedEnv).toEqual({ EXPORTED: 'exported value' });
    expect(run.addedPath).toEqual(['/opt/probe/bin']);
    expect(run.summary).toBe('## Probe summary\n');
    expect(run.commandErrors).toEqual([]);
    expect(run.files.output.startsWith(join(run.runnerTemp, '_runner_file_commands'))).toBe(true);
  });

  it('parses annotations with file/line/col properties and unescapes data and properties', async () => {
    const run = await probe({ inputs: { 'my-input': 'x' } });
    expect(run.annotations).toEqual([
      {
        level: 'error',
        message: 'first line\nsecond line 100%',
        file: 'deploy/a,b.yaml',
        line: 12,
        col: 3,
        endLine: 14,
        endColumn: 9,
        title: 'Bad: tag, quoted',
      },
      { level: 'warning', message: 'just a warning' },
      { level: 'notice', message: 'note', file: 'README.md' },
      { level: 'debug', message: 'debug detail' },
    ]);
    expect(run.groups).toEqual(['Phase one']);
  });

  it('drops ::add-mask:: lines from the log and masks the values in maskedLog, on both streams', async () => {
    const run = await probe({ inputs: { 'my-input': 'x' } });
    expect(run.masks).toEqual(['s3cr3t-value']);
    expect(run.log).not.toContain('::add-mask::');
    expect(run.stdout).toContain('::add-mask::s3cr3t-value');
    expect(run.log).toContain('the secret is s3cr3t-value, twice: s3cr3t-value\n');
    expect(run.maskedLog).toContain('the secret is ***, twice: ***\n');
    expect(run.maskedLog).toContain('stderr line with ***\n');
    expect(run.maskedLog).not.toContain('s3cr3t-value');
  });

  it('saves state and runs the post step with STATE_ variables and fresh file commands', async () => {
    const run = await probe({ inputs: { 'my-input': 'x' } });
    expect(run.state).toEqual({ isPost: 'true', phase: 'main-was-here', multi: 'a\nb' });
    const post = await run.post();
    runs.push(post);
    expect(post.failed).toBe(false);
    expect(post.log).toContain('post sees main-was-here / a\nb\n');
    expect(post.outputs).toEqual({ 'post-output': 'from post' });
    expect(post.files.output).not.toBe(run.files.output);
    expect(post.workspace).toBe(run.workspace);
    expect(post.runnerTemp).toBe(run.runnerTemp);
  });

  it('records argv of programs the action runs, and the real program still runs', async () => {
    const run = await probe({ inputs: { 'my-input': 'x' }, recordArgvOf: ['git'] });
    expect(run.failed).toBe(false);
    expect(run.argv).toEqual([['git', '--version']]);
    expect(run.log).toMatch(/child ran: git version \d+\.\d+/);
  });

  it('records the environment each program was started with, from /proc/PID/environ', async () => {
    const run = await probe({ inputs: { 'my-input': 'x' }, recordArgvOf: ['git'] });
    const git = run.children.filter((child) => child.argv[0] === 'git');
    expect(git).toHaveLength(1);
    // The probe hands its whole environment on, inputs included: the record shows it.
    expect(git[0]?.env).toMatchObject({ 'INPUT_MY-INPUT': 'x', GITHUB_ACTIONS: 'true' });
    expect(run.leftovers).toEqual([]);
  });

  it('with watchChildren, sees every process the action starts and the ones still running when it exits', async () => {
    const run = await probe({ inputs: { 'my-input': 'x', mode: 'orphan' }, watchChildren: true });
    const sleep = run.children.find((child) => child.argv[0] === 'sleep');
    expect(sleep).toMatchObject({
      argv: ['sleep', '30'],
      env: expect.objectContaining({ 'INPUT_MY-INPUT': 'x' }),
    });
    expect(run.leftovers).toEqual([expect.objectContaining({ pid: sleep?.pid, argv: ['sleep', '30'] })]);
  });

  it('passes stdin through the argv shim to the real program', async () => {
    const run = await probe({ inputs: { 'my-input': 'x', mode: 'stdin' }, recordArgvOf: ['git', 'docker'] });
    expect(run.argv).toEqual([['git', 'hash-object', '--stdin']]);
    // git's blob id of "abc"
    expect(run.log).toContain('hash=f2ba8f84ab5c1bce84a7b441cb1959cfc7093b7f\n');
  });

  it('starts from a minimal environment: the test process env does not leak unless passed', async () => {
    process.env['HIA_LEAK_CHECK'] = 'leaked';
    try {
      const hermetic = await probe({ inputs: { 'my-input': 'x' } });
      expect(hermetic.log).toContain('leak=<unset>\n');
      expect(hermetic.log).toContain(`api=${UNREACHABLE_URL} cwd=${hermetic.workspace}\n`);
      const passed = await probe({
        inputs: { 'my-input': 'x' },
        env: { HIA_LEAK_CHECK: 'given', HOME: undefined },
      });
      expect(passed.log).toContain('leak=given\n');
      expect(passed.log).toContain('home=<unset>\n');
      const inherited = await probe({ inputs: { 'my-input': 'x' }, inheritEnv: true });
      expect(inherited.log).toContain('leak=leaked\n');
    } finally {
      delete process.env['HIA_LEAK_CHECK'];
    }
  });

  it('reports a failing action with its exit code and error annotation', async () => {
    const run = await probe({ inputs: { 'my-input': 'x', mode: 'fail' } });
    expect(run.exitCode).toBe(3);
    expect(run.failed).toBe(true);
    expect(run.annotations).toEqual([{ level: 'error', message: 'it broke' }]);
  });

  it('kills an action that runs past its timeout', async () => {
    // The probe never ends by itself: it only ends killed.
    const run = await probe({ inputs: { 'my-input': 'x', mode: 'sleep' }, timeoutMs: 1_000 });
    expect(run).toMatchObject({ timedOut: true, cancelled: false, failed: true, exitCode: 143 });
  });

  it('cancels an action through its signal, like a cancelled job, and says so', async () => {
    const controller = new AbortController();
    const ready = join(await makeTempDir('probe-ready'), 'ready');
    const running = probe({
      inputs: { 'my-input': 'x', mode: 'sleep', 'ready-file': ready },
      signal: controller.signal,
      timeoutMs: 3600_000,
    });
    await waitFor('the probe to run', async () => (existsSync(ready) ? true : undefined));
    controller.abort();
    const run = await running;
    await removeDir(dirname(ready));
    expect(run).toMatchObject({ cancelled: true, timedOut: false, failed: true, exitCode: 143 });
    const again = await probe({ inputs: { 'my-input': 'x' }, signal: controller.signal });
    expect(again.cancelled).toBe(true);
  });

  it('runs the post step although the signal of the main step fired, and stops it by its own signal', async () => {
    const controller = new AbortController();
    const run = await probe({ inputs: { 'my-input': 'x' }, signal: controller.signal });
    expect(run.cancelled).toBe(false);
    controller.abort();
    const post = await run.post();
    expect(post.cancelled).toBe(false);
    expect(post.log).toContain('post sees main-was-here');
    const cancelledPost = await run.post({ signal: controller.signal });
    expect(cancelledPost.cancelled).toBe(true);
  });

  it('cleanupRun removes the workspace and RUNNER_TEMP it created', async () => {
    const run = await runAction({ action: actionDir, inputs: { 'my-input': 'x' } });
    await cleanupRun(run);
    await expect(stat(run.workspace)).rejects.toThrow();
    await expect(stat(run.runnerTemp)).rejects.toThrow();
  });
});

describe('runAction with the real bundles', () => {
  it('push-to-gar without inputs fails with one error annotation naming the missing inputs', async () => {
    const run = await runAction({ action: 'push-to-gar' });
    runs.push(run);
    expect(run.exitCode).toBe(1);
    const errors = run.annotations.filter((annotation) => annotation.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message.startsWith('push-to-gar action failed:')).toBe(true);
    for (const input of ['image', 'tags', 'source']) expect(errors[0]?.message).toContain(`"${input}"`);
  });

  it('bump-hubploy registers its token as a mask and never prints it', async () => {
    const token = 'ghp_bumptoken0123456789';
    const run = await runAction({ action: 'bump-hubploy', inputs: { token } });
    runs.push(run);
    expect(run.masks).toContain(token);
    expect(run.log).not.toContain(token);
    expect(run.stdout.replace(`::add-mask::${token}`, '')).not.toContain(token);
  });
});

describe('runner formats', () => {
  it('reports malformed file commands like the runner (an unterminated heredoc, a line without =)', () => {
    expect(parseKeyValueFile('a<<EOF\nvalue\n').errors).toEqual(["Matching delimiter not found 'EOF'"]);
    expect(parseKeyValueFile('just text\n').errors).toEqual(["Invalid format 'just text'"]);
    expect(parseKeyValueFile('a=1\r\nb<<X\r\n1\r\n2\r\nX\r\n')).toEqual({
      values: { a: '1', b: '1\n2' },
      errors: [],
    });
  });

  it('parses workflow commands with leading whitespace and ignores plain text', () => {
    expect(parseWorkflowCommand('  ::warning title=a%3Ab::x%0Ay')).toEqual({
      command: 'warning',
      properties: { title: 'a:b' },
      data: 'x\ny',
    });
    expect(parseWorkflowCommand('text ::error::no')).toBeUndefined();
  });
});
