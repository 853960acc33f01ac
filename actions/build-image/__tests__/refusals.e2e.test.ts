import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;

beforeAll(async () => {
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

const ENV = 'name: base\ndependencies: [python=3.11]\n';
// Key-shaped test material assembled at run time.
const PEM = ['-----BEGIN', 'PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END', 'PRIVATE KEY-----\n'].join(' ');
const DOCKER_CONFIG = JSON.stringify({
  auths: { 'us-central1-docker.pkg.dev': { auth: 'b2F1dGgyYWNjZXNzdG9rZW46eWEyOS5zZWNyZXQ=' } },
});

describe('credential files in the build context are refused before anything is built', () => {
  it.each<[string, Record<string, string>, string, RegExp]>([
    [
      'a docker config in a folder literally named $HOME',
      { '$HOME/.docker/config.json': DOCKER_CONFIG },
      '$HOME/.docker/config.json',
      /runner\.temp/,
    ],
    [
      'a docker config under .docker/',
      { '.docker/config.json': DOCKER_CONFIG },
      '.docker/config.json',
      /DOCKER_CONFIG outside the workspace/,
    ],
    [
      'a docker config anywhere',
      { 'ci/auth.json': DOCKER_CONFIG },
      'ci/auth.json',
      /DOCKER_CONFIG outside the workspace/,
    ],
    [
      'a gha-creds file',
      { 'gha-creds-0a1b2c3d4e5f6789.json': '{"type":"external_account"}' },
      'gha-creds-0a1b2c3d4e5f6789.json',
      /create_credentials_file: false/,
    ],
    [
      'a Google service-account key',
      {
        'keys/deploy.json': JSON.stringify({
          type: 'service_account',
          client_email: 'x@p.iam.gserviceaccount.com',
          private_key: PEM,
        }),
      },
      'keys/deploy.json',
      /disable the key in IAM/,
    ],
    [
      '.git-credentials',
      { '.git-credentials': 'https://u:ghp_abc@github.com\n' },
      '.git-credentials',
      /\.dockerignore/,
    ],
    ['.netrc', { '.netrc': 'machine github.com login u password p\n' }, '.netrc', /\.dockerignore/],
    [
      'an .npmrc with a token',
      { '.npmrc': '//registry.npmjs.org/:_authToken=npm_abc\n' },
      '.npmrc',
      /\.dockerignore/,
    ],
    [
      'a .pypirc with a password',
      { '.pypirc': '[pypi]\npassword = pypi-abc\n' },
      '.pypirc',
      /\.dockerignore/,
    ],
    ['a PEM private key', { 'certs/server.key': PEM }, 'certs/server.key', /treat it as exposed/],
  ])('refuses %s', async (_kind, files, path, fix) => {
    const image = fx.image('refuse');
    const { dir, sha } = await fx.repo(imageRepo({ ...files }));
    const { run, builds } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    const failure = run.annotations.find(
      (a) => a.level === 'error' && a.message.startsWith('build-image action failed'),
    );
    expect(failure?.message).toMatch(/that repo2docker would copy into the image, so nothing was built/);
    expect(failure?.message).toContain(`  - ${path}: `);
    expect(failure?.message).toMatch(fix);
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'error',
        title: 'Credential in the build context',
        file: join(dir, path),
      }),
    );
    expect(run.summary).toContain('**Failed**: the build context');
  });

  it('refuses the token actions/checkout leaves in .git/config', async () => {
    const image = fx.image('refuse-git');
    const { dir, sha } = await fx.repo(imageRepo());
    const { git } = await import('./fixture.js');
    await git(dir, [
      'config',
      'http.https://github.com/.extraheader',
      'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX2FiYw==',
    ]);
    const { run, builds } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    expect(
      run.annotations.find((a) => a.level === 'error' && a.message.startsWith('build-image'))?.message,
    ).toMatch(/\.git\/config: a git config holding a token\. .*persist-credentials: false/);
  });

  it('builds when .dockerignore keeps the credential files out', async () => {
    const image = fx.image('ignored');
    const { dir, sha } = await fx.repo(
      imageRepo({
        '$HOME/.docker/config.json': DOCKER_CONFIG,
        'gha-creds-0a1b2c3d4e5f6789.json': '{"type":"external_account"}',
        '.dockerignore': '$HOME\ngha-creds-*.json\n',
      }),
    );
    const { run, builds } = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.log).toContain('No credential files in what repo2docker will copy.');
  });

  // repo2docker reads .containerignore only for the images it generates (a Dockerfile build is BuildKit's, which
  // does not); the real one needs the network for those, so the double builds it.
  it('builds a generated image when .containerignore keeps a credential file out', async () => {
    const image = fx.image('containerignore');
    const { dir, sha } = await fx.repo({
      'environment.yml': ENV,
      'gha-creds-0a1b2c3d4e5f6789.json': '{"type":"external_account"}',
      '.containerignore': 'gha-creds-*.json\n',
    });
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image,
      inputs: { test: 'false' },
      double: true,
    });
    expect(run.exitCode).toBe(0);
    expect(builds).toHaveLength(1);
    expect(run.log).toContain('No credential files in what repo2docker will copy.');
  });

  it('refuses a Dockerfile build whose credential file only .containerignore leaves out: BuildKit copies it', async () => {
    const image = fx.image('containerignore-dockerfile');
    const { dir, sha } = await fx.repo(
      imageRepo({
        'gha-creds-0a1b2c3d4e5f6789.json': '{"type":"external_account"}',
        '.containerignore': 'gha-creds-*.json\n',
      }),
    );
    const { run, builds } = await fx.run({ workspace: dir, sha, image, inputs: { test: 'false' } });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    expect(
      run.annotations.find((a) => a.level === 'error' && a.message.startsWith('build-image action failed'))
        ?.message,
    ).toContain('gha-creds-0a1b2c3d4e5f6789.json');
  });
});

