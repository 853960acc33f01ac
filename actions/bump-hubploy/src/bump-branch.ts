import * as core from '@actions/core';
import { ConfigurationError, formatDuration } from '@hub-image-actions/action-io';
import { editFile, encodeFile, UnsafeEditError } from '@hub-image-actions/deploy-config';
import type { Clock } from '@hub-image-actions/retry';
import { repoName } from '@hub-image-actions/github-access';
import { branchTag, commitMessage, foreignCommits, type BranchCommit } from './branch.js';
import type { Inputs } from './context.js';
import type { DeploymentClone } from '@hub-image-actions/deployment-repo';
import * as gh from './github.js';
import { foreignCommitsError, unsafeFiles } from './messages.js';
import type { BranchResult } from './outcome.js';
import { planBump, type BumpPlan } from './plan.js';
import { findReferences, type Found } from './references.js';
import type { ImageHistory } from './source.js';

/** Pushes lost to a concurrent change of the branch are retried this many times, on the then-current base. */
export const MAX_PUSH_ATTEMPTS = 5;

/** What the branch and pull request steps work with. */
export interface BumpWork {
  clone: DeploymentClone;
  api: gh.Api;
  history: ImageHistory;
  inputs: Inputs;
  branch: string;
  clock: Clock;
}

/**
 * Rebuilds the bump branch on the current base and pushes it, looking again whenever a branch moved or vanished
 * under this run. Every lost race costs an attempt from one budget and waits a little longer each time, so that
 * racing jobs spread out.
 */
export async function updateBranch(work: BumpWork): Promise<BranchResult & { found?: Found }> {
  for (let attempt = 1; ; attempt += 1) {
    const step = await branchAttempt(work, attempt);
    if (!('again' in step)) return step;
    if (attempt >= MAX_PUSH_ATTEMPTS) {
      throw new ConfigurationError(
        `${work.branch} or ${work.inputs.baseBranch} kept changing during ${attempt} attempts (last: ${step.again}); nothing was overwritten`,
        'Re-run the job: it starts again from the current branches',
      );
    }
    const delayMs = 250 * attempt + Math.floor(Math.random() * 500);
    core.info(
      `${step.again}; looking again in ${formatDuration(delayMs)} (attempt ${attempt + 1} of ${MAX_PUSH_ATTEMPTS}).`,
    );
    await work.clock.sleep(delayMs);
  }
}

type Attempt = (BranchResult & { found?: Found }) | { again: string };

/** One look at the branches and one push; `again` says why the attempt must be repeated on the current branches. */
async function branchAttempt(work: BumpWork, attempt: number): Promise<Attempt> {
  const { clone, inputs, branch, history } = work;
  const base = inputs.baseBranch;
  const heads = await clone.remoteHeads([base, branch]);
  const baseSha = heads.get(base);
  if (baseSha === undefined) {
    throw new ConfigurationError(
      `input "base-branch" is "${base}": ${repoName(inputs.deploymentRepo)} has no such branch`,
      'Name the branch the bump pull requests target (cal-icor-hubs uses "staging")',
    );
  }
  const branchSha = heads.get(branch);
  if ((await clone.fetch(branchSha === undefined ? [base] : [base, branch])) === 'missing') {
    return {
      again: `${branchSha === undefined ? base : `${base} or ${branch}`} was deleted between listing and fetching it (a merged pull request's branch is often deleted)`,
    };
  }
  const fetchedBase = await clone.resolve(`refs/remotes/origin/${base}`);
  if (fetchedBase !== baseSha) {
    return {
      again: `${base} moved from ${baseSha.slice(0, 12)} to ${fetchedBase.slice(0, 12)} between listing and fetching it`,
    };
  }

  const found = await core.group(`Find ${inputs.image.full} in ${base} (${baseSha.slice(0, 12)})`, () =>
    findReferences(clone, baseSha, inputs),
  );
  const state = branchSha === undefined ? undefined : await inspectBranch(work, baseSha, branchSha);
  if (found.uses.length === 0) {
    return {
      kind: 'nothing',
      reason:
        found.nothingSelected === undefined
          ? `no considered file references ${inputs.image.full}`
          : 'no file is considered: "paths" and "exclude" select none',
      closable: state?.foreign.length === 0,
      found,
    };
  }

  const plan = await core.group(`Decide each reference (${inputs.tag})`, async () => {
    await history.learn([
      ...found.uses.map((use) => use.tag),
      ...(state?.tag === undefined ? [] : [state.tag]),
    ]);
    const plan = planBump(found.uses, found.texts, inputs.tag, (tag) => history.move(tag));
    logPlan(plan);
    return plan;
  });
  if (state?.tag !== undefined && history.move(state.tag).action === 'keep') {
    return { kind: 'superseded', branchTag: state.tag, found };
  }
  if (plan.changes.length === 0) {
    return {
      kind: 'nothing',
      reason: `every reference is at ${inputs.tag} or left alone`,
      plan,
      closable: state?.foreign.length === 0,
      found,
    };
  }
  if (inputs.dryRun) return { kind: 'planned', plan, found };
  if (state !== undefined && state.foreign.length > 0) {
    throw foreignCommitsError(branch, repoName(inputs.deploymentRepo), base, state.foreign, state.aheadBy);
  }

  return core.group(`Commit and push ${branch} (attempt ${attempt})`, async (): Promise<Attempt> => {
    const sha = await commitPlan(work, found, plan);
    const files = [...new Set([...plan.files, ...(state?.files ?? [])])];
    if (state !== undefined && state.ownCommits && (await clone.sameFiles(sha, state.sha, files))) {
      core.info(`${branch} already holds exactly these changes; nothing to push.`);
      return { kind: 'current', plan, sha: state.sha, found };
    }
    const result = await clone.push(sha, branch, branchSha);
    if (result.status === 'pushed') {
      core.info(
        `Pushed ${sha.slice(0, 12)} to ${branch}${branchSha === undefined ? ' (new branch)' : `, replacing ${branchSha.slice(0, 12)}`}.`,
      );
      return { kind: 'pushed', plan, previousTag: state?.tag, sha, found };
    }
    return { again: `the push lost a race (${result.status === 'moved' ? result.detail : ''})` };
  });
}

