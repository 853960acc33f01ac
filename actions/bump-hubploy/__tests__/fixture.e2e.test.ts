import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { join } from 'node:path';
import { cleanupRun } from '@hub-image-actions/local-world/action-runner';
import { FIXTURES, fixtureFiles, listFiles, World } from './world.js';

jest.setTimeout(120_000);

let world: World;
beforeAll(async () => {
  world = await World.start();
});
afterAll(async () => {
  await world.stop();
});

// The fixture's expected files were made for these tags; the e2e tags are real commits of the image repo, so the
// same substitution is applied to the input and to the expected files (same length, same characters class).
describe.each([
  ['ordinary-tag', '0be26ba905cb', false],
  ['numeric-tag', '123456789012', true],
])('bumping the fixture deployment repo (%s)', (scenario, fixtureTag, numeric) => {
  it('pushes one commit whose files match the expected fixture byte for byte, and opens the PR', async () => {
    const source = await world.imageRepo(`image-${scenario}`, 2);
    const sha = numeric ? await world.numericCommit(source.repo) : (source.shas[1] ?? '');
    const tag = sha.slice(0, 12);
    const substitutions: Array<[string, string]> = [[fixtureTag, tag]];
    const deployment = await world.deployment(
      `fixture-${scenario}`,
      fixtureFiles(join(FIXTURES, 'deployment-repo'), substitutions),
    );
    const run = await world.run({ deployment, source: source.repo, sha });
    expect(run.log).not.toContain('::error::');
    expect(run.exitCode).toBe(0);

    const branch = await world.bumpBranch(deployment);
    expect(branch).toBeDefined();
    const expectedRoot = join(FIXTURES, 'expected', scenario);
    const expected = fixtureFiles(expectedRoot, substitutions);
    const diff = await world.git.runGit(deployment, ['diff', '--name-only', 'staging', branch ?? '']);
    expect(diff.stdout.toString().trim().split('\n').sort()).toEqual(listFiles(expectedRoot).sort());
    for (const [path, content] of Object.entries(expected)) {
      const pushed = await world.git.readFile(deployment, branch ?? '', path);
      expect({ path, same: pushed?.equals(content) }).toEqual({ path, same: true });
    }
    const log = await world.git.log(deployment, branch ?? '');
    expect(log).toHaveLength(2);
    expect(log[0]?.author).toBe('hub-image-bot <hub-image-bot@users.noreply.github.com>');

    expect(run.outputs['changed']).toBe('true');
    expect(run.outputs['operation']).toBe('created');
    expect(run.outputs['changed-files']?.split('\n').sort()).toEqual(listFiles(expectedRoot).sort());
    const hubs = [...new Set(listFiles(expectedRoot).map((path) => path.split('/')[1]))].sort();
    expect(run.outputs['hubs']?.split('\n')).toEqual(hubs);
    const pull = world.pullsOf(deployment)[0];
    expect(pull?.title).toBe(`Bump base-user-image image to ${tag}`);
    expect(pull?.base.ref).toBe('staging');
    expect(pull?.head.ref).toBe(branch);
    expect(pull?.labels.sort()).toEqual(hubs.map((hub) => `hub: ${hub}`));
    expect(run.outputs['pull-request-number']).toBe(String(pull?.number));
    expect(pull?.body).toContain(
      '| astro | `deployments/astro/config/common.yaml` line 15 | `8b48b4867330` |',
    );
    expect(run.summary).toContain(
      '| astro | `deployments/astro/config/common.yaml` line 15 | `8b48b4867330` |',
    );
    await cleanupRun(run);
  });
});
