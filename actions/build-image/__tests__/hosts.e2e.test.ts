// Registry hosts are case-insensitive: an image named with LOCALHOST:PORT is built and tagged under localhost:PORT,
// as docker and repo2docker need it, and found in the registry by the next run.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Fixture, imageRepo } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;
beforeAll(async () => {
  fx = await Fixture.start();
});
afterAll(async () => {
  await fx?.stop();
});

describe('an image whose registry host is in upper case', () => {
  it('is built under the lower-case host, and reused from the registry by the next run', async () => {
    const image = fx.image('upper');
    const upper = image.replace(/^127\.0\.0\.1/, 'LOCALHOST');
    const lower = image.replace(/^127\.0\.0\.1/, 'localhost');
    const { dir, sha } = await fx.repo(imageRepo());
    const first = await fx.run({ workspace: dir, sha, image: upper, inputs: { test: 'false' } });
    expect(first.run.log).not.toMatch(/repo2docker exited with code/);
    expect(first.run.exitCode).toBe(0);
    expect(first.builds).toHaveLength(1);
    expect(first.builds[0]).toContain(`--image-name=${lower}:${sha.slice(0, 12)}`);
    expect(first.run.outputs).toMatchObject({
      built: 'true',
      image: lower,
      'image-ref': `${lower}:${sha.slice(0, 12)}`,
    });

    const tags = (first.run.outputs['tags'] ?? '').split('\n').filter(Boolean);
    // The same registry under its other name (the fixture's login is for 127.0.0.1:PORT).
    await fx.push(first.run.outputs['image-ref'] ?? '', image, tags);
    const second = await fx.run({ workspace: dir, sha, image: upper, inputs: { test: 'false' } });
    expect(second.run.exitCode).toBe(0);
    expect(second.builds).toEqual([]);
    expect(second.run.outputs).toMatchObject({ built: 'false', image: lower });
  });
});
