import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ProcessRunner } from '@hub-image-actions/process';
import type { Inputs } from './context.js';

/** The tag must also be a valid branch-name part and the base a valid branch name, checked by git itself. */
export async function checkRefNames(runner: ProcessRunner, inputs: Inputs): Promise<void> {
  const problems: string[] = [];
  const check = async (input: 'tag' | 'base-branch', value: string, ref: string) => {
    const result = await runner.run('git', ['check-ref-format', ref], {
      env: { PATH: process.env['PATH'] ?? '' },
    });
    if (result.exitCode === 127)
      throw new ConfigurationError('git is not installed on this runner', 'Install git');
    if (result.exitCode !== 0) {
      problems.push(
        `input "${input}" is ${JSON.stringify(value)}: git rejects it in a branch name (no "..", no "@{", and no ending in "." or ".lock"); ${FIXES[input]}`,
      );
    }
  };
  await check('tag', inputs.tag, `refs/heads/hub-image-bump/${inputs.tag}`);
  await check('base-branch', inputs.baseBranch, `refs/heads/${inputs.baseBranch}`);
  if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
}

const FIXES = {
  tag: 'pass the tag the image was pushed with, without those sequences (e.g. the 12-character commit sha the build step outputs), and re-tag the image if its own tag has them',
  'base-branch': 'name an existing branch of the deployment repository (cal-icor-hubs uses "staging")',
};