describe('bad inputs get a clear error before any build', () => {
  it.each<[string, Record<string, string>, Record<string, string | undefined>, RegExp]>([
    [
      'an uppercase image name',
      { image: '127.0.0.1:5000/Hub/Image' },
      {},
      /input "image" is "127\.0\.0\.1:5000\/Hub\/Image": path .* uppercase letters/,
    ],
    [
      'a malformed image name',
      { image: 'reg.example//image' },
      {},
      /input "image" is "reg\.example\/\/image": .*empty path component/,
    ],
    [
      'a bad tag',
      { tag: 'v1:latest' },
      {},
      /input "tag" is "v1:latest": tag "v1:latest" may contain only letters, digits/,
    ],
    [
      'a missing repo-dir',
      { 'repo-dir': 'no-such-dir' },
      {},
      /input "repo-dir" is "no-such-dir": is not a directory .*Check out the image repository first/,
    ],
    ['user-id 0', { 'user-id': '0' }, {}, /input "user-id" is "0": root cannot be the image user/],
    [
      'an unknown test value',
      { test: 'yes' },
      {},
      /input "test" is "yes": expected one of "auto", "true", "false"/,
    ],
    [
      'a repo-dir outside the workspace',
      { 'repo-dir': '../../etc' },
      {},
      /input "repo-dir" is "\.\.\/\.\.\/etc": resolves to \/etc, outside the workspace .*Give a path inside the workspace/,
    ],
    [
      '--push in extra-args',
      { 'extra-args': '--push' },
      {},
      /input "extra-args" "--push" is not allowed: build-image never pushes/,
    ],
  ])('refuses %s', async (_name, inputs, env, message) => {
    const image = fx.image('bad');
    const { dir, sha } = await fx.repo(imageRepo());
    const { run, invocations } = await fx.run({ workspace: dir, sha, image, inputs, env });
    expect(run.exitCode).toBe(1);
    expect(invocations).toEqual([]);
    // As documented: `built` is false, and `tests` skipped, when the action failed before building.
    expect(run.outputs).toMatchObject({ built: 'false', tests: 'skipped' });
    const failure = run.annotations.find((a) => a.level === 'error');
    expect(failure?.message).toMatch(message);
    expect(run.log).not.toMatch(/unexpected error/);
  });

  it('reads no appendix-file, and no subdir, from outside the workspace', async () => {
    const { dir, sha } = await fx.repo(imageRepo({ 'images/.keep': '' }));
    const elsewhere = await fx.tempDir('elsewhere');
    await writeFile(join(elsewhere, 'appendix'), 'RUN echo appendix-from-outside-0f3c\n');
    await symlink(elsewhere, join(dir, 'images', 'out'));
    const { run, invocations } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('outside'),
      inputs: { 'appendix-file': relative(dir, join(elsewhere, 'appendix')), subdir: 'images/out' },
    });
    expect(run.exitCode).toBe(1);
    expect(invocations).toEqual([]);
    const message = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(message).toMatch(
      /input "appendix-file" is "\.\.\/[^"]+\/appendix": resolves to \S+, outside the workspace/,
    );
    expect(message).toMatch(/input "subdir" is "images\/out": resolves to \S+, outside the workspace/);
    expect(run.log).not.toContain('appendix-from-outside-0f3c');
  });

  it('refuses a repository with both binder/ and .binder/', async () => {
    const { dir, sha } = await fx.repo({
      'binder/environment.yml': ENV,
      '.binder/requirements.txt': 'numpy\n',
    });
    const { run, invocations } = await fx.run({ workspace: dir, sha, image: fx.image('binder') });
    expect(run.exitCode).toBe(1);
    expect(invocations).toEqual([]);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /input "repo-dir" is ".": holds both binder\/ and \.binder\/, which repo2docker refuses/,
    );
  });

  it('says what to start or install when there is no docker engine', async () => {
    const { dir, sha } = await fx.repo(imageRepo());
    const socket = join(await fx.tempDir('no-docker'), 'docker.sock');
    await mkdir(join(socket, '..'), { recursive: true });
    const { run, builds } = await fx.run({
      workspace: dir,
      sha,
      image: fx.image('nodocker'),
      env: { DOCKER_HOST: `unix://${socket}` },
    });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      new RegExp(
        `no docker engine answers at unix://${socket.replace(/[.]/g, '\\.')}: .*Start the docker daemon .*Install Docker Engine`,
      ),
    );
  });
});
