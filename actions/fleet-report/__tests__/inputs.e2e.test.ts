import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { seedTags } from '@hub-image-actions/local-world/registry-seed';
import { hubFile, suiteWorld } from './world.js';

jest.setTimeout(180_000);

// Bad input: each gets an error or a warning that names the input and the fix, and one image the registry will not
// list never hides the others.

const suite = suiteWorld();
let repo: string;
let image: string;
let tag: string;

async function run(inputs: Record<string, string>, deployment = repo): Promise<ActionRun> {
  const result = await suite.world.run({ deployment, inputs: { 'fail-on': 'none', ...inputs } });
  await cleanupRun(result);
  return result;
}

beforeAll(async () => {
  tag = ((await suite.world.imageRepo('inputs-user-image', 1))[0] ?? '').slice(0, 12);
  image = suite.world.image('inputs-user-image');
  await suite.world.push('inputs-user-image', [tag]);
  repo = await suite.world.deployment('inputs-fleet', {
    staging: {
      ...hubFile('a', image, tag),
      'configs/repos.txt': 'hub-test/inputs-user-image\nnot a repository\n',
    },
    prod: {},
  });
});

describe('bad input', () => {
  it('a branch that does not exist: an error naming "branches" and the branches there are, before any write', async () => {
    const result = await run({ branches: 'staging\nproduction', issue: 'true' });
    expect(result.failed).toBe(true);
    expect(result.maskedLog).toMatch(
      /input "branches" names "production", which hub-test\/inputs-fleet does not have \(its branches: prod, staging\)\. Name the deploy branches/,
    );
    expect(suite.world.issuesOf(repo)).toEqual([]);
  });

  it('a repos file line that names no repository: a warning at its line, the rest of the file used', async () => {
    const result = await run({});
    expect(result.failed).toBe(false);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        file: 'configs/repos.txt',
        line: 2,
        message: expect.stringMatching(/"not a repository", which names no repository/),
      }),
    );
    expect(result.outputs['problems']).toBe('0');
  });

  it('a repos file that is a folder: a warning naming "repos-file" and the fix', async () => {
    const folder = await suite.world.deployment('inputs-folder', {
      staging: { ...hubFile('a', image, tag), 'configs/repos.txt/README': 'not a file\n' },
      prod: {},
    });
    const result = await run({}, folder);
    expect(result.failed).toBe(false);
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(
          /input "repos-file" is "configs\/repos\.txt", which cannot be read .* \(it is a folder\).*Make it a text file/,
        ),
      }),
    );
  });

  it('a repos file given but absent: a warning naming the input', async () => {
    const result = await run({ 'repos-file': 'config/repos.txt' });
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(
          /^input "repos-file" is "config\/repos\.txt", but config\/repos\.txt is not in staging/,
        ),
      }),
    );
  });

  it('a registry that refuses listing: the image says "not known" and why, and the other images are still checked', async () => {
    const second = await TestRegistry.start();
    try {
      await seedTags(second, 'proj/user-images/elsewhere-user-image', ['v1']);
      const elsewhere = `${second.host}/proj/user-images/elsewhere-user-image`;
      const mixed = await suite.world.deployment('inputs-mixed', {
        staging: { ...hubFile('a', image, '0123456789ab'), ...hubFile('b', elsewhere, 'v1') },
        prod: {},
      });
      const result = await run({ images: `${image}\n${elsewhere}` }, mixed);
      expect(result.outputs['unknown']).toBe('1');
      expect(result.outputs['broken']).toBe('1');
      expect(result.annotations).toContainEqual(
        expect.objectContaining({
          level: 'warning',
          message: expect.stringMatching(
            new RegExp(
              `${second.host.replace(/\./g, '\\.')} refused to list the tags of .*elsewhere-user-image \\(401.*is not the "registry" input .*no credential is sent there`,
            ),
          ),
        }),
      );
      expect(result.summary).toMatch(/\| b \| elsewhere-user-image \| `v1` \? \|/);
    } finally {
      await second.stop();
    }
  });

  it('a registry credential the registry refuses: every image "not known", naming the auth input', async () => {
    const result = await run({ 'access-token': 'ya29.wrong' });
    expect(result.failed).toBe(false);
    expect(result.outputs['unknown']).toBe('1');
    expect(result.maskedLog).toMatch(
      /refused to list the tags of .*inputs-user-image \(401.*give the identity behind "access-token" the role roles\/artifactregistry\.reader/,
    );
    expect(result.maskedLog).not.toContain('ya29.wrong');
  });

  it('an unknown deployment repo: an error naming "deployment-repo"', async () => {
    const result = await run({}, 'hub-test/no-such-repo');
    expect(result.failed).toBe(true);
    expect(result.maskedLog).toMatch(
      /input "deployment-repo" is "hub-test\/no-such-repo": no such repository, or the token cannot see it/,
    );
  });
});
