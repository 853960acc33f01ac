import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import { parseImageName, validateTag, type ImageName } from '@hub-image-actions/image-ref';

export type DeploymentAuth =
  { mode: 'token'; token: string } | { mode: 'app'; appId: string; privateKey: string };

export interface Inputs {
  image: ImageName;
  tag: string;
  deploymentRepo: { owner: string; repo: string };
  baseBranch: string;
  paths: string[];
  exclude: string[];
  hubs: string[];
  labels: boolean;
  sourceRepo: string | undefined;
  sourceSha: string | undefined;
  authorName: string;
  authorEmail: string;
  dryRun: boolean;
  auth: DeploymentAuth;
  sourceToken: string | undefined;
}

const REPO = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

export function parseRepo(value: string): { owner: string; repo: string } {
  const match = REPO.exec(value);
  if (!match || match[2]?.endsWith('.git'))
    throw new Error('expected OWNER/NAME, e.g. cal-icor/cal-icor-hubs');
  return { owner: match[1] ?? '', repo: match[2] ?? '' };
}

/** Reads and validates every input; throws all problems at once, before anything is cloned. */
export function readInputs(source: InputSource = runnerInputs): Inputs {
  const r = new InputReader(source);
  const image = r.check('image', r.required('image', 'the image name without tag'), parseImageName);
  const tag = r.check('tag', r.required('tag', 'the new tag'), validateTag);
  const deploymentRepo = r.check('deployment-repo', r.required('deployment-repo', 'OWNER/NAME'), parseRepo);
  const sourceRepo = r.optional('source-repo');
  r.check('source-repo', sourceRepo, parseRepo);
  const sourceSha = r.optional('source-sha');
  if (sourceSha !== undefined && !/^[0-9a-f]{7,64}$/i.test(sourceSha)) {
    r.reject('source-sha', sourceSha, 'expected a hex commit SHA');
  }
  const token = r.secret('token');
  const appId = r.optional('app-id');
  const privateKey = r.secret('private-key');
  let auth: DeploymentAuth | undefined;
  if (token !== undefined && (appId !== undefined || privateKey !== undefined)) {
    r.reject(
      'token',
      undefined,
      'conflicts with "app-id" / "private-key": give a token or a GitHub App, not both',
    );
  } else if (token !== undefined) {
    auth = { mode: 'token', token };
  } else if (appId !== undefined && privateKey !== undefined) {
    if (!/^[0-9]+$/.test(appId)) r.reject('app-id', appId, 'expected the numeric GitHub App id');
    auth = { mode: 'app', appId, privateKey };
  } else {
    r.reject(
      appId === undefined && privateKey === undefined
        ? 'token'
        : appId === undefined
          ? 'app-id'
          : 'private-key',
      undefined,
      'is required: give "token", or "app-id" and "private-key"',
    );
  }
  const inputs = {
    image,
    tag,
    deploymentRepo,
    baseBranch: r.string('base-branch', 'staging'),
    paths: r.list('paths', 'newline'),
    exclude: r.list('exclude', 'newline'),
    hubs: r.list('hubs'),
    labels: r.boolean('labels', true),
    sourceRepo,
    sourceSha,
    authorName: r.string('author-name', 'hub-image-bot'),
    authorEmail: r.string('author-email', 'hub-image-bot@users.noreply.github.com'),
    dryRun: r.boolean('dry-run', false),
    auth,
    sourceToken: r.secret('source-token'),
  };
  r.finish();
  return inputs as Inputs;
}
