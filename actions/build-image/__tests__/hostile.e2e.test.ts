// The hostile-input table of build-image: path inputs that leave the workspace (by "..", an absolute path or a
// symlink), bad names, ranges at and beyond their bounds, keywords in any case. Each row fails at its inputs: nothing
// is built, pushed or read from outside the workspace, the outputs say so (built false, tests skipped), no private
// docker config is left in RUNNER_TEMP, and no secret shows.
import { afterAll, beforeAll, jest } from '@jest/globals';
import { symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { docker } from '@hub-image-actions/local-world/docker-engine';
import {
  hostileTable,
  rowsOf,
  treeListing,
  type HostileRow,
} from '@hub-image-actions/local-world/hostile-table';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

const ACTION = 'build-image';
const OUTSIDE_SECRET = 'RUN echo outside-secret-9c2e41d7a0b8';
let fx: Fixture;
let ws: string;
let sha: string;
let outside: string;
let image: string;

beforeAll(async () => {
  fx = await Fixture.start();
  ({ dir: ws, sha } = await fx.repo(
    imageRepo({ 'images/.keep': '', 'image-tests/test_ok.py': 'def test_ok():\n    pass\n' }),
  ));
  outside = await fx.tempDir('outside');
  await writeFile(join(outside, 'appendix'), `${OUTSIDE_SECRET}\n`);
  await symlink(outside, join(ws, 'out'));
  image = fx.image('hostile');
});

afterAll(async () => {
  await fx?.stop();
});

const failed = { built: 'false', tests: 'skipped' };
const { refused, leaves, accepted } = rowsOf(ACTION, {
  bad: ['user-id', '0'],
  outputs: failed,
  notInLog: [OUTSIDE_SECRET],
});

const rows: HostileRow[] = [
  leaves('repo-dir', '../../etc'),
  leaves('repo-dir', '/etc'),
  leaves('repo-dir', 'out'),
  leaves('appendix-file', () => relative(ws, join(outside, 'appendix')), '../…/appendix'),
  leaves('appendix-file', () => join(outside, 'appendix'), 'an absolute path outside'),
  leaves('appendix-file', 'out/appendix'),
  leaves('subdir', 'out'),
  refused('subdir', '../x', 'expected a relative path inside repo-dir, without ".."'),
  refused('subdir', '/etc', 'expected a relative path inside repo-dir, without ".."'),
  refused('repo-dir', 'no-such-dir', 'is not a directory'),
  refused('image', '127.0.0.1:5000/Hub/Image', 'path .* uppercase letters'),
  refused('image', 'reg.example//image', '.*empty path component'),
  refused('tag', 'v1:latest'),
  refused('user-id', '0', 'root cannot be the image user'),
  refused('test', 'yes', 'expected one of "auto", "true", "false"'),
  refused('force-rebuild', 'yes', 'expected true or false'),
  refused('browser-test-timeout', '0', 'expected a whole number from 1 to 3600'),
  refused('browser-test-timeout', '3601', 'expected a whole number from 1 to 3600'),
  refused('browser-test-port', '65536', 'expected a whole number from 0 to 65535'),
  {
    name: 'extra-args: --push',
    inputs: { 'extra-args': '--push' },
    error: /^build-image action failed: input "extra-args" "--push" is not allowed: build-image never pushes/,
    outputs: failed,
  },
  accepted({ test: 'TRUE', 'force-rebuild': 'False', 'free-disk-space': 'fAlSe' }),
  accepted({ test: 'Auto' }),
  accepted({ 'browser-test-timeout': '1' }),
  accepted({ 'browser-test-timeout': '3600' }),
  accepted(() => ({ image: image.replace(/^127\.0\.0\.1/, 'LOCALHOST') }), 'image: LOCALHOST:PORT/…'),
];

hostileTable(
  'build-image: hostile inputs',
  {
    action: ACTION,
    inputs: () => ({ image, 'browser-test-port': '0', 'access-token': fx.token }),
    env: () => ({ GITHUB_SHA: sha, GITHUB_SERVER_URL: 'https://github.com' }),
    workspace: () => ws,
    secrets: () => ({ 'access token': fx.token, 'a file outside the workspace': OUTSIDE_SECRET }),
    world: async () => ({
      registry: await treeListing(fx.registry.storageDir),
      images: (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `${image}*`])).stdout,
    }),
    recordArgvOf: ['repo2docker', 'docker'],
  },
  rows,
);