function logPlan(plan: BumpPlan): void {
  for (const change of plan.changes) {
    core.info(
      `  move  ${change.use.file}:${change.use.line}  ${change.from} → ${plan.tag}${change.note === undefined ? '' : `  (${change.note})`}`,
    );
  }
  for (const kept of plan.kept)
    core.info(`  keep  ${kept.use.file}:${kept.use.line}  ${kept.use.tag || '(no tag)'}: ${kept.reason}`);
  if (plan.current.length > 0) core.info(`  ${plan.current.length} reference(s) already at ${plan.tag}`);
}

interface BranchState {
  sha: string;
  /** Commits the branch has beyond the base (the API lists at most 100 of them). */
  aheadBy: number;
  /** Commits someone else made on the branch: the branch must then be left as it is. */
  foreign: BranchCommit[];
  /** False when every commit of the branch is already in the base (e.g. after a merge). */
  ownCommits: boolean;
  tag: string | undefined;
  files: string[];
}

/** Reads the bump branch through the API: which commits it has beyond the base, and whose they are. */
async function inspectBranch(work: BumpWork, baseSha: string, branchSha: string): Promise<BranchState> {
  const { inputs } = work;
  const comparison = await gh.compareBranch(work.api, inputs.deploymentRepo, baseSha, branchSha);
  if (comparison.aheadBy === 0)
    return { sha: branchSha, aheadBy: 0, foreign: [], ownCommits: false, tag: undefined, files: [] };
  // A branch of this action is one commit on the base; beyond the commits listed, none can be proven ours.
  const foreign =
    comparison.commits.length < comparison.aheadBy
      ? comparison.commits
      : foreignCommits(comparison.commits, inputs.image, inputs.authorEmail);
  return {
    sha: branchSha,
    aheadBy: comparison.aheadBy,
    foreign,
    ownCommits: true,
    tag: foreign.length > 0 ? undefined : branchTag(comparison.commits),
    files: comparison.files,
  };
}

async function commitPlan(work: BumpWork, found: Found, plan: BumpPlan): Promise<string> {
  const { clone, inputs } = work;
  for (const file of plan.files) {
    const changes = plan.changes.map((change) => change.use).filter((use) => use.file === file);
    let edited;
    try {
      edited = editFile({ path: file, text: found.texts.get(file) ?? '' }, changes, inputs.tag);
    } catch (error) {
      if (error instanceof UnsafeEditError)
        throw unsafeFiles(inputs.image.full, [{ file, hub: undefined, reason: error.message }]);
      throw error;
    }
    await clone.writeFile(file, encodeFile(edited.text));
  }
  const source = await work.history.describe();
  const message = commitMessage({
    image: inputs.image,
    tag: inputs.tag,
    hubs: plan.hubs,
    files: plan.files,
    sourceCommitUrl: source?.commitUrl,
  });
  return clone.commit(plan.files, message);
}
