// The hostile-input table of bump-hubploy: bad names, tags and repos, globs that leave the clone or match nothing,
// misspelt or malformed credentials, keywords and hosts in any case. No row pushes a branch or opens a pull request,
// each leaves RUNNER_TEMP as it found it (no clone, no credential) and shows no secret.
import { jest } from '@jest/globals';
import { makeTempDir } from '@hub-image-actions/local-world/tmp';
import {
  escapeRegExp,
  hostileTable,
  refusal,
  rowsOf,
  type HostileRow,
} from '@hub-image-actions/local-world/hostile-table';
import { beforeAll } from '@jest/globals';
import { DEPLOY_TOKEN, hubFiles, SOURCE_TOKEN, suiteWorld } from './world.js';

jest.setTimeout(120_000);

const ACTION = 'bump-hubploy';
const BAD_KEY = 'not-a-key-3b9f0c1e5a7d2468';
const suite = suiteWorld(2);
let deployment: string;
let ws: string;
beforeAll(async () => {
  deployment = await suite.world.deployment('hostile', hubFiles({ a: 'PLACEHOLDER', b: 'PLACEHOLDER' }));
  ws = await makeTempDir('bump-hostile-ws');
});

const { refused, accepted } = rowsOf(ACTION, { bad: ['tag', 'v1..2'] });

const rows: HostileRow[] = [
  refused('image', 'us-central1-docker.pkg.dev/Cal-Icor/user-images/base'),
  refused('image', 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base:latest'),
  refused('tag', 'v1..2', 'git rejects it in a branch name'),
  refused('tag', 'v1:latest'),
  refused('deployment-repo', 'not-a-repo'),
  refused('source-sha', 'xyz', 'expected a hex commit SHA'),
  refused('hubs', 'bad/name', 'expected hub names'),
  refused('author-email', 'nobody', 'expected an e-mail address'),
  refused('author-name', 'a<b', 'may not contain'),
  refused('dry-run', 'maybe', 'expected true or false'),
  refused('labels', 'maybe', 'expected true or false'),
  refused('packages', 'maybe', 'expected true or false'),
  accepted({ 'dry-run': 'True', labels: 'FALSE', packages: 'fAlse' }),
  accepted(
    { image: 'US-CENTRAL1-DOCKER.PKG.DEV/cal-icor-hubs/user-images/base-user-image' },
    'an image host in upper case',
  ),
  ...['nothing/*.yaml', '../../etc/*', '/etc/*', 'deployments/../../*'].map((glob): HostileRow => ({
    name: `paths: ${glob} (matches no file of the deployment repo)`,
    inputs: { paths: glob },
    exitCode: 0,
    warning: new RegExp(
      `^input "paths" is "${escapeRegExp(glob)}": it matches no file in staging, so no hub was looked at`,
    ),
    outputs: { changed: 'false' },
  })),
  {
    name: 'paths: blank',
    inputs: { paths: ' \n' },
    error: /^bump-hubploy action failed: input "paths" is empty/,
  },
  {
    name: 'a misspelt path: a warning names both',
    inputs: { path: 'deployments/*/config/*.yaml', tag: 'v1..2' },
    warning: /^input "path" is not an input of bump-hubploy, so its value is ignored; did you mean "paths"\?/,
    error: refusal(ACTION, 'tag', 'v1..2'),
  },
  {
    name: 'app-id with a private key that is not a key',
    inputs: { token: '', 'app-id': '12345', 'private-key': BAD_KEY },
    error: /^bump-hubploy action failed: input "private-key" /,
  },
];

hostileTable(
  'bump-hubploy: hostile inputs',
  {
    action: ACTION,
    inputs: () => ({
      image: 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image',
      tag: (suite.image.shas[1] ?? '').slice(0, 12),
      'deployment-repo': deployment,
      token: DEPLOY_TOKEN,
    }),
    env: () => ({
      GITHUB_API_URL: suite.world.github.url,
      GITHUB_SERVER_URL: suite.world.github.serverUrl,
      GITHUB_REPOSITORY: suite.image.repo,
      GITHUB_SHA: suite.image.shas[1] ?? '',
    }),
    githubToken: () => SOURCE_TOKEN,
    workspace: () => ws,
    secrets: () => ({ 'deploy token': DEPLOY_TOKEN, 'job token': SOURCE_TOKEN, 'private key': BAD_KEY }),
    world: async () => ({
      branches: await suite.world.git.branches(deployment),
      pulls: suite.world.pullsOf(deployment).length,
      pushes: suite.world.git.requests.filter((r) => r.service === 'git-receive-pack' && r.method === 'POST')
        .length,
    }),
    recordArgvOf: ['git'],
  },
  rows,
);
