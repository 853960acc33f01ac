import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import { parseImageName, validateTag, type ImageName } from '@hub-image-actions/image-ref';

export type TestMode = 'auto' | 'true' | 'false';

export interface RegistryAuthInputs {
  workloadIdentityProvider: string | undefined;
  serviceAccount: string | undefined;
  credentialsJson: string | undefined;
  accessToken: string | undefined;
}

export interface Inputs {
  image: ImageName;
  /** Undefined means: derive from the commit being built. */
  tag: string | undefined;
  additionalTags: string[];
  repoDir: string;
  subdir: string | undefined;
  repo2dockerVersion: string;
  userName: string;
  userId: number;
  targetRepoDir: string;
  appendix: string | undefined;
  appendixFile: string | undefined;
  labels: Array<[string, string]>;
  buildArgs: Array<[string, string]>;
  platform: string;
  extraArgs: string[];
  forceRebuild: boolean;
  cacheFrom: string[];
  test: TestMode;
  imageTestCommand: string[];
  browserTestCommand: string[];
  browserTestTimeoutSeconds: number;
  freeDiskSpace: boolean;
  auth: RegistryAuthInputs;
}

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+(?:\/[a-z0-9]+)?$/;

/** Reads and validates every input; throws all problems at once, before any side effect. */
export function readInputs(source: InputSource = runnerInputs): Inputs {
  const r = new InputReader(source);
  const image = r.check(
    'image',
    r.required(
      'image',
      'the full image name without tag, e.g. us-central1-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE',
    ),
    parseImageName,
  );
  const tag = r.check('tag', r.optional('tag'), validateTag);
  const additionalTags = r.list('additional-tags');
  for (const extra of additionalTags) r.check('additional-tags', extra, validateTag);
  const userName = r.string('user-name', 'jovyan');
  if (!USER_NAME.test(userName)) {
    r.reject(
      'user-name',
      userName,
      'expected a Linux user name: lowercase letters, digits, "_" and "-", at most 32',
    );
  }
  const userId = r.integer('user-id', 1000, { min: 1, max: 2 ** 32 - 2 });
  const targetRepoDir = r.string('target-repo-dir', '/srv/repo');
  if (!targetRepoDir.startsWith('/'))
    r.reject('target-repo-dir', targetRepoDir, 'expected an absolute path in the image');
  const appendix = r.optional('appendix');
  const appendixFile = r.optional('appendix-file');
  if (appendix !== undefined && appendixFile !== undefined) {
    r.reject('appendix-file', appendixFile, 'cannot be combined with "appendix"', 'Give one of the two.');
  }
  const platform = r.string('platform', 'linux/amd64');
  if (!PLATFORM.test(platform))
    r.reject('platform', platform, 'expected OS/ARCH[/VARIANT], e.g. linux/amd64');
  const inputs: Inputs = {
    image: image ?? { registry: undefined, path: '', full: '' },
    tag,
    additionalTags,
    repoDir: r.string('repo-dir', '.'),
    subdir: r.optional('subdir'),
    repo2dockerVersion: r.string('repo2docker-version', '2026.04.0'),
    userName,
    userId,
    targetRepoDir,
    appendix,
    appendixFile,
    labels: r.keyValues('labels'),
    buildArgs: r.keyValues('build-args'),
    platform,
    extraArgs: r.list('extra-args', 'newline'),
    forceRebuild: r.boolean('force-rebuild', false),
    cacheFrom: r.list('cache-from', 'newline'),
    test: r.choice('test', ['auto', 'true', 'false'] as const, 'auto'),
    imageTestCommand: r.list('image-test-command', 'newline'),
    browserTestCommand: r.list('browser-test-command', 'newline'),
    browserTestTimeoutSeconds: r.integer('browser-test-timeout', 120, { min: 1, max: 3600 }),
    freeDiskSpace: r.boolean('free-disk-space', false),
    auth: {
      workloadIdentityProvider: r.optional('workload-identity-provider'),
      serviceAccount: r.optional('service-account'),
      credentialsJson: r.secret('credentials-json'),
      accessToken: r.secret('access-token'),
    },
  };
  r.finish();
  return inputs;
}
