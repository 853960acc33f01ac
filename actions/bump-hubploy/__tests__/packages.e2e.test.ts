// The bump pull request says what the hubs on each old tag get: the package diff from their image to the new one,
// read from the registry (here from the images' layers: nothing stored a manifest with them).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '@hub-image-actions/local-world/base-images';
import { docker, removeImages } from '@hub-image-actions/local-world/docker-engine';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { hubFiles, short, suiteWorld } from './world.js';

jest.setTimeout(240_000);

const suite = suiteWorld(3);
let registry: TestRegistry;
const token = `ya29.bump-packages-${randomBytes(8).toString('hex')}`;
const local: string[] = [];

/** A small image whose only packages are the dist-info folders given, pushed under `tag`. */
async function pushImage(image: string, tag: string, packages: Record<string, string>): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), 'hia-bump-image-'));
  const lines = [`FROM ${BUSYBOX_IMAGE}`];
  for (const [name, version] of Object.entries(packages)) {
    const dir = `site/${name.replace(/-/g, '_')}-${version}.dist-info`;
    await mkdir(join(context, dir), { recursive: true });
    await writeFile(
      join(context, dir, 'METADATA'),
      `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n`,
    );
  }
  lines.push('COPY site/ /usr/local/lib/python3.11/dist-packages/');
  await writeFile(join(context, 'Dockerfile'), `${lines.join('\n')}\n`);
  const ref = `${image}:${tag}`;
  local.push(ref);
  await docker(['build', '-q', '-t', ref, context], { env: { DOCKER_BUILDKIT: '0' } });
  const config = await mkdtemp(join(tmpdir(), 'hia-bump-docker-'));
  await docker(['login', '-u', registry.admin.username, '--password-stdin', registry.host], {
    stdin: registry.admin.password,
    env: { DOCKER_CONFIG: config },
  });
  await docker(['push', '-q', ref], { env: { DOCKER_CONFIG: config } });
  await rm(config, { recursive: true, force: true });
  await rm(context, { recursive: true, force: true });
}

beforeAll(async () => {
  await ensureBusyboxImage();
  registry = await TestRegistry.start();
  await registry.setUser('oauth2accesstoken', token);
});

afterAll(async () => {
  await removeImages(local);
  await registry?.stop();
});

describe("the bump pull request and the images' packages", () => {
  it('shows, for each old tag, what its hubs get', async () => {
    const { world, image } = suite;
    const name = `${registry.host}/hub/base-user-image`;
    const [first, second, third] = image.shas.map(short);
    await pushImage(name, first ?? '', { numpy: '1.26.4', 'hia-old': '1.0' });
    await pushImage(name, second ?? '', { numpy: '1.26.4' });
    await pushImage(name, third ?? '', { numpy: '2.1.0', pandas: '2.2.3' });
    const repo = await world.deployment('packages-deploy', {
      ...hubFiles({ astro: first ?? '', biology: first ?? '', datasci: second ?? '' }, name),
      ...hubFiles({ newhub: 'PLACEHOLDER' }, name),
    });
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[2] ?? '',
      inputs: { image: name, 'access-token': token },
    });
    expect(run.exitCode).toBe(0);
    const body = world.pullsOf(repo)[0]?.body ?? '';
    expect(body).toContain('### What the hubs get');
    expect(body).toContain(`#### \`${first}\` → \`${third}\`: astro, biology`);
    expect(body).toContain(`#### \`${second}\` → \`${third}\`: datasci`);
    expect(body).not.toMatch(/`PLACEHOLDER` →/);
    const start = body.indexOf(`#### \`${first}\``);
    const next = body.indexOf('#### ', start + 1);
    const firstSection = body.slice(start, next === -1 ? undefined : next);
    expect(firstSection).toMatch(/numpy/);
    expect(firstSection).toMatch(/hia-old/);
    expect(firstSection).toMatch(/pandas/);
    expect(run.log).toMatch(new RegExp(`Packages ${first} → ${third}: 3 changes \\(1 major\\)`));
    expect(run.log).toMatch(new RegExp(`Packages ${second} → ${third}: 2 changes \\(1 major\\)`));
    expect(run.log).not.toContain(token);
  });

  it('says in the body, and never fails, when an old image is not in the registry', async () => {
    const { world, image } = suite;
    const name = `${registry.host}/hub/never-pushed`;
    const [first, , third] = image.shas.map(short);
    await pushImage(name, third ?? '', { numpy: '2.1.0' });
    const repo = await world.deployment('packages-missing', hubFiles({ astro: first ?? '' }, name));
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[2] ?? '',
      inputs: { image: name, 'access-token': token },
    });
    expect(run.exitCode).toBe(0);
    expect(world.pullsOf(repo)[0]?.body).toContain(
      `The packages could not be compared: hub/never-pushed:${first} is not in the registry.`,
    );
  });
});
