import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BUSYBOX_IMAGE } from '../src/base-images.js';
import { docker, removeImages, runCommand } from '../src/docker-engine.js';
import { findLeaks, leakForms, type Leak } from '../src/leak-checker.js';
import { makeTempDir, removeDir } from '../src/tmp.js';

// Chosen so that its base64 and base64url forms differ ('?' and '>' encode to '/' and '+' or '_' and '-').
const TOKEN = 'ya29.tok?en>>value~1234';
const PASSWORD = 'p@ss word/with&chars=1';
const FILE_NAME_SECRET = 'filename-secret-5678';

function allNeedles(...secrets: string[]): string[] {
  return secrets.flatMap((secret) => leakForms(secret).map(({ needle }) => needle));
}

/** The report itself must not carry any form of the secrets. */
function expectNoSecretIn(leaks: Leak[], ...secrets: string[]) {
  const text = JSON.stringify(leaks);
  for (const needle of allNeedles(...secrets)) expect(text).not.toContain(needle);
}

describe('leakForms', () => {
  it('refuses secrets shorter than 8 characters', () => {
    expect(() => leakForms('short')).toThrow(/at least 8 characters/);
    expect(leakForms('12345678').length).toBeGreaterThan(1);
  });

  it('lists raw, base64, base64url and url forms, without duplicates', () => {
    const forms = leakForms(TOKEN);
    expect(forms[0]).toEqual({ encoding: 'raw', needle: TOKEN });
    expect(forms.filter((form) => form.encoding === 'base64')).toHaveLength(3);
    // An alignment whose base64url form equals its base64 form is listed once, as base64.
    expect(forms.filter((form) => form.encoding === 'base64url').length).toBeGreaterThanOrEqual(1);
    expect(forms.filter((form) => form.encoding === 'url')).toEqual([
      { encoding: 'url', needle: encodeURIComponent(TOKEN) },
    ]);
    expect(new Set(forms.map((form) => form.needle)).size).toBe(forms.length);
    expect(leakForms('plain-token-1234').map((form) => form.encoding)).not.toContain('url');
  });

  it.each(['base64', 'base64url'] as const)(
    'finds the secret %s-encoded inside any longer encoded string',
    (encoding) => {
      const needles = leakForms(TOKEN)
        .filter((form) => form.encoding === encoding || form.encoding === 'base64')
        .map((form) => form.needle);
      for (let before = 0; before < 7; before++) {
        for (let after = 0; after < 4; after++) {
          const data = Buffer.concat([randomBytes(before), Buffer.from(TOKEN), randomBytes(after)]);
          const encoded = data.toString(encoding);
          expect(needles.some((needle) => encoded.includes(needle))).toBe(true);
        }
      }
    },
  );
});

describe('findLeaks in texts and files', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir('leaks');
  });

  afterAll(async () => {
    await removeDir(dir);
  });

  it('finds a raw secret in a text and a url-encoded one in a URL', async () => {
    const leaks = await findLeaks(
      { token: TOKEN, password: PASSWORD },
      {
        texts: {
          'build log': `pushing with token ${TOKEN} now`,
          'clone output': `cloning https://user:${encodeURIComponent(PASSWORD)}@git.example/repo.git`,
          'clean output': 'nothing to see here',
        },
      },
    );
    expect(leaks).toEqual([
      { secret: 'token', encoding: 'raw', where: 'build log' },
      { secret: 'password', encoding: 'url', where: 'clone output' },
    ]);
    expectNoSecretIn(leaks, TOKEN, PASSWORD);
  });

  it('finds base64 of "user:secret" in a docker config deep in a tree, and ignores symlinks', async () => {
    const workspace = join(dir, 'workspace');
    const dockerDir = join(workspace, 'a', 'b', '$HOME', '.docker');
    await mkdir(dockerDir, { recursive: true });
    const auth = Buffer.from(`oauth2accesstoken:${TOKEN}`).toString('base64');
    const configPath = join(dockerDir, 'config.json');
    await writeFile(configPath, JSON.stringify({ auths: { 'us-central1-docker.pkg.dev': { auth } } }));
    // Outside the workspace, reachable only through symlinks (and one loop): never read.
    await mkdir(join(dir, 'outside'));
    await writeFile(join(dir, 'outside', 'token.txt'), TOKEN);
    await symlink(join(dir, 'outside'), join(workspace, 'linked-dir'));
    await symlink(join(dir, 'outside', 'token.txt'), join(workspace, 'linked-file'));
    await symlink(workspace, join(workspace, 'a', 'loop'));

    const leaks = await findLeaks({ token: TOKEN }, { paths: [workspace, join(dir, 'does-not-exist')] });
    expect(leaks).toEqual([{ secret: 'token', encoding: 'base64', where: configPath }]);
    expectNoSecretIn(leaks, TOKEN);
  });

  it('finds a secret in a binary file across a read-chunk boundary, and in a file name', async () => {
    const binaryDir = join(dir, 'binary');
    await mkdir(binaryDir);
    const data = randomBytes(200_000);
    Buffer.from(TOKEN).copy(data, 65_536 - 5);
    await writeFile(join(binaryDir, 'blob.bin'), data);
    await writeFile(join(binaryDir, `cache-${FILE_NAME_SECRET}.json`), '{}');

    const leaks = await findLeaks({ token: TOKEN, name: FILE_NAME_SECRET }, { paths: [binaryDir] });
    expect(leaks).toEqual([
      { secret: 'token', encoding: 'raw', where: join(binaryDir, 'blob.bin') },
      { secret: 'name', encoding: 'raw', where: join(binaryDir, 'cache-<name>.json') },
    ]);
    expectNoSecretIn(leaks, TOKEN, FILE_NAME_SECRET);
  });

  it('finds secrets in .git/config and bare repository configs, and only there', async () => {
    const root = join(dir, 'repos');
    await mkdir(root);
    const git = (...args: string[]) => runCommand('git', args);
    await git('init', '-q', join(root, 'work'));
    await git(
      '-C',
      join(root, 'work'),
      'remote',
      'add',
      'origin',
      `https://x-access-token:${TOKEN}@github.example/o/r`,
    );
    await git('init', '-q', '--bare', join(root, 'mirror.git'));
    const url = `https://bot:${encodeURIComponent(PASSWORD)}@github.example/o/r`;
    await git('-C', join(root, 'mirror.git'), 'config', 'remote.origin.url', url);
    await git('init', '-q', join(root, 'clean'));
    await mkdir(join(root, 'not-git'));
    await writeFile(join(root, 'not-git', 'config'), TOKEN);

    const leaks = await findLeaks({ token: TOKEN, password: PASSWORD }, { gitConfigsUnder: [root] });
    expect(leaks).toEqual([
      { secret: 'password', encoding: 'url', where: join(root, 'mirror.git', 'config') },
      { secret: 'token', encoding: 'raw', where: join(root, 'work', '.git', 'config') },
    ]);
    expectNoSecretIn(leaks, TOKEN, PASSWORD);
  });

  it('reports nothing for clean inputs, even near misses', async () => {
    const clean = join(dir, 'clean');
    await mkdir(clean);
    const nearMiss = `${TOKEN.slice(0, -1)}X`;
    await writeFile(
      join(clean, 'config.json'),
      JSON.stringify({ auth: Buffer.from(`u:${nearMiss}`).toString('base64') }),
    );
    await writeFile(join(clean, 'log.txt'), `token ${nearMiss} ${encodeURIComponent(nearMiss)}`);
    const leaks = await findLeaks(
      { token: TOKEN },
      { texts: { log: `almost ${nearMiss}` }, paths: [clean], gitConfigsUnder: [clean] },
    );
    expect(leaks).toEqual([]);
  });
});

