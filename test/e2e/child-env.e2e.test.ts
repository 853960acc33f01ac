// The environment of every program each action starts, read from /proc/PID/environ while the action runs (the argv
// shims record each call of the named programs; the /proc watch catches the rest): no child holds the action's
// inputs, the OIDC request variables or the runner's token, nor any secret value, raw or encoded.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { cleanupRun, runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { findLeaks } from '@hub-image-actions/local-world/leak-checker';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';
import { Fixture } from '../../actions/build-image/__tests__/fixture.js';
import { DEPLOY_TOKEN, hubFiles, World } from '../../actions/bump-hubploy/__tests__/world.js';
import {
  DEPLOY_TOKEN as FLEET_TOKEN,
  hubFile,
  World as FleetWorld,
} from '../../actions/fleet-report/__tests__/world.js';
import {
  buildImage,
  push,
  secretsOf,
  uniqueRepository,
  useServices,
  type Services,
} from '../../actions/push-to-gar/__tests__/helpers.js';

jest.setTimeout(300_000);

const WITHHELD = /^(INPUT_|ACTIONS_ID_TOKEN_REQUEST_|ACTIONS_RUNTIME_TOKEN$)/i;
const RUNTIME_TOKEN = `runtime-${randomBytes(12).toString('hex')}`;
const OIDC_REQUEST_TOKEN = `oidc-request-${randomBytes(12).toString('hex')}`;

/** What the runner puts in every step's environment that no program of ours needs. */
function runnerSecrets(oidcUrl = 'http://127.0.0.1:9/oidc'): Record<string, string> {
  return {
    ACTIONS_RUNTIME_TOKEN: RUNTIME_TOKEN,
    ACTIONS_ID_TOKEN_REQUEST_URL: oidcUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: OIDC_REQUEST_TOKEN,
  };
}

function programOf(argv: readonly string[]): string {
  return basename(argv[0] ?? '');
}

/**
 * Fails on any withheld variable or secret value in any child of `runs`; `expected` proves the watch saw work.
 * `allowed` names the variables that carry a secret by the action's design (and are checked by its own tests).
 */
async function expectCleanChildren(
  runs: ActionRun[],
  secrets: Record<string, string>,
  expected: Array<(argv: string[]) => boolean>,
  allowed: (name: string, value: string) => boolean = () => false,
): Promise<void> {
  const children = runs
    .flatMap((run) => run.children)
    .map((child) => ({
      ...child,
      env: Object.fromEntries(Object.entries(child.env).filter(([name, value]) => !allowed(name, value))),
    }));
  for (const seen of expected) expect(children.some((child) => seen(child.argv))).toBe(true);
  const withheld = children.flatMap((child) =>
    Object.keys(child.env)
      .filter((name) => WITHHELD.test(name))
      .map((name) => `${child.argv.slice(0, 3).join(' ')}: ${name}`),
  );
  expect(withheld).toEqual([]);
  const texts = Object.fromEntries(
    children.map((child, i) => [
      `env of #${i} ${child.argv.slice(0, 3).join(' ')}`,
      Object.entries(child.env)
        .map(([name, value]) => `${name}=${value}`)
        .join('\n'),
    ]),
  );
  expect(
    await findLeaks(
      { ...secrets, 'runtime token': RUNTIME_TOKEN, 'OIDC request token': OIDC_REQUEST_TOKEN },
      { texts },
    ),
  ).toEqual([]);
}

const docker = (command: string) => (argv: string[]) =>
  programOf(argv) === 'docker' && argv.includes(command);

describe('push-to-gar', () => {
  let s: Services;
  useServices((started) => (s = started));

  it('with a key: inspect, login, push and untag get neither the key nor a token', async () => {
    const image = await buildImage('child-env');
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${uniqueRepository('child-env')}`,
        tags: 'v1',
        source: image.ref,
        'credentials-json': s.google.serviceAccountKey().json,
      },
      env: runnerSecrets(s.google.oidcEnv()['ACTIONS_ID_TOKEN_REQUEST_URL']),
      watchChildren: true,
    });
    expect(run.exitCode).toBe(0);
    const post = await run.post();
    await expectCleanChildren([run, post], secretsOf(s.google), [
      docker('inspect'),
      docker('login'),
      docker('push'),
      docker('tag'),
    ]);
  });

  it('with a given access token', async () => {
    const image = await buildImage('child-env-token');
    const token = `ya29.given-${randomBytes(18).toString('base64url')}`;
    await s.registry.setUser('oauth2accesstoken', token);
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${uniqueRepository('child-env-token')}`,
        tags: 'v1',
        source: image.ref,
        'access-token': token,
      },
      env: runnerSecrets(),
      watchChildren: true,
    });
    expect(run.exitCode).toBe(0);
    await expectCleanChildren([run], { 'access token': token }, [docker('login'), docker('push')]);
  });
});

