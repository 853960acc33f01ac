// Every bundled action, run as the runner runs it with a misspelt input: a warning names the input given and the
// one meant (read from the action.yml beside the bundle), and the value is not shown.
import { afterAll, describe, expect, it } from '@jest/globals';
import { cleanupRun, runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';

const runs: ActionRun[] = [];
afterAll(async () => {
  for (const run of runs) await cleanupRun(run);
});

describe('a misspelt input', () => {
  it.each([
    ['build-image', 'imag', 'image'],
    ['push-to-gar', 'credential-json', 'credentials-json'],
    ['bump-hubploy', 'deployment_repo', 'deployment-repo'],
    ['yamllint-runner', 'config_file', 'config-file'],
    ['fleet-report', 'fail_on', 'fail-on'],
  ])('%s: "%s" gets a warning that names "%s"', async (action, given, meant) => {
    const value = 'v4lue-that-must-not-show';
    const run = await runAction({ action, inputs: { [given]: value }, timeoutMs: 60_000 });
    runs.push(run);
    const warnings = run.annotations.filter((annotation) => annotation.title === `Unknown input "${given}"`);
    expect(warnings).toEqual([
      {
        level: 'warning',
        title: `Unknown input "${given}"`,
        message: `input "${given}" is not an input of ${action}, so its value is ignored; did you mean "${meant}"? Rename it in the step's \`with:\``,
      },
    ]);
    expect(run.log).not.toContain(value);
    // Declared inputs, given with their defaults by the runner, get no such warning.
    expect(
      run.annotations.filter((annotation) => annotation.title?.startsWith('Unknown input')),
    ).toHaveLength(1);
  });
});
