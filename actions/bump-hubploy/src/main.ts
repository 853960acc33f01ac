import * as core from '@actions/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { appendSummary, ConfigurationError, formatDuration, maskSecret } from '@hub-image-actions/action-io';
import {
  editFile,
  encodeFile,
  findImageUses,
  formatPath,
  scanFile,
  selectFiles,
  UnsafeEditError,
  type FileProblem,
  type ImageUse,
} from '@hub-image-actions/deploy-config';
import { systemRunner, type ProcessRunner } from '@hub-image-actions/process';
import { systemClock } from '@hub-image-actions/retry';
import { branchTag, bumpBranch, commitMessage, foreignCommits, type BranchCommit } from './branch.js';
import { readInputs, repoName, runnerEnvironment, type Inputs, type Repo } from './context.js';
import { DeploymentClone } from './git.js';
import * as gh from './github.js';
import { decideMove, orderFromCompare, tagKind, type CommitOrder, type Move } from './order.js';
import { planBump, type BumpPlan } from './plan.js';
import { marker, pullRequestBody, pullRequestTitle, updateComment, type SourceFacts } from './report.js';
import { headline, outputsFor, summaryFor, type BranchResult, type Outcome } from './outcome.js';

/** Pushes lost to a concurrent change of the branch are retried this many times, on the then-current base. */
const MAX_PUSH_ATTEMPTS = 5;