describe('build-image', () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await Fixture.start();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('logging in to pull its cache, building and testing: no child gets the token', async () => {
    const image = fx.image('child-env');
    const { dir, sha: parent } = await fx.repo({
      'environment.yml': 'name: base\ndependencies: [python=3.11]\n',
      'image-tests/test_ok.py': 'def test_ok():\n    pass\n',
    });
    const first = await fx.run({ workspace: dir, sha: parent, image, inputs: { test: 'false' } });
    expect(first.run.exitCode).toBe(0);
    await fx.push(first.run.outputs['local-image'] ?? '', image, [parent.slice(0, 12)]);
    const sha = await fx.commit(dir, { 'README.md': 'change\n' });
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image,
      env: runnerSecrets(),
      recordArgvOf: ['docker', 'git', 'repo2docker'],
      watchChildren: true,
    });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('Logged in to');
    const post = await run.post();
    await expectCleanChildren([run, post], { 'access token': fx.token }, [
      docker('login'),
      (argv) => programOf(argv) === 'repo2docker',
      (argv) => programOf(argv) === 'git',
    ]);
  });
});

describe('bump-hubploy', () => {
  let world: World;
  beforeAll(async () => {
    world = await World.start();
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('cloning, committing and pushing: git gets no input and no runner variable, and the token only as its http.extraHeader', async () => {
    const source = await world.imageRepo('child-env-image', 1);
    const repo = await world.deployment('child-env', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await world.run({
      deployment: repo,
      source: source.repo,
      sha: source.shas[0] ?? '',
      env: runnerSecrets(),
      recordArgvOf: ['git'],
      watchChildren: true,
    });
    expect(run.outputs['operation']).toBe('created');
    const post = await run.post().catch(() => undefined);
    // By bump-hubploy's design, git gets the token as an http.extraHeader in GIT_CONFIG_VALUE_n (base64 in a Basic
    // credential): that variable alone is let through here.
    const extraHeader = (name: string, value: string) =>
      /^GIT_CONFIG_VALUE_[0-9]+$/.test(name) && value.startsWith('Authorization: Basic ');
    await expectCleanChildren(
      post === undefined ? [run] : [run, post],
      { token: DEPLOY_TOKEN },
      [(argv) => programOf(argv) === 'git' && argv.includes('push')],
      extraHeader,
    );
    // When that changes, this fails: drop the exception above.
    expect(run.children.some((child) => Object.entries(child.env).some(([n, v]) => extraHeader(n, v)))).toBe(
      true,
    );
    await cleanupRun(run);
  });
});

describe('fleet-report', () => {
  let world: FleetWorld;
  beforeAll(async () => {
    world = await FleetWorld.start();
  });
  afterAll(async () => {
    await world?.stop();
  });

  it('reading the deploy branches: git gets no input and no runner variable, and the token only as its http.extraHeader', async () => {
    const image = `${world.registry.host}/proj/user-images/child-env-image`;
    const hubs = hubFile('a', image, 'PLACEHOLDER');
    const repo = await world.deployment('child-env-fleet', { staging: hubs, prod: hubs });
    const run = await world.run({
      deployment: repo,
      inputs: { 'fail-on': 'none' },
      env: runnerSecrets(),
      recordArgvOf: ['git'],
      watchChildren: true,
    });
    expect(run.outputs['hubs']).toBe('1');
    // As for bump-hubploy: the token reaches git only as an http.extraHeader in GIT_CONFIG_VALUE_n.
    const extraHeader = (name: string, value: string) =>
      /^GIT_CONFIG_VALUE_[0-9]+$/.test(name) && value.startsWith('Authorization: Basic ');
    await expectCleanChildren(
      [run],
      { token: FLEET_TOKEN },
      [(argv) => programOf(argv) === 'git' && argv.includes('fetch')],
      extraHeader,
    );
    await cleanupRun(run);
  });
});

describe('yamllint-runner', () => {
  it('linting: yamllint gets none of the runner variables', async () => {
    const workspace = await makeTempDir('child-env-yamllint');
    await mkdir(join(workspace, 'config'), { recursive: true });
    await writeFile(join(workspace, 'config', 'a.yaml'), 'key: value\n');
    const run = await runAction({
      action: 'yamllint-runner',
      workspace,
      inputs: { paths: 'config', 'config-data': 'extends: default' },
      env: runnerSecrets(),
      // No argv shim for yamllint: the action runs yamllint's own Python code, which a shim is not.
      recordArgvOf: ['git'],
      watchChildren: true,
    });
    expect(run.outputs['outcome']).toBe('passed');
    await expectCleanChildren([run], {}, [(argv) => argv.some((arg) => arg.includes('yamllint'))]);
    await cleanupRun(run);
    await removeDir(workspace);
  });
});
