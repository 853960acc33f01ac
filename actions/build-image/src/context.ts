import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { InputReader, type InputSource, runnerInputs, workspacePath } from '@hub-image-actions/action-io';
import { readGarAuth, type GarAuth } from '@hub-image-actions/gar-auth';
import { parseImageName, parseReference, validateTag, type ImageName } from '@hub-image-actions/image-ref';
import { extraArgsProblems } from './repo2docker-argv.js';
import { commitFromEvent, commitTag, INPUTS_TAG_PREFIX, pullRequestBase, type Commit } from './tags.js';
import { BROWSER_TESTS_DIR, IMAGE_TESTS_DIR, type TestMode } from './test-plan.js';

export interface Inputs {
  image: ImageName;
  tag: string;
  /** Where the tag came from: the input, or the commit. */
  tagSource: 'input' | Commit['source'];
  /** The commit being built, for the `repo2docker.ref` label; undefined outside GitHub Actions. */
  commit: Commit | undefined;
  /** `https://github.com/OWNER/REPO`, for the `repo2docker.repo` label. */
  repositoryUrl: string | undefined;
  additionalTags: string[];
  /** Absolute. */
  repoDir: string;
  subdir: string | undefined;
  /** Absolute: `repoDir`, or `repoDir/subdir`. What repo2docker builds. */
  contextDir: string;
  repo2dockerVersion: string;
  userName: string;
  userId: number;
  targetRepoDir: string;
  /** The appendix text, from `appendix` or read from `appendix-file`. */
  appendix: string | undefined;
  labels: Array<[string, string]>;
  buildArgs: Array<[string, string]>;
  platform: string;
  extraArgs: string[];
  forceRebuild: boolean;
  /** Undefined: the default (the parent commit's image and the current tag, when they exist). */
  cacheFrom: string[] | undefined;
  test: TestMode;
  imageTestCommand: string[];
  browserTestCommand: string[];
  browserTestTimeoutSeconds: number;
  browserTestPort: number;
  freeDiskSpace: boolean;
  /** Undefined: anonymous registry reads (a public image). */
  auth: GarAuth | undefined;
  /** Record the image's packages and show what changed. */
  packages: boolean;
  /** The tag to compare packages with; undefined: the default (the pull request base, else the parent commit). */
  compareWith: string | undefined;
  /** On a pull request, the head of the branch it goes into. */
  baseSha: string | undefined;
}

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(?:\/[a-z0-9]+)?$/;
const PIP_VERSION = /^[0-9][0-9A-Za-z.+!-]*$/;
const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED_LABELS = /^(repo2docker|hub-image-actions)\./;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readEventPayload(env: NodeJS.ProcessEnv): unknown {
  const path = env['GITHUB_EVENT_PATH'];
  if (!path || !existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** A relative path that stays inside its parent, "/"-separated, without "./" or a trailing "/". */
function insidePath(value: string): string | undefined {
  const cleaned = value
    .replace(/\\/g, '/')
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  if (cleaned === '' || isAbsolute(cleaned) || cleaned.split('/').includes('..')) return undefined;
  return cleaned;
}

/**
 * Reads and validates every input, and the workspace facts they refer to (directories, the appendix file), all
 * before any side effect; every problem is reported at once.
 */
export function readInputs(source: InputSource = runnerInputs, env: NodeJS.ProcessEnv = process.env): Inputs {
  const r = new InputReader(source);
  const workspace = env['GITHUB_WORKSPACE'] || process.cwd();

  const image = r.check(
    'image',
    r.required(
      'image',
      'the full image name without tag, e.g. us-central1-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE',
    ),
    parseImageName,
  );

  const payload = readEventPayload(env);
  const commit = commitFromEvent(env['GITHUB_EVENT_NAME'], payload, env['GITHUB_SHA']);
  const givenTag = r.check('tag', r.optional('tag'), validateTag);
  let tag = givenTag;
  if (tag === undefined && r.optional('tag') === undefined) {
    if (commit === undefined) {
      r.reject(
        'tag',
        undefined,
        'is required here: there is no commit to name the image after (GITHUB_SHA is not set)',
        'Give a tag, or run in GitHub Actions.',
      );
    } else {
      tag = commitTag(commit.sha);
    }
  }
  if (givenTag?.startsWith(INPUTS_TAG_PREFIX)) {
    r.reject('tag', givenTag, `must not start with "${INPUTS_TAG_PREFIX}": those tags name build inputs`);
  }
  const additionalTags: string[] = [];
  for (const extra of r.list('additional-tags')) {
    const valid = r.check('additional-tags', extra, validateTag);
    if (valid?.startsWith(INPUTS_TAG_PREFIX)) {
      r.reject(
        'additional-tags',
        valid,
        `must not start with "${INPUTS_TAG_PREFIX}": those tags name build inputs`,
      );
      continue;
    }
    if (valid !== undefined && valid !== tag && !additionalTags.includes(valid)) additionalTags.push(valid);
  }

  // Everything the build reads stays in the workspace, so a path input can never put the runner's files in an image.
  const inWorkspace =
    (input: string, from = workspace) =>
    (value: string) =>
      workspacePath(input, value, { workspace, from });
  const repoDirInput = r.string('repo-dir', '.');
  const repoDirInside = r.check('repo-dir', repoDirInput, inWorkspace('repo-dir'));
  const repoDir = repoDirInside ?? resolve(workspace, repoDirInput);
  const repoDirOk = repoDirInside !== undefined && isDirectory(repoDir);
  if (repoDirInside !== undefined && !repoDirOk) {
    r.reject(
      'repo-dir',
      repoDirInput,
      `is not a directory (${repoDir})`,
      'Check out the image repository first (actions/checkout), or fix the path.',
    );
  }
  const subdirInput = r.optional('subdir');
  let subdir: string | undefined;
  if (subdirInput !== undefined) {
    subdir = insidePath(subdirInput);
    if (subdir === undefined) {
      r.reject('subdir', subdirInput, 'expected a relative path inside repo-dir, without ".."');
    } else if (repoDirOk && r.check('subdir', subdir, inWorkspace('subdir', repoDir)) === undefined) {
      subdir = undefined;
    } else if (repoDirOk && !isDirectory(join(repoDir, subdir))) {
      r.reject('subdir', subdirInput, `is not a directory in ${repoDir}`);
    }
  }
  const contextDir = subdir === undefined ? repoDir : join(repoDir, subdir);
  if (isDirectory(join(contextDir, 'binder')) && isDirectory(join(contextDir, '.binder'))) {
    r.reject(
      subdir === undefined ? 'repo-dir' : 'subdir',
      subdirInput ?? repoDirInput,
      'holds both binder/ and .binder/, which repo2docker refuses ("they are exclusive")',
      'Keep one of the two folders.',
    );
  }

  const repo2dockerVersion = r.string('repo2docker-version', '2026.04.0');
  if (!PIP_VERSION.test(repo2dockerVersion)) {
    r.reject(
      'repo2docker-version',
      repo2dockerVersion,
      'expected a release of jupyter-repo2docker, e.g. 2026.04.0',
    );
  }
  const userName = r.string('user-name', 'jovyan');
  if (!USER_NAME.test(userName)) {
    r.reject(
      'user-name',
      userName,
      'expected a Linux user name: lowercase letters, digits, "_" and "-", at most 32',
    );
  }
  if (source('user-id')?.trim() === '0') {
    r.reject(
      'user-id',
      '0',
      'root cannot be the image user; repo2docker refuses it ("Root as the primary user in the image is not permitted")',
      'Use 1000, the uid JupyterHub images use.',
    );
  }
  const userId =
    source('user-id')?.trim() === '0' ? 1000 : r.integer('user-id', 1000, { min: 1, max: 2 ** 32 - 2 });
  const targetRepoDir = r.string('target-repo-dir', '/srv/repo');
  if (!targetRepoDir.startsWith('/') || /\s/.test(targetRepoDir)) {
    r.reject('target-repo-dir', targetRepoDir, 'expected an absolute path in the image, without spaces');
  }

  const appendixText = r.optional('appendix');
  const appendixFile = r.optional('appendix-file');
  let appendix = appendixText === undefined ? undefined : (source('appendix') ?? '').replace(/\s+$/, '');
  if (appendixText !== undefined && appendixFile !== undefined) {
    r.reject('appendix-file', appendixFile, 'cannot be combined with "appendix"', 'Give one of the two.');
  } else if (appendixFile !== undefined) {
    const path = r.check('appendix-file', appendixFile, inWorkspace('appendix-file'));
    if (path !== undefined) {
      try {
        appendix = readFileSync(path, 'utf8').replace(/\s+$/, '');
      } catch (error) {
        r.reject(
          'appendix-file',
          appendixFile,
          `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'} at ${path})`,
          'Give a path relative to the workspace.',
        );
      }
    }
  }

  const labels = r.keyValues('labels');
  for (const [key] of labels) {
    if (RESERVED_LABELS.test(key)) {
      r.reject('labels', key, 'is set by repo2docker or this action', 'Choose another label name.');
    }
  }
  const buildArgs = r.keyValues('build-args');
  for (const [key] of buildArgs) {
    if (!BUILD_ARG_NAME.test(key))
      r.reject('build-args', key, 'expected a build argument name: letters, digits and "_"');
  }

  const platform = r.string('platform', 'linux/amd64');
  if (!PLATFORM.test(platform))
    r.reject('platform', platform, 'expected OS/ARCH[/VARIANT], e.g. linux/amd64');

  const extraArgs = r.list('extra-args', 'newline');
  for (const problem of extraArgsProblems(extraArgs)) r.reject('extra-args', undefined, problem);

  const cacheFromList = r.list('cache-from', 'newline');
  for (const ref of cacheFromList) r.check('cache-from', ref, parseReference);

  const test = r.choice('test', ['auto', 'true', 'false'] as const, 'auto');
  if (test === 'true' && repoDirOk) {
    const found = [IMAGE_TESTS_DIR, BROWSER_TESTS_DIR].some((dir) => isDirectory(join(contextDir, dir)));
    if (!found) {
      r.reject(
        'test',
        'true',
        `requires tests, and ${contextDir} has neither ${IMAGE_TESTS_DIR}/ nor ${BROWSER_TESTS_DIR}/`,
        'Add tests, or use "auto" to run whichever exist.',
      );
    }
  }

  const auth = readGarAuth(r, { required: false });
  const repository = env['GITHUB_REPOSITORY'];
  const inputs: Inputs = {
    image: image ?? { registry: undefined, path: '', full: '' },
    tag: tag ?? '',
    tagSource: givenTag !== undefined ? 'input' : (commit?.source ?? 'input'),
    commit,
    repositoryUrl: repository
      ? `${(env['GITHUB_SERVER_URL'] || 'https://github.com').replace(/\/$/, '')}/${repository}`
      : undefined,
    additionalTags,
    repoDir,
    subdir,
    contextDir,
    repo2dockerVersion,
    userName,
    userId,
    targetRepoDir,
    appendix: appendix === '' ? undefined : appendix,
    labels,
    buildArgs,
    platform,
    extraArgs,
    forceRebuild: r.boolean('force-rebuild', false),
    cacheFrom: cacheFromList.length > 0 ? cacheFromList : undefined,
    test,
    imageTestCommand: r.argv('image-test-command'),
    browserTestCommand: r.argv('browser-test-command'),
    browserTestTimeoutSeconds: r.integer('browser-test-timeout', 120, { min: 1, max: 3600 }),
    browserTestPort: r.integer('browser-test-port', 8888, { min: 0, max: 65535 }),
    freeDiskSpace: r.boolean('free-disk-space', false),
    auth,
    packages: r.boolean('packages', true),
    compareWith: r.check('compare-with', r.optional('compare-with'), validateTag),
    baseSha: pullRequestBase(env['GITHUB_EVENT_NAME'], payload),
  };
  r.finish();
  return inputs;
}