describe('findLeaks in docker images', () => {
  const leaky = 'hia-test/leak-checker:leaky';
  const clean = 'hia-test/leak-checker:clean';
  const ENV_SECRET = 'env-secret-value-9012';
  // Longer than tar's 100-byte name field, with one component too long for the ustar prefix split (pax).
  const LONG_PATH = `/opt/${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(120)}.txt`;
  let context: string;

  /** Containers made from `ref`: the checker must remove the one it creates. */
  async function containersOf(ref: string): Promise<string[]> {
    const { stdout } = await docker(['ps', '--all', '--quiet', '--filter', `ancestor=${ref}`]);
    return stdout.split('\n').filter(Boolean);
  }

  beforeAll(async () => {
    context = await makeTempDir('leaky-image');
    const auth = Buffer.from(`oauth2accesstoken:${TOKEN}`).toString('base64');
    await writeFile(
      join(context, 'config.json'),
      JSON.stringify({ auths: { 'registry.example': { auth } } }),
    );
    await writeFile(join(context, 'readme.txt'), 'nothing secret here\n');
    await writeFile(join(context, 'token.txt'), `token=${TOKEN}\n`);
    const build = (ref: string, dockerfile: string) =>
      docker(['build', '-q', '-t', ref, '-f', '-', context], {
        stdin: dockerfile,
        env: { DOCKER_BUILDKIT: '0' },
      });
    await build(
      leaky,
      [
        `FROM ${BUSYBOX_IMAGE}`,
        'COPY config.json /home/jovyan/.docker/config.json',
        `COPY token.txt ${LONG_PATH}`,
        `RUN touch /tmp/${FILE_NAME_SECRET}`,
        `ENV DEPLOY_TOKEN=${ENV_SECRET}`,
      ].join('\n'),
    );
    await build(clean, [`FROM ${BUSYBOX_IMAGE}`, 'COPY readme.txt /srv/readme.txt'].join('\n'));
  });

  afterAll(async () => {
    await removeImages([leaky, clean]);
    await removeDir(context);
  });

  it('finds a secret in a baked-in file, a file name and the image config', async () => {
    const secrets = { token: TOKEN, name: FILE_NAME_SECRET, env: ENV_SECRET };
    const leaks = await findLeaks(secrets, { images: [leaky] });
    expect(leaks).toEqual([
      { secret: 'token', encoding: 'base64', where: `image ${leaky}:/home/jovyan/.docker/config.json` },
      { secret: 'token', encoding: 'raw', where: `image ${leaky}:${LONG_PATH}` },
      { secret: 'name', encoding: 'raw', where: `image ${leaky}:/tmp/<name>` },
      { secret: 'name', encoding: 'raw', where: `image ${leaky} (config and history)` },
      { secret: 'env', encoding: 'raw', where: `image ${leaky} (config and history)` },
    ]);
    expectNoSecretIn(leaks, TOKEN, FILE_NAME_SECRET, ENV_SECRET);
    expect(await containersOf(leaky)).toEqual([]);
  });

  it('reports nothing for a clean image', async () => {
    const leaks = await findLeaks(
      { token: TOKEN, name: FILE_NAME_SECRET, env: ENV_SECRET },
      { images: [clean] },
    );
    expect(leaks).toEqual([]);
  });
});
