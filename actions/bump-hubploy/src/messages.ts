import { ConfigurationError } from '@hub-image-actions/action-io';
import type { FileProblem, LegacyOnlyReference } from '@hub-image-actions/deploy-config';
import type { BranchCommit } from './branch.js';
import type { Inputs } from './context.js';

// The words of the errors and warnings a user fixes something from.

const MAX_LISTED = 10;

export function unsafeFiles(image: string, problems: readonly FileProblem[]): ConfigurationError {
  const files = new Set(problems.map((p) => p.file)).size;
  const lines = problems.map((p) => `  - ${p.file}${p.line === undefined ? '' : `:${p.line}`}: ${p.reason}`);
  return new ConfigurationError(
    `${files === 1 ? 'a file that references' : `${files} files that reference`} ${image} cannot be edited safely, so nothing was changed:\n${lines.join('\n')}`,
    `Fix ${files === 1 ? 'this file' : 'these files'} by hand (or exclude ${files === 1 ? 'it' : 'them'} with "exclude"), then re-run`,
  );
}

export function foreignCommitsError(
  branch: string,
  repo: string,
  base: string,
  foreign: readonly BranchCommit[],
  /** How many commits the branch has beyond the base, when more than were listed. */
  total = foreign.length,
): ConfigurationError {
  const shown = foreign.slice(0, MAX_LISTED);
  const list = shown.map(
    (c) => `  - ${c.sha.slice(0, 12)} by ${c.authorName} <${c.authorEmail}>: ${c.message.split('\n')[0]}`,
  );
  if (total > shown.length) list.push(`  - … and ${total - shown.length} more`);
  return new ConfigurationError(
    `${branch} in ${repo} has commits this action did not make, so it is left as it is:\n${list.join('\n')}`,
    `Merge or close its pull request and delete the branch (or remove those commits), then re-run; the bump is rebuilt from ${base}`,
  );
}

/** `paths` (after `exclude`) matched no file of the base branch: a typo would otherwise pass as "nothing to do". */
export function noFileSelected(
  inputs: Pick<Inputs, 'paths' | 'exclude' | 'baseBranch'>,
  includedBeforeExclude: readonly string[],
): string {
  const value = JSON.stringify(inputs.paths.join('\n'));
  return includedBeforeExclude.length === 0
    ? `input "paths" is ${value}: it matches no file in ${inputs.baseBranch}, so no hub was looked at. Check the globs (e.g. deployments/*/config/*.yaml)`
    : `input "exclude" is ${JSON.stringify(inputs.exclude.join('\n'))}: it leaves out all ${includedBeforeExclude.length} file(s) that "paths" (${value}) matches in ${inputs.baseBranch}, so no hub was looked at`;
}

export function legacyWarning(reference: LegacyOnlyReference): string {
  return `${reference.file} sets ${reference.hub === undefined ? 'the' : `hub ${reference.hub}'s`} image only in its "images:" stanza, which hubploy dropped in 1.0 (2025-10): the hub deploys the chart's default image, and this bump changes nothing it deploys. Set the image in the hub's helm values (jupyterhub.singleuser.image in config/common.yaml)`;
}
