// Registry hosts are case-insensitive: an image given with its host in upper case is the image the deployment
// files name in lower case, and its references are bumped, host spelling untouched.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cleanupRun } from '@hub-image-actions/local-world/action-runner';
import { hubFiles, IMAGE, short, World } from './world.js';

jest.setTimeout(120_000);

let world: World;
let image: { repo: string; shas: string[] };

beforeAll(async () => {
  world = await World.start();
  image = await world.imageRepo('base-user-image', 1);
});
afterAll(async () => {
  await world.stop();
});

describe('an image whose host is in upper case', () => {
  it('finds and bumps the lower-case references, in mappings and inline', async () => {
    const upper = IMAGE.replace('us-central1-docker.pkg.dev', 'US-CENTRAL1-DOCKER.PKG.DEV');
    expect(upper).not.toBe(IMAGE);
    const profile = 'deployments/b/config/common.yaml';
    const repo = await world.deployment('upper-host', {
      ...hubFiles({ a: 'PLACEHOLDER' }),
      [profile]: `jupyterhub:\n  singleuser:\n    profileList:\n      - kubespawner_override:\n          image: ${IMAGE}:PLACEHOLDER\n`,
    });
    const tag = short(image.shas[0]);
    const run = await world.run({
      deployment: repo,
      source: image.repo,
      sha: image.shas[0] ?? '',
      inputs: { image: upper },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'true', operation: 'created', hubs: 'a\nb' });
    const branch = (await world.bumpBranch(repo)) ?? '';
    expect(await world.file(repo, branch, 'deployments/a/config/common.yaml')).toContain(
      `      name: ${IMAGE}\n      tag: ${tag}  # bumped by CI`,
    );
    expect(await world.file(repo, branch, profile)).toContain(`image: ${IMAGE}:${tag}\n`);
    await cleanupRun(run);
  });
});
