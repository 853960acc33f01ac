// The release script against a GitHub-like git server over HTTP: it pushes with the token it is given, and the token
// appears in no log, no git config and no file of the clone.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { findLeaks } from '@hub-image-actions/local-world/leak-checker';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';

const ROOT = resolve(import.meta.dirname, '../..');
const REPO = 'hub-image-actions/hub-image-actions';
const TOKEN = 'ghs_releaseToken0123456789abcdefABCDEF';
const WORKFLOW = [
  'on:',
  '  workflow_call:',
  'jobs:',
  '  lint:',
  '    steps:',
  '      - uses: hub-image-actions/hub-image-actions/actions/yamllint-runner@v1',
  '',
].join('\n');

let server: GitServer;
let dir: string;

const baseEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: dir,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'github-actions[bot]',
  GIT_AUTHOR_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
  GIT_COMMITTER_NAME: 'github-actions[bot]',
  GIT_COMMITTER_EMAIL: '41898282+github-actions[bot]@users.noreply.github.com',
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// Asynchronous on purpose: the git server answers from this process's event loop.
function run(
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? dir,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** A clone made the way actions/checkout with persist-credentials: false leaves it: no credentials kept. */
async function cloneWithoutKeepingTheToken(target: string): Promise<void> {
  const header = `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
  const env = {
    ...baseEnv(),
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'http.extraHeader',
    GIT_CONFIG_VALUE_0: header,
  };
  const result = await run('git', ['clone', '--quiet', server.repoUrl(REPO), target], { env });
  if (result.code !== 0) throw new Error(`clone failed: ${result.stderr}`);
}

/** The release command as the release workflow runs it, from the clone. */
function releaseCommand(work: string, version: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return run(process.execPath, ['scripts/release.ts', version, '--push'], { cwd: work, env });
}

beforeAll(async () => {
  dir = await makeTempDir('release-e2e');
  server = await GitServer.start();
  server.addToken(TOKEN, { push: true, user: 'github-actions[bot]' });
  await server.createRepo(REPO, {
    files: {
      '.github/workflows/yaml-lint.yml': WORKFLOW,
      'package.json': '{ "type": "module" }\n',
      'scripts/release.ts': readFileSync(join(ROOT, 'scripts/release.ts')),
      'packages/workflow-files/src/internal-refs.ts': readFileSync(
        join(ROOT, 'packages/workflow-files/src/internal-refs.ts'),
      ),
    },
  });
});

afterAll(async () => {
  await server.stop();
  await removeDir(dir);
});

describe('release over HTTP with a token', () => {
  it('pushes both tags with RELEASE_PUSH_TOKEN and leaves the token nowhere', async () => {
    const work = join(dir, 'work');
    await cloneWithoutKeepingTheToken(work);
    const result = await releaseCommand(work, '1.0.0', { ...baseEnv(), RELEASE_PUSH_TOKEN: TOKEN });

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/tagged v1.0.0; v1 moved to it\npushed v1.0.0 and v1 to origin\n$/);
    const commit = await server.resolve(REPO, 'refs/tags/v1.0.0');
    expect(await server.resolve(REPO, 'refs/tags/v1')).toBe(commit);
    expect(await server.resolve(REPO, 'refs/tags/v1.0.0^')).toBe(await server.resolve(REPO, 'main'));
    expect((await server.readFile(REPO, 'v1.0.0', '.github/workflows/yaml-lint.yml'))?.toString()).toBe(
      WORKFLOW.replace('@v1\n', '@v1.0.0\n'),
    );
    const pushes = server.requests.filter((request) => request.service === 'git-receive-pack');
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.every((request) => request.user === 'github-actions[bot]' && request.status === 200)).toBe(
      true,
    );
    const leaks = await findLeaks(
      { token: TOKEN },
      { texts: { stdout: result.stdout, stderr: result.stderr }, gitConfigsUnder: [dir], paths: [work] },
    );
    expect(leaks).toEqual([]);
  });

  it('without the token it stops before tagging anything, and nothing is published', async () => {
    const work = join(dir, 'work-no-token');
    await cloneWithoutKeepingTheToken(work);
    const result = await releaseCommand(work, '1.0.1', baseEnv());

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^release: git ls-remote failed \(exit 128\): .* \(RELEASE_PUSH_TOKEN is not set: give a token that may push tags/s,
    );
    expect(await server.resolve(REPO, 'refs/tags/v1.0.1')).toBeUndefined();
    // The clone has the first test's tags from the server, unchanged.
    expect((await run('git', ['tag', '--list'], { cwd: work, env: baseEnv() })).stdout).toBe('v1\nv1.0.0\n');
    expect(await server.resolve(REPO, 'refs/tags/v1')).toBe(await server.resolve(REPO, 'refs/tags/v1.0.0'));
  });
});