export async function main(): Promise<void> {
  const started = Date.now();
  const inputs = readInputs();
  const environment = runnerEnvironment();
  await checkRefNames(systemRunner, inputs);
  const branch = bumpBranch(inputs.image);
  core.info(
    `Bumping ${inputs.image.full} to ${inputs.tag} in ${repoName(inputs.deploymentRepo)} (${inputs.baseBranch}), branch ${branch}.`,
  );

  const access = await core.group('Authenticate', () => authenticate(inputs));
  let outcome: Outcome;
  try {
    await core.group(`Check ${repoName(inputs.deploymentRepo)}`, () =>
      checkDeploymentRepo(access.api, inputs),
    );
    const workDir = await mkdtemp(join(environment.runnerTemp, 'hub-image-bump-'));
    try {
      const clone = new DeploymentClone({
        runner: systemRunner,
        dir: join(workDir, 'deployment'),
        serverUrl: environment.serverUrl,
        repo: repoName(inputs.deploymentRepo),
        token: access.token,
        author: { name: inputs.authorName, email: inputs.authorEmail },
        onCredential: (credential) => core.setSecret(credential),
      });
      await clone.init();
      const source = new SourceOracle(access.sourceApi, inputs);
      const result = await updateBranch(clone, access.api, source, inputs, branch);
      outcome = inputs.dryRun
        ? { ...result, operation: 'none' }
        : await core.group('Pull request', () =>
            settlePullRequest(clone, access.api, source, inputs, branch, result),
          );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  } finally {
    await access.close();
  }

  for (const [name, value] of Object.entries(outputsFor(outcome))) core.setOutput(name, value);
  core.info(`${headline(outcome, inputs.tag)} (${formatDuration(Date.now() - started)})`);
  await appendSummary(summaryFor(inputs.image, inputs.tag, outcome));
}

// ---- inputs git must accept ----

/** The tag must also be a valid branch-name part and the base a valid branch name, checked by git itself. */
async function checkRefNames(runner: ProcessRunner, inputs: Inputs): Promise<void> {
  const problems: string[] = [];
  const check = async (input: string, value: string, ref: string) => {
    const advice = fix(input);
    const result = await runner.run('git', ['check-ref-format', ref], {
      env: { PATH: process.env['PATH'] ?? '' },
    });
    if (result.exitCode === 127)
      throw new ConfigurationError('git is not installed on this runner', 'Install git');
    if (result.exitCode !== 0) {
      problems.push(
        `input "${input}" is ${JSON.stringify(value)}: git rejects it in a branch name (no "..", no "@{", and no ending in "." or ".lock"); ${advice}`,
      );
    }
  };
  const fix = (input: string) =>
    input === 'tag'
      ? 'pass the tag the image was pushed with, without those sequences (e.g. the 12-character commit sha the build step outputs), and re-tag the image if its own tag has them'
      : 'name an existing branch of the deployment repository (cal-icor-hubs uses "staging")';
  await check('tag', inputs.tag, `refs/heads/hub-image-bump/${inputs.tag}`);
  await check('base-branch', inputs.baseBranch, `refs/heads/${inputs.baseBranch}`);
  if (problems.length > 0) throw new ConfigurationError(problems.join('\n'));
}

// ---- access ----

interface Access {
  api: gh.Api;
  token: string;
  sourceApi: gh.Api | undefined;
  close: () => Promise<void>;
}

const logRetry: gh.RetryLog = (what, event) =>
  core.info(
    `${what}: ${event.reason}; trying again in ${formatDuration(event.delayMs)} (attempt ${event.attempt + 1})`,
  );

async function authenticate(inputs: Inputs): Promise<Access> {
  const sourceApi = inputs.sourceToken === undefined ? undefined : gh.apiClient(inputs.sourceToken, logRetry);
  if (inputs.auth.mode === 'token') {
    core.info('Using the token given in "token" for the deployment repository.');
    return {
      api: gh.apiClient(inputs.auth.token, logRetry),
      token: inputs.auth.token,
      sourceApi,
      close: async () => {},
    };
  }
  const minted = await gh.installationToken(inputs.auth, inputs.deploymentRepo, logRetry);
  maskSecret(minted.token);
  core.info(
    `Minted a GitHub App installation token for ${repoName(inputs.deploymentRepo)} only (contents and pull requests: write; expires ${minted.expiresAt}).`,
  );
  const api = gh.apiClient(minted.token, logRetry);
  return {
    api,
    token: minted.token,
    sourceApi,
    close: async () => {
      try {
        await gh.revokeToken(api);
        core.info('Revoked the installation token.');
      } catch (error) {
        core.warning(`Could not revoke the installation token (it expires on its own): ${String(error)}`);
      }
    },
  };
}

async function checkDeploymentRepo(api: gh.Api, inputs: Inputs): Promise<void> {
  const facts = await gh.deploymentRepo(api, inputs.deploymentRepo);
  if (facts.canPush === false && !inputs.dryRun) {
    throw new ConfigurationError(
      `the token can read ${facts.fullName} but not push to it`,
      'Give it contents: write (and pull-requests: write) on the deployment repository; nothing was changed',
    );
  }
  core.info(`${facts.htmlUrl}: reachable${facts.canPush === true ? ', push allowed' : ''}.`);
}

// ---- the image repository: which commit is newer ----

class SourceOracle {
  private readonly orders = new Map<string, CommitOrder | undefined>();
  private commit: gh.SourceCommit | undefined;
  private facts: SourceFacts | undefined;
  private readonly api: gh.Api | undefined;
  private readonly inputs: Inputs;

  constructor(api: gh.Api | undefined, inputs: Inputs) {
    this.api = api;
    this.inputs = inputs;
  }

  /** Orders every commit-like tag against the new tag's commit (cached across push attempts). */
  async learn(tags: Iterable<string>): Promise<void> {
    const { sourceRepo, sourceSha } = this.inputs;
    const wanted = [...new Set(tags)].filter(
      (tag) => tag !== this.inputs.tag && tagKind(tag) === 'commit' && !this.orders.has(tag),
    );
    if (wanted.length === 0) return;
    if (this.api === undefined || sourceRepo === undefined || sourceSha === undefined) {
      throw new ConfigurationError(
        `cannot check that ${wanted.join(', ')} ${wanted.length === 1 ? 'is' : 'are'} older than ${this.inputs.tag}: ${this.api === undefined ? '"source-token" is empty' : '"source-repo" and "source-sha" are needed'}`,
        'Give "source-repo", "source-sha" and a "source-token" that can read the image repository',
      );
    }
    const next = await this.sourceCommit();
    for (const tag of wanted) {
      const comparison = await gh.compareSource(this.api, sourceRepo, tag, next.sha);
      const order: CommitOrder = comparison.found
        ? orderFromCompare(comparison.status, comparison.behindBy, {
            current: comparison.baseDate,
            next: next.date,
          })
        : { kind: 'unknown', why: `not a commit of ${repoName(sourceRepo)}` };
      this.orders.set(tag, order);
      core.info(`  ${tag}: ${describeOrder(order, next.sha.slice(0, 12))}`);
    }
  }

  move(current: string): Move {
    return decideMove(current, this.inputs.tag, this.orders.get(current));
  }

  /** Links for the pull request: the source commit and the merged pull request behind it. */
  async describe(): Promise<SourceFacts | undefined> {
    const { sourceRepo, sourceSha } = this.inputs;
    if (this.facts !== undefined || sourceRepo === undefined || sourceSha === undefined) return this.facts;
    const serverUrl = runnerEnvironment().serverUrl;
    let commitUrl = `${serverUrl}/${repoName(sourceRepo)}/commit/${sourceSha}`;
    let pull: SourceFacts['pull'];
    if (this.api !== undefined) {
      const commit = await this.sourceCommit();
      commitUrl = commit.htmlUrl;
      try {
        pull = await gh.mergedPullFor(this.api, sourceRepo, commit.sha);
      } catch (error) {
        core.warning(
          `Could not look up the pull request that merged ${sourceSha.slice(0, 12)}: ${String(error)}`,
        );
      }
    }
    this.facts = {
      repo: repoName(sourceRepo),
      sha: sourceSha,
      commitUrl,
      ...(pull === undefined ? {} : { pull }),
    };
    return this.facts;
  }

  private async sourceCommit(): Promise<gh.SourceCommit> {
    const { sourceRepo, sourceSha } = this.inputs;
    if (this.api === undefined || sourceRepo === undefined || sourceSha === undefined) {
      throw new Error('sourceCommit called without a source');
    }
    this.commit ??= await gh.sourceCommit(this.api, sourceRepo, sourceSha);
    return this.commit;
  }
}

function describeOrder(order: CommitOrder, next: string): string {
  switch (order.kind) {
    case 'older':
      return `older than ${next}`;
    case 'same':
      return `the same commit as ${next}`;
    case 'newer':
      return `${order.aheadBy} commit(s) newer than ${next}`;
    case 'diverged':
      return `on another line of history than ${next}, ${order.currentIsLater ? 'later' : 'earlier'}`;
    case 'unknown':
      return `${order.why}, so its order is unknown`;
  }
}

// ---- the bump branch ----

interface Found {
  uses: ImageUse[];
  texts: Map<string, string>;
}

async function updateBranch(
  clone: DeploymentClone,
  api: gh.Api,
  source: SourceOracle,
  inputs: Inputs,
  branch: string,
): Promise<BranchResult> {
  for (let attempt = 1; ; attempt += 1) {
    const step = await branchAttempt(clone, api, source, inputs, branch, attempt);
    if (!('again' in step)) return step;
    // Every lost race (a push beaten by another, a branch that moved or vanished while it was fetched) costs an
    // attempt from the same budget and waits a little longer each time, so that racing jobs spread out.
    if (attempt >= MAX_PUSH_ATTEMPTS) {
      throw new ConfigurationError(
        `${branch} or ${inputs.baseBranch} kept changing during ${attempt} attempts (last: ${step.again}); nothing was overwritten`,
        'Re-run the job: it starts again from the current branches',
      );
    }
    const delayMs = 250 * attempt + Math.floor(Math.random() * 500);
    core.info(
      `${step.again}; looking again in ${formatDuration(delayMs)} (attempt ${attempt + 1} of ${MAX_PUSH_ATTEMPTS}).`,
    );
    await systemClock.sleep(delayMs);
  }
}

/** One look at the branches and one push; `again` says why the attempt must be repeated on the current branches. */
async function branchAttempt(
  clone: DeploymentClone,
  api: gh.Api,
  source: SourceOracle,
  inputs: Inputs,
  branch: string,
  attempt: number,
): Promise<BranchResult | { again: string }> {
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
  const state = branchSha === undefined ? undefined : await inspectBranch(api, inputs, baseSha, branchSha);
  if (found.uses.length === 0) {
    return {
      kind: 'nothing',
      reason: `no considered file references ${inputs.image.full}`,
      closable: state?.foreign.length === 0,
    };
  }

  const plan = await core.group(`Decide each reference (${inputs.tag})`, async () => {
    await source.learn([
      ...found.uses.map((use) => use.tag),
      ...(state?.tag === undefined ? [] : [state.tag]),
    ]);
    const plan = planBump(found.uses, found.texts, inputs.tag, (tag) => source.move(tag));
    logPlan(plan);
    return plan;
  });
  if (state?.tag !== undefined && source.move(state.tag).action === 'keep') {
    return { kind: 'superseded', branchTag: state.tag };
  }
  if (plan.changes.length === 0) {
    return {
      kind: 'nothing',
      reason: `every reference is at ${inputs.tag} or left alone`,
      plan,
      closable: state?.foreign.length === 0,
    };
  }
  if (inputs.dryRun) return { kind: 'planned', plan };
  if (state !== undefined && state.foreign.length > 0)
    throw foreignCommitsError(inputs, branch, state.foreign);

  return core.group(`Commit and push ${branch} (attempt ${attempt})`, async () => {
    const sha = await commitPlan(clone, found, plan, inputs, await source.describe());
    if (
      state !== undefined &&
      state.ownCommits &&
      (await clone.sameFiles(sha, state.sha, [...new Set([...plan.files, ...state.files])]))
    ) {
      core.info(`${branch} already holds exactly these changes; nothing to push.`);
      return { kind: 'current' as const, plan, sha: state.sha };
    }
    const result = await clone.push(sha, branch, branchSha);
    if (result.status === 'pushed') {
      core.info(
        `Pushed ${sha.slice(0, 12)} to ${branch}${branchSha === undefined ? ' (new branch)' : `, replacing ${branchSha.slice(0, 12)}`}.`,
      );
      return { kind: 'pushed' as const, plan, previousTag: state?.tag, sha };
    }
    return { again: `the push lost a race (${result.status === 'moved' ? result.detail : ''})` };
  });
}

async function findReferences(clone: DeploymentClone, baseSha: string, inputs: Inputs): Promise<Found> {
  const selected = selectFiles(await clone.listFiles(baseSha), {
    include: inputs.paths,
    exclude: inputs.exclude,
  });
  await clone.checkout(baseSha, selected);
  const files = await Promise.all(selected.map(async (path) => scanFile(path, await clone.readFile(path))));
  core.info(
    `${selected.length} file(s) considered (${inputs.paths.join(', ')}${inputs.exclude.length > 0 ? `; excluding ${inputs.exclude.join(', ')}` : ''}).`,
  );
  const search = findImageUses(files, inputs.image.full);
  for (const problem of search.unreadable) {
    core.warning(
      `${problem.file} cannot be parsed (${problem.reason}); it does not mention the image, so it is skipped.`,
      {
        file: problem.file,
      },
    );
  }
  if (search.unsafe.length > 0) throw unsafeFiles(inputs, search.unsafe);
  let uses = search.uses;
  if (inputs.hubs.length > 0) {
    uses = uses.filter((use) => use.hub !== undefined && inputs.hubs.includes(use.hub));
    const using = new Set(search.uses.map((use) => use.hub));
    const idle = inputs.hubs.filter((hub) => !using.has(hub));
    if (idle.length > 0)
      core.warning(`input "hubs" names ${idle.join(', ')}, which do not use ${inputs.image.full}.`);
  }
  for (const use of uses) {
    core.info(
      `  ${use.hub ?? '-'}  ${use.file}:${use.line}  ${formatPath(use.path)}  ${use.tag}${use.digest === undefined ? '' : ` @${use.digest}`}`,
    );
  }
  core.info(`${uses.length} reference(s) to ${inputs.image.full}.`);
  return { uses, texts: new Map(files.map((file) => [file.path, file.text])) };
}

function unsafeFiles(inputs: Inputs, problems: readonly FileProblem[]): ConfigurationError {
  const lines = problems.map((p) => `  - ${p.file}${p.line === undefined ? '' : `:${p.line}`}: ${p.reason}`);
  return new ConfigurationError(
    `${problems.length === 1 ? 'a file that references' : `${problems.length} files that reference`} ${inputs.image.full} cannot be edited safely, so nothing was changed:\n${lines.join('\n')}\n`,
    'Fix these files by hand (or exclude them with "exclude"), then re-run',
  );
}

function logPlan(plan: BumpPlan): void {
  for (const change of plan.changes) {
    core.info(
      `  move  ${change.use.file}:${change.use.line}  ${change.from} → ${plan.tag}${change.note === undefined ? '' : `  (${change.note})`}`,
    );
  }
  for (const kept of plan.kept)
    core.info(`  keep  ${kept.use.file}:${kept.use.line}  ${kept.use.tag}: ${kept.reason}`);
  if (plan.current.length > 0) core.info(`  ${plan.current.length} reference(s) already at ${plan.tag}`);
}

interface BranchState {
  sha: string;
  /** Commits someone else made on the branch: the branch must then be left as it is. */
  foreign: BranchCommit[];
  /** False when every commit of the branch is already in the base (e.g. after a merge). */
  ownCommits: boolean;
  tag: string | undefined;
  files: string[];
}

/** Reads the bump branch through the API: which commits it has beyond the base, and whose they are. */
async function inspectBranch(
  api: gh.Api,
  inputs: Inputs,
  baseSha: string,
  branchSha: string,
): Promise<BranchState> {
  const comparison = await gh.compareBranch(api, inputs.deploymentRepo, baseSha, branchSha);
  if (comparison.aheadBy === 0)
    return { sha: branchSha, foreign: [], ownCommits: false, tag: undefined, files: [] };
  const foreign =
    comparison.commits.length < comparison.aheadBy
      ? comparison.commits
      : foreignCommits(comparison.commits, inputs.image, inputs.authorEmail);
  return {
    sha: branchSha,
    foreign,
    ownCommits: true,
    tag: foreign.length > 0 ? undefined : branchTag(comparison.commits),
    files: comparison.files,
  };
}

function foreignCommitsError(
  inputs: Inputs,
  branch: string,
  foreign: readonly BranchCommit[],
): ConfigurationError {
  const list = foreign.map(
    (c) => `  - ${c.sha.slice(0, 12)} by ${c.authorName} <${c.authorEmail}>: ${c.message.split('\n')[0]}`,
  );
  return new ConfigurationError(
    `${branch} in ${repoName(inputs.deploymentRepo)} has commits this action did not make, so it is left as it is:\n${list.join('\n')}\n`,
    `Merge or close its pull request and delete the branch (or remove those commits), then re-run; the bump is rebuilt from ${inputs.baseBranch}`,
  );
}

async function commitPlan(
  clone: DeploymentClone,
  found: Found,
  plan: BumpPlan,
  inputs: Inputs,
  source: SourceFacts | undefined,
): Promise<string> {
  for (const file of plan.files) {
    const changes = plan.changes.map((change) => change.use).filter((use) => use.file === file);
    let edited;
    try {
      edited = editFile({ path: file, text: found.texts.get(file) ?? '' }, changes, inputs.tag);
    } catch (error) {
      if (error instanceof UnsafeEditError)
        throw unsafeFiles(inputs, [{ file, hub: undefined, reason: error.message }]);
      throw error;
    }
    await clone.writeFile(file, encodeFile(edited.text));
  }
  const message = commitMessage({
    image: inputs.image,
    tag: inputs.tag,
    hubs: plan.hubs,
    files: plan.files,
    sourceCommitUrl: source?.commitUrl,
  });
  return clone.commit(plan.files, message);
}

// ---- the pull request ----

async function settlePullRequest(
  clone: DeploymentClone,
  api: gh.Api,
  source: SourceOracle,
  inputs: Inputs,
  branch: string,
  result: BranchResult,
): Promise<Outcome> {
  const repo = inputs.deploymentRepo;
  if (result.kind === 'nothing') {
    if (result.closable) await closeObsoletePull(api, repo, branch, inputs, result.reason);
    return { ...result, operation: 'none' };
  }
  if (result.kind === 'superseded') {
    const open = await gh.findOpenPull(api, repo, branch, inputs.baseBranch);
    core.info(`${branch} already carries ${result.branchTag}, newer than ${inputs.tag}: nothing to do.`);
    return { ...result, operation: 'unchanged', ...(open === undefined ? {} : { pull: open }) };
  }
  if (result.kind === 'planned') return { ...result, operation: 'none' };

  const title = pullRequestTitle(inputs.image, inputs.tag);
  const body = pullRequestBody(inputs.image, result.plan, await source.describe());
  // The pull request describes the branch's commit. Another job of this image may have replaced that commit
  // since this run pushed or verified it; then the pull request is that job's to write, and writing this run's
  // title, labels or comment would describe a tag the branch no longer holds.
  const overtaken = async (pull: gh.Pull | undefined, created = false): Promise<Outcome | undefined> => {
    const head = (await clone.remoteHeads([branch])).get(branch);
    if (head === result.sha) return undefined;
    const by = head === undefined ? 'deleted it' : `replaced it with ${head.slice(0, 12)}`;
    core.info(
      `Another run ${by} after this run ${result.kind === 'pushed' ? 'pushed' : 'checked'} ${result.sha.slice(0, 12)} to ${branch}; the pull request is that run's to update, so this run leaves it as it is.`,
    );
    return {
      kind: 'overtaken',
      sha: result.sha,
      head,
      operation: created ? 'created' : 'unchanged',
      ...(pull === undefined ? {} : { pull }),
    };
  };
  let pull = await gh.findOpenPull(api, repo, branch, inputs.baseBranch);
  let created = false;
  if (pull === undefined) {
    const moved = await overtaken(undefined);
    if (moved !== undefined) return moved;
    const creation = await gh.createPull(api, repo, { branch, base: inputs.baseBranch, title, body });
    if ('created' in creation) {
      pull = creation.created;
      created = true;
      core.info(`Opened ${pull.url}`);
    } else {
      pull = await waitForListedPull(api, repo, branch, inputs.baseBranch);
    }
  }
  const moved = await overtaken(pull, created);
  if (moved !== undefined) return moved;
  if (!created && (pull.title !== title || pull.body !== body)) {
    await gh.updatePull(api, repo, pull.number, { title, body });
    core.info(`Updated the title and description of ${pull.url}`);
  }
  if (inputs.labels) await syncLabels(api, repo, pull, result.plan.hubs);
  const pushed = result.kind === 'pushed';
  if (!created && pushed && result.previousTag !== inputs.tag) {
    const existing = await gh.commentBodies(api, repo, pull.number);
    const note = marker('updated', inputs.image, inputs.tag);
    if (!existing.some((text) => text.includes(note))) {
      const posted = await gh.addComment(
        api,
        repo,
        pull.number,
        updateComment(inputs.image, result.previousTag, inputs.tag),
        logRetry,
      );
      if (!posted) core.info('The comment had landed although its answer was lost; not posting it twice.');
    }
  }
  if (!created && !pushed) core.info(`${pull.url} is already up to date.`);
  return { ...result, operation: created ? 'created' : pushed ? 'updated' : 'unchanged', pull };
}

/**
 * A create answered "already exists" but the list does not show it yet: GitHub's search index lags behind
 * writes. Ask again for a while before calling it a failure.
 */
async function waitForListedPull(api: gh.Api, repo: Repo, branch: string, base: string): Promise<gh.Pull> {
  for (let attempt = 1; attempt <= 8; attempt += 1) {
    const pull = await gh.findOpenPull(api, repo, branch, base);
    if (pull !== undefined) return pull;
    core.info(`GitHub says a pull request for ${branch} exists but does not list it yet; asking again.`);
    await systemClock.sleep(500 * attempt);
  }
  throw new ConfigurationError(
    `GitHub says a pull request for ${branch} into ${base} already exists, but does not list it`,
    'Re-run the job in a minute',
  );
}

/** GitHub refuses label names longer than this (422). */
const MAX_LABEL_LENGTH = 50;

async function syncLabels(api: gh.Api, repo: Repo, pull: gh.Pull, hubs: readonly string[]): Promise<void> {
  const named = hubs.map((hub) => ({ hub, label: `hub: ${hub}` }));
  const tooLong = named.filter(({ label }) => label.length > MAX_LABEL_LENGTH).map(({ hub }) => hub);
  if (tooLong.length > 0) {
    core.warning(
      `No "hub: <name>" label for ${tooLong.join(', ')}: GitHub allows labels of at most ${MAX_LABEL_LENGTH} characters. The pull request's table still lists ${tooLong.length === 1 ? 'that hub' : 'those hubs'}.`,
    );
  }
  const wanted = named.filter(({ label }) => label.length <= MAX_LABEL_LENGTH).map(({ label }) => label);
  const missing = wanted.filter((label) => !pull.labels.includes(label));
  const stale = pull.labels.filter((label) => label.startsWith('hub: ') && !wanted.includes(label));
  await gh.addLabels(api, repo, pull.number, missing);
  for (const label of stale) await gh.removeLabel(api, repo, pull.number, label);
  if (missing.length + stale.length > 0) {
    core.info(`Labels: ${[...missing.map((l) => `+${l}`), ...stale.map((l) => `-${l}`)].join(', ')}`);
  }
}

async function closeObsoletePull(
  api: gh.Api,
  repo: Repo,
  branch: string,
  inputs: Inputs,
  reason: string,
): Promise<void> {
  const open = await gh.findOpenPull(api, repo, branch, inputs.baseBranch);
  if (open === undefined) return;
  await gh.addComment(
    api,
    repo,
    open.number,
    `Closing: \`${inputs.baseBranch}\` no longer needs this bump (${reason}); merging it would change nothing or move hubs back.\n\n${marker('updated', inputs.image, inputs.tag)}`,
    logRetry,
  );
  await gh.updatePull(api, repo, open.number, { state: 'closed' });
  core.info(`Closed ${open.url}: ${reason}.`);
}
