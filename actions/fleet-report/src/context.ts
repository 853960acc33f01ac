import { tmpdir } from 'node:os';
import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import { readGarAuth, type GarAuth } from '@hub-image-actions/gar-auth';
import { parseRepo, readGitHubAuth, type GitHubAuth, type Repo } from '@hub-image-actions/github-access';
import { validateRegistry } from '@hub-image-actions/image-ref';

const DEFAULT_REPOS_FILE = 'configs/repos.txt';

export const FAIL_ON = ['broken', 'any', 'none'] as const;
export type FailOn = (typeof FAIL_ON)[number];

export interface Inputs {
  deploymentRepo: Repo;
  /** The deploy branches, first the one changes land on (staging); each is also the hubploy environment it deploys. */
  branches: string[];
  paths: string[];
  exclude: string[];
  reposFile: string;
  /** False when `repos-file` is the default (the runner passes defaults too): a missing file is then only a notice. */
  reposFileGiven: boolean;
  /** The registry host whose images the report covers, and the only host the registry credential goes to. */
  registry: string;
  /** Globs of image names (without tag) to cover instead of every image on `registry`. */
  images: string[];
  driftDays: number;
  failOn: FailOn;
  issue: boolean;
  issueTitle: string;
  auth: GitHubAuth;
  sourceToken: string | undefined;
  registryAuth: GarAuth | undefined;
}

export interface RunnerEnvironment {
  serverUrl: string;
  runnerTemp: string;
  /** Link to this run, for the issue. */
  runUrl: string | undefined;
}

// What git accepts in a branch name, less what would need quoting in a refspec or a message.
const BRANCH = /^(?!\/|.*(?:\/\/|\.\.|@\{|\/\.|\.lock$|\.$|\/$))[A-Za-z0-9._/-]+$/;

/** Reads and validates every input; throws all problems at once, before anything is fetched. */
export function readInputs(source: InputSource = runnerInputs, env: NodeJS.ProcessEnv = process.env): Inputs {
  const r = new InputReader(source);
  const repoValue = r.optional('deployment-repo') ?? env['GITHUB_REPOSITORY'];
  if (repoValue === undefined)
    r.reject('deployment-repo', undefined, 'is required outside a workflow run: give OWNER/NAME');
  const deploymentRepo = r.check('deployment-repo', repoValue, parseRepo);
  const branches = r.list('branches');
  if (branches.length === 0)
    r.reject('branches', undefined, 'is empty: give the deploy branches, e.g. staging and prod');
  for (const branch of branches) {
    if (!BRANCH.test(branch)) r.reject('branches', branch, 'is not a branch name');
  }
  if (new Set(branches).size !== branches.length)
    r.reject('branches', branches.join(', '), 'names a branch twice');
  const paths = r.list('paths', 'newline');
  if (paths.length === 0)
    r.reject('paths', undefined, 'is empty: give at least one glob of deployment files');
  const reposFile = r.optional('repos-file');
  if (reposFile !== undefined && (reposFile.startsWith('/') || reposFile.split('/').includes('..'))) {
    r.reject(
      'repos-file',
      reposFile,
      'must be a path inside the deployment repository, e.g. configs/repos.txt',
    );
  }
  const registry = r.check('registry', r.string('registry', 'us-central1-docker.pkg.dev'), validateRegistry);
  const inputs = {
    deploymentRepo,
    branches,
    paths,
    exclude: r.list('exclude', 'newline'),
    reposFile: reposFile ?? DEFAULT_REPOS_FILE,
    reposFileGiven: reposFile !== undefined && reposFile !== DEFAULT_REPOS_FILE,
    registry: registry?.toLowerCase(),
    images: r.list('images', 'newline'),
    driftDays: r.integer('drift-days', 7, { min: 0, max: 3650 }),
    failOn: r.choice('fail-on', FAIL_ON, 'broken'),
    issue: r.boolean('issue', false),
    issueTitle: r.string('issue-title', 'Fleet report: hub images'),
    auth: readGitHubAuth(r),
    sourceToken: r.secret('source-token'),
    registryAuth: readGarAuth(r, { required: false }),
  };
  r.finish();
  return inputs as Inputs;
}

export function runnerEnvironment(env: NodeJS.ProcessEnv = process.env): RunnerEnvironment {
  const serverUrl = (env['GITHUB_SERVER_URL'] ?? 'https://github.com').replace(/\/+$/, '');
  const repository = env['GITHUB_REPOSITORY'];
  const runId = env['GITHUB_RUN_ID'];
  return {
    serverUrl,
    runnerTemp: env['RUNNER_TEMP'] ?? tmpdir(),
    runUrl:
      repository !== undefined && runId !== undefined
        ? `${serverUrl}/${repository}/actions/runs/${runId}`
        : undefined,
  };
}
