import { tmpdir } from 'node:os';
import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import { readGarAuth, type GarAuth } from '@hub-image-actions/gar-auth';
import { parseRepo, readGitHubAuth, type GitHubAuth, type Repo } from '@hub-image-actions/github-access';
import { parseImageName, validateTag, type ImageName } from '@hub-image-actions/image-ref';
import { tagKind } from './order.js';

export interface Inputs {
  image: ImageName;
  tag: string;
  deploymentRepo: Repo;
  baseBranch: string;
  paths: string[];
  exclude: string[];
  hubs: string[];
  labels: boolean;
  sourceRepo: Repo | undefined;
  sourceSha: string | undefined;
  authorName: string;
  authorEmail: string;
  dryRun: boolean;
  auth: GitHubAuth;
  sourceToken: string | undefined;
  /** Show in the pull request what changes in the images' packages. */
  packages: boolean;
  /** For reading the package manifests from a private registry; undefined: anonymous reads. */
  registryAuth: GarAuth | undefined;
}

/** What the runner tells the action about where it runs. */
export interface RunnerEnvironment {
  /** Web and git host, e.g. https://github.com; the deployment repo is cloned from `<serverUrl>/OWNER/NAME.git`. */
  serverUrl: string;
  runnerTemp: string;
}

const HUB = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Reads and validates every input; throws all problems at once, before anything is cloned. */
export function readInputs(source: InputSource = runnerInputs, env: NodeJS.ProcessEnv = process.env): Inputs {
  const r = new InputReader(source);
  const image = r.check('image', r.required('image', 'the image name without tag'), parseImageName);
  const tag = r.check('tag', r.required('tag', 'the new tag'), validateTag);
  const deploymentRepo = r.check('deployment-repo', r.required('deployment-repo', 'OWNER/NAME'), parseRepo);
  const sourceRepoValue = r.optional('source-repo') ?? env['GITHUB_REPOSITORY'];
  const sourceRepo = r.check('source-repo', sourceRepoValue, parseRepo);
  const sourceSha = r.optional('source-sha') ?? env['GITHUB_SHA'];
  if (sourceSha !== undefined && !/^[0-9a-f]{7,64}$/i.test(sourceSha)) {
    r.reject('source-sha', sourceSha, 'expected a hex commit SHA');
  } else if (tag !== undefined && tagKind(tag) === 'commit' && sourceSha !== undefined) {
    if (!sourceSha.toLowerCase().startsWith(tag)) {
      r.reject(
        'tag',
        tag,
        `looks like a commit prefix but "source-sha" (${sourceSha}) does not start with it`,
        'Pass the commit the image was built from as "source-sha", so the downgrade guard compares the right commits',
      );
    }
  }
  const auth = readGitHubAuth(r);
  const hubs = r.list('hubs');
  for (const hub of hubs) {
    if (!HUB.test(hub)) r.reject('hubs', hub, 'expected hub names (the folder names under deployments/)');
  }
  const paths = r.list('paths', 'newline');
  if (paths.length === 0)
    r.reject('paths', undefined, 'is empty: give at least one glob of files to consider');
  const authorEmail = r.string('author-email', 'hub-image-bot@users.noreply.github.com');
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(authorEmail))
    r.reject('author-email', authorEmail, 'expected an e-mail address');
  const authorName = r.string('author-name', 'hub-image-bot');
  if (/[<>\n]/.test(authorName))
    r.reject('author-name', authorName, 'may not contain "<", ">" or line breaks');
  const baseBranch = r.string('base-branch', 'staging');
  const inputs = {
    image,
    tag,
    deploymentRepo,
    baseBranch,
    paths,
    exclude: r.list('exclude', 'newline'),
    hubs,
    labels: r.boolean('labels', true),
    sourceRepo,
    sourceSha: sourceSha?.toLowerCase(),
    authorName,
    authorEmail,
    dryRun: r.boolean('dry-run', false),
    auth,
    sourceToken: r.secret('source-token'),
    packages: r.boolean('packages', true),
    registryAuth: readGarAuth(r, { required: false }),
  };
  r.finish();
  return inputs as Inputs;
}

export function runnerEnvironment(env: NodeJS.ProcessEnv = process.env): RunnerEnvironment {
  return {
    serverUrl: (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, ''),
    runnerTemp: env['RUNNER_TEMP'] ?? tmpdir(),
  };
}
