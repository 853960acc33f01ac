import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputErrors, inputsFrom } from '@hub-image-actions/action-io';
import { readInputs } from '../src/context.js';

const IMAGE = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image';
const SHA = '8b48b4867330c0ffee1234567890abcdef123456';
const HEAD = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
let workspace: string;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'hia-build-inputs-'));
  await mkdir(join(workspace, 'repo', 'images', 'gpu', 'image-tests'), { recursive: true });
  await mkdir(join(workspace, 'both', 'binder'), { recursive: true });
  await mkdir(join(workspace, 'both', '.binder'), { recursive: true });
  await writeFile(join(workspace, 'appendix.txt'), 'RUN echo appended\n\n');
  await writeFile(join(workspace, 'pr.json'), JSON.stringify({ pull_request: { head: { sha: HEAD } } }));
});

afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: SHA,
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REPOSITORY: 'cal-icor/base-user-image',
    GITHUB_SERVER_URL: 'https://github.com',
    ...extra,
  };
}

function read(values: Record<string, string>, extra: Record<string, string> = {}) {
  return readInputs(inputsFrom({ image: IMAGE, 'repo-dir': 'repo', ...values }), env(extra));
}

function problems(values: Record<string, string>, extra: Record<string, string> = {}): string[] {
  try {
    read(values, extra);
  } catch (error) {
    expect(error).toBeInstanceOf(InputErrors);
    return (error as InputErrors).errors.map((e) => e.message);
  }
  throw new Error('expected input problems');
}

describe('readInputs', () => {
  it('defaults the tag to 12 hex characters of GITHUB_SHA, and labels with the repository URL', () => {
    const inputs = read({});
    expect(inputs).toMatchObject({
      tag: '8b48b4867330',
      tagSource: 'github-sha',
      commit: { sha: SHA },
      repositoryUrl: 'https://github.com/cal-icor/base-user-image',
      repoDir: join(workspace, 'repo'),
      contextDir: join(workspace, 'repo'),
      userId: 1000,
      userName: 'jovyan',
      targetRepoDir: '/srv/repo',
      platform: 'linux/amd64',
      cacheFrom: undefined,
      test: 'auto',
      auth: undefined,
    });
  });

  it('takes the PR head commit on pull_request, not the merge commit in GITHUB_SHA', () => {
    const inputs = read(
      {},
      { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: join(workspace, 'pr.json') },
    );
    expect(inputs.tag).toBe(HEAD.slice(0, 12));
    expect(inputs.commit).toEqual({ sha: HEAD, source: 'pull-request-head' });
  });

  it('reads the appendix file, a subdir, additional tags without duplicates, and an access token', () => {
    const inputs = read({
      tag: 'v1',
      'additional-tags': 'latest, v1\nstable',
      subdir: './images/gpu/',
      'appendix-file': 'appendix.txt',
      'access-token': 'ya29.test-token-value',
      test: 'true',
    });
    expect(inputs).toMatchObject({
      tag: 'v1',
      tagSource: 'input',
      additionalTags: ['latest', 'stable'],
      subdir: 'images/gpu',
      contextDir: join(workspace, 'repo', 'images', 'gpu'),
      appendix: 'RUN echo appended',
      auth: { mode: 'access-token', token: 'ya29.test-token-value' },
    });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'an uppercase image name',
      { image: 'us-central1-docker.pkg.dev/Cal/img' },
      /input "image" is .*uppercase/,
    ],
    ['an image name with a tag', { image: `${IMAGE}:v1` }, /input "image" is .*without a tag/],
    ['a malformed image name', { image: 'reg.io//img' }, /input "image" is .*empty path component/],
    ['a bad tag', { tag: '-bad' }, /input "tag" is "-bad": tag "-bad" starts with "\." or "-"/],
    ['a tag in the inputs namespace', { tag: 'inputs-abc' }, /must not start with "inputs-"/],
    [
      'an additional tag in the inputs namespace',
      { 'additional-tags': 'latest, inputs-abc' },
      /input "additional-tags" is "inputs-abc": must not start/,
    ],
    ['a missing repo-dir', { 'repo-dir': 'nope' }, /input "repo-dir" is "nope": is not a directory/],
    [
      'a subdir that escapes',
      { subdir: '../x' },
      /input "subdir" is "..\/x": expected a relative path inside repo-dir/,
    ],
    ['a missing subdir', { subdir: 'images/cpu' }, /input "subdir" is "images\/cpu": is not a directory/],
    ['both binder/ and .binder/', { 'repo-dir': 'both' }, /holds both binder\/ and \.binder\//],
    ['user-id 0', { 'user-id': '0' }, /input "user-id" is "0": root cannot be the image user/],
    ['a non-numeric user-id', { 'user-id': 'abc' }, /input "user-id" is "abc": expected a whole number/],
    [
      'an unknown test value',
      { test: 'maybe' },
      /input "test" is "maybe": expected one of "auto", "true", "false"/,
    ],
    ['test: true without tests', { test: 'true' }, /requires tests/],
    ['a relative target dir', { 'target-repo-dir': 'srv/repo' }, /input "target-repo-dir"/],
    [
      'appendix and appendix-file',
      { appendix: 'RUN x', 'appendix-file': 'appendix.txt' },
      /cannot be combined/,
    ],
    [
      'an unreadable appendix file',
      { 'appendix-file': 'missing.txt' },
      /input "appendix-file" is "missing.txt": cannot be read \(ENOENT/,
    ],
    [
      'a reserved label',
      { labels: 'repo2docker.ref=x' },
      /input "labels" is "repo2docker.ref": is set by repo2docker/,
    ],
    ['a bad build arg name', { 'build-args': 'A-B=1' }, /input "build-args" is "A-B"/],
    ['a bad platform', { platform: 'amd64' }, /input "platform" is "amd64"/],
    ['--push in extra-args', { 'extra-args': '--push' }, /input "extra-args" "--push" is not allowed/],
    ['a bad cache-from reference', { 'cache-from': 'Reg/Img' }, /input "cache-from" is "Reg\/Img"/],
    ['two auth modes', { 'access-token': 'ya29.abcdefgh', 'credentials-json': '{}' }, /conflicts/],
    [
      'a browser-test port out of range',
      { 'browser-test-port': '70000' },
      /input "browser-test-port" is "70000": expected a whole number from 0 to 65535/,
    ],
    [
      'a browser-test timeout of zero',
      { 'browser-test-timeout': '0' },
      /input "browser-test-timeout" is "0": expected a whole number from 1 to 3600/,
    ],
  ])('refuses %s', (_name, values, message) => {
    const found = problems(values);
    expect(found.some((p) => message.test(p))).toBe(true);
  });

  it('asks for a tag when there is no commit to name the image after', () => {
    expect(problems({}, { GITHUB_SHA: '' })).toEqual([
      'input "tag" is required here: there is no commit to name the image after (GITHUB_SHA is not set). Give a tag, or run in GitHub Actions.',
    ]);
  });

  it('reports every problem at once', () => {
    expect(problems({ image: 'Bad', 'user-id': '0', test: 'x' })).toHaveLength(3);
  });
});
