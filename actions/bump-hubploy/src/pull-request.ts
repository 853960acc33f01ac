import * as core from '@actions/core';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { type Repo } from '@hub-image-actions/github-access';
import type { BumpWork } from './bump-branch.js';
import type { Inputs } from './context.js';
import * as gh from './github.js';
import { labelChanges, MAX_LABEL_LENGTH } from './labels.js';
import type { BranchResult, Outcome } from './outcome.js';
import { marker, pullRequestBody, pullRequestTitle, updateComment } from './report.js';
import type { BumpPlan } from './plan.js';
import type { Found } from './references.js';

type Settled = Exclude<BranchResult, { kind: 'planned' }>;

/** Opens, updates or closes the one pull request of the bump branch so that it describes what the branch holds. */
export async function settlePullRequest(
  work: BumpWork,
  result: Settled,
  found: Found | undefined,
  packages: (plan: BumpPlan) => Promise<string> = async () => '',
): Promise<Outcome> {
  const { api, inputs, branch } = work;
  const repo = inputs.deploymentRepo;
  if (result.kind === 'nothing') {
    if (result.closable) await closeObsoletePull(work, result.reason);
    return { ...result, operation: 'none' };
  }
  if (result.kind === 'superseded') {
    const open = await gh.findOpenPull(api, repo, branch, inputs.baseBranch);
    core.info(`${branch} already carries ${result.branchTag}, newer than ${inputs.tag}: nothing to do.`);
    return { ...result, operation: 'unchanged', ...(open === undefined ? {} : { pull: open }) };
  }

  const title = pullRequestTitle(inputs.image, inputs.tag);
  const body = [
    pullRequestBody(inputs.image, result.plan, await work.history.describe(), found?.legacy ?? []),
    await packages(result.plan),
  ]
    .filter((part) => part !== '')
    .join('\n\n');
  let pull = await gh.findOpenPull(api, repo, branch, inputs.baseBranch);
  let created = false;
  if (pull === undefined) {
    const moved = await overtaken(work, result, undefined, false);
    if (moved !== undefined) return moved;
    const creation = await gh.createPull(api, repo, { branch, base: inputs.baseBranch, title, body });
    if ('created' in creation) {
      pull = creation.created;
      created = true;
      core.info(`Opened ${pull.url}`);
    } else {
      pull = await waitForListedPull(work);
    }
  }
  const moved = await overtaken(work, result, pull, created);
  if (moved !== undefined) return moved;
  if (!created && (pull.title !== title || pull.body !== body)) {
    await gh.updatePull(api, repo, pull.number, { title, body });
    core.info(`Updated the title and description of ${pull.url}`);
  }
  if (inputs.labels) await syncLabels(api, repo, pull, result.plan.hubs);
  const pushed = result.kind === 'pushed';
  if (!created && pushed && result.previousTag !== inputs.tag) {
    await commentOnce(api, repo, pull.number, inputs, result.previousTag);
  }
  if (!created && !pushed) core.info(`${pull.url} is already up to date.`);
  return { ...result, operation: created ? 'created' : pushed ? 'updated' : 'unchanged', pull };
}

/**
 * The pull request describes the branch's commit. Another job of this image may have replaced that commit since
 * this run pushed or verified it; then the pull request is that job's to write, and writing this run's title,
 * labels or comment would describe a tag the branch no longer holds.
 */
async function overtaken(
  work: BumpWork,
  result: Extract<Settled, { sha: string }>,
  pull: gh.Pull | undefined,
  created: boolean,
): Promise<Outcome | undefined> {
  const head = (await work.clone.remoteHeads([work.branch])).get(work.branch);
  if (head === result.sha) return undefined;
  const by = head === undefined ? 'deleted it' : `replaced it with ${head.slice(0, 12)}`;
  core.info(
    `Another run ${by} after this run ${result.kind === 'pushed' ? 'pushed' : 'checked'} ${result.sha.slice(0, 12)} to ${work.branch}; the pull request is that run's to update, so this run leaves it as it is.`,
  );
  return {
    kind: 'overtaken',
    sha: result.sha,
    head,
    operation: created ? 'created' : 'unchanged',
    ...(pull === undefined ? {} : { pull }),
  };
}

async function commentOnce(
  api: gh.Api,
  repo: Repo,
  number: number,
  inputs: Inputs,
  previousTag: string | undefined,
): Promise<void> {
  const existing = await gh.commentBodies(api, repo, number);
  if (existing.some((text) => text.includes(marker('updated', inputs.image, inputs.tag)))) return;
  const posted = await gh.addComment(
    api,
    repo,
    number,
    updateComment(inputs.image, previousTag, inputs.tag),
    core.info,
  );
  if (!posted) core.info('The comment had landed although its answer was lost; not posting it twice.');
}

/** Asks this many times, 0.5 s apart and longer, before calling an unlisted existing pull request a failure. */
const LIST_LOOKS = 8;

/**
 * A create answered "already exists" but the list does not show it yet: GitHub's search index lags behind
 * writes. Ask again for a while before calling it a failure.
 */
async function waitForListedPull(work: BumpWork): Promise<gh.Pull> {
  const { api, inputs, branch } = work;
  for (let look = 1; look <= LIST_LOOKS; look += 1) {
    const pull = await gh.findOpenPull(api, inputs.deploymentRepo, branch, inputs.baseBranch);
    if (pull !== undefined) return pull;
    core.info(`GitHub says a pull request for ${branch} exists but does not list it yet; asking again.`);
    await work.clock.sleep(500 * look);
  }
  throw new ConfigurationError(
    `GitHub says a pull request for ${branch} into ${inputs.baseBranch} already exists, but does not list it`,
    'Re-run the job in a minute',
  );
}

async function syncLabels(api: gh.Api, repo: Repo, pull: gh.Pull, hubs: readonly string[]): Promise<void> {
  const changes = labelChanges(hubs, pull.labels);
  if (changes.tooLong.length > 0) {
    core.warning(
      `No "hub: <name>" label for ${changes.tooLong.join(', ')}: GitHub allows labels of at most ${MAX_LABEL_LENGTH} characters. The pull request's table still lists ${changes.tooLong.length === 1 ? 'that hub' : 'those hubs'}.`,
    );
  }
  await gh.addLabels(api, repo, pull.number, changes.add);
  for (const label of changes.remove) await gh.removeLabel(api, repo, pull.number, label);
  if (changes.add.length + changes.remove.length > 0) {
    core.info(
      `Labels: ${[...changes.add.map((l) => `+${l}`), ...changes.remove.map((l) => `-${l}`)].join(', ')}`,
    );
  }
}

async function closeObsoletePull(work: BumpWork, reason: string): Promise<void> {
  const { api, inputs, branch } = work;
  const repo = inputs.deploymentRepo;
  const open = await gh.findOpenPull(api, repo, branch, inputs.baseBranch);
  if (open === undefined) return;
  await gh.addComment(
    api,
    repo,
    open.number,
    `Closing: \`${inputs.baseBranch}\` no longer needs this bump (${reason}); merging it would change nothing or move hubs back.\n\n${marker('updated', inputs.image, inputs.tag)}`,
    core.info,
  );
  await gh.updatePull(api, repo, open.number, { state: 'closed' });
  core.info(`Closed ${open.url}: ${reason}.`);
}
