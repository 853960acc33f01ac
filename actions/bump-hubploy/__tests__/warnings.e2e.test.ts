import { describe, expect, it, jest } from '@jest/globals';
import { cleanupRun } from '@hub-image-actions/local-world/action-runner';
import { hubFiles, IMAGE, short, suiteWorld } from './world.js';

jest.setTimeout(120_000);

const suite = suiteWorld(2);

const bump = (deployment: string, inputs: Record<string, string> = {}) =>
  suite.world.run({ deployment, source: suite.image.repo, sha: suite.image.shas[1] ?? '', inputs });

describe('what a run that changes nothing useful says', () => {
  it('warns, naming "paths" and its value, when the globs match no file', async () => {
    const repo = await suite.world.deployment('no-match', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await bump(repo, { paths: 'deployments/*/config/*.yml' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['operation']).toBe('none');
    const warnings = run.annotations.filter((a) => a.level === 'warning').map((a) => a.message);
    expect(warnings).toEqual([
      'input "paths" is "deployments/*/config/*.yml": it matches no file in staging, so no hub was looked at. Check the globs (e.g. deployments/*/config/*.yaml)',
    ]);
    expect(run.summary).toContain(
      '> [!WARNING]\n> input "paths" is "deployments/*/config/*.yml": it matches no file',
    );
    await cleanupRun(run);
  });

  it('warns, naming "exclude", when it leaves out every file "paths" matches', async () => {
    const repo = await suite.world.deployment('all-excluded', hubFiles({ a: 'PLACEHOLDER' }));
    const run = await bump(repo, { exclude: 'deployments/**' });
    expect(run.exitCode).toBe(0);
    expect(run.annotations.filter((a) => a.level === 'warning').map((a) => a.message)).toEqual([
      expect.stringMatching(
        /^input "exclude" is "deployments\/\*\*": it leaves out all 1 file\(s\) that "paths"/,
      ),
    ]);
    await cleanupRun(run);
  });

  it('says, in the log and the pull request, that hubploy ≥ 1.0 ignores an image set only in hubploy.yaml', async () => {
    const repo = await suite.world.deployment('legacy', {
      ...hubFiles({ modern: 'PLACEHOLDER' }),
      'deployments/old/hubploy.yaml': `images:\n  images:\n    - name: ${IMAGE}:PLACEHOLDER\ncluster:\n  provider: gcloud\n`,
      'deployments/both/hubploy.yaml': `images:\n  image_name: ${IMAGE}:PLACEHOLDER\n`,
      ...hubFiles({ both: 'PLACEHOLDER' }),
    });
    const run = await bump(repo);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['hubs']).toBe('both\nmodern\nold');
    const warnings = run.annotations.filter((a) => a.level === 'warning');
    expect(warnings).toEqual([
      expect.objectContaining({
        file: 'deployments/old/hubploy.yaml',
        line: 3,
        message: expect.stringMatching(
          /^deployments\/old\/hubploy\.yaml sets hub old's image only in its "images:" stanza, which hubploy dropped in 1\.0 \(2025-10\)/,
        ),
      }),
    ]);
    const body = suite.world.pullsOf(repo)[0]?.body ?? '';
    expect(body).toContain('**Not deployed by hubploy ≥ 1.0**');
    expect(body).toContain(
      "- `deployments/old/hubploy.yaml` sets hub old's image only in its `images:` stanza",
    );
    expect(body).not.toContain('`deployments/both/hubploy.yaml` sets');
    expect(run.summary).toContain('**Not deployed by hubploy ≥ 1.0**');
    await cleanupRun(run);
  });

  it('finds references whose registry host is written in upper case', async () => {
    const upper = IMAGE.replace('us-central1-docker.pkg.dev', 'US-CENTRAL1-DOCKER.PKG.DEV');
    const repo = await suite.world.deployment('upper-host', {
      ...hubFiles({ a: short(suite.image.shas[0]) }, upper),
      'deployments/b/config/common.yaml': `jupyterhub:\n  singleuser:\n    profileList:\n      - kubespawner_override:\n          image: ${upper}:PLACEHOLDER\n`,
    });
    const run = await bump(repo);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ operation: 'created', hubs: 'a\nb' });
    const branch = (await suite.world.bumpBranch(repo)) ?? '';
    expect(await suite.world.file(repo, branch, 'deployments/b/config/common.yaml')).toContain(
      `image: ${upper}:${short(suite.image.shas[1])}`,
    );
    await cleanupRun(run);
  });
});
