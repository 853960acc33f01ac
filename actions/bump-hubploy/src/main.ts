import * as core from '@actions/core';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  appendSummary,
  CancelledError,
  ConfigurationError,
  formatDuration,
  maskSecret,
} from '@hub-image-actions/action-io';
import {
  closeAccess,
  openAccess,
  sealToken,
  tokenClient,
  type GitHubAccess,
  repoName,
} from '@hub-image-actions/github-access';
import { systemRunner } from '@hub-image-actions/process';
import { systemClock } from '@hub-image-actions/retry';
import { bumpBranch } from './branch.js';
import { updateBranch } from './bump-branch.js';
import { RunScope } from './cancel.js';
import { readInputs, runnerEnvironment, type Inputs } from './context.js';
import { DeploymentClone } from '@hub-image-actions/deployment-repo';
import * as gh from './github.js';
import { headline, outputsFor, summaryFor, type Outcome } from './outcome.js';
import { WORK_DIR_PREFIX } from './post.js';
import { packageChanges } from './packages.js';
import { settlePullRequest } from './pull-request.js';
import { checkRefNames } from './ref-names.js';
import { ImageHistory } from './source.js';
import { savedState } from './state.js';

export async function main(): Promise<void> {
  const started = Date.now();
  const inputs = readInputs();
  const scope = new RunScope();
  let stopHandlers = (): void => undefined;
  const stopped = new Promise<never>((_, reject) => {
    stopHandlers = scope.stopOnSignals((signal) => {
      reject(
        new CancelledError(
          signal,
          `the job was cancelled (${signal}); the clone was removed${inputs.auth.mode === 'app' ? ' and the installation token revoked' : ''}`,
          'Re-run the job: it starts again from the current branches',
        ),
      );
    });
  });
  stopped.catch(() => undefined);
  const work = bump(inputs, scope, started);
  work.catch(() => undefined);
  try {
    await Promise.race([work, stopped]);
  } catch (error) {
    // A cancel can reach a git child before it reaches us: its failure is the cancel's, not a failure of its own.
    if (scope.cancelled !== undefined) await stopped;
    throw error;
  } finally {
    await scope.close();
    savedState.save({ closed: 'true' });
    if (scope.cancelled === undefined) stopHandlers();
  }
}

async function bump(inputs: Inputs, scope: RunScope, started: number): Promise<void> {
  const environment = runnerEnvironment();
  const runner = scope.runner(systemRunner);
  await checkRefNames(runner, inputs);
  const branch = bumpBranch(inputs.image);
  core.info(
    `Bumping ${inputs.image.full} to ${inputs.tag} in ${repoName(inputs.deploymentRepo)} (${inputs.baseBranch}), branch ${branch}.`,
  );

  const access = await core.group('Authenticate', () => authenticate(inputs, scope));
  await core.group(`Check ${repoName(inputs.deploymentRepo)}`, () => checkDeploymentRepo(access.api, inputs));
  const workDir = await mkdtemp(join(environment.runnerTemp, WORK_DIR_PREFIX));
  savedState.save({ 'work-dir': workDir });
  scope.onClose(async () => {
    await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
  });
  const clone = new DeploymentClone({
    runner,
    dir: join(workDir, 'deployment'),
    serverUrl: environment.serverUrl,
    repo: repoName(inputs.deploymentRepo),
    token: access.token,
    author: { name: inputs.authorName, email: inputs.authorEmail },
    onCredential: (credential) => core.setSecret(credential),
  });
  await clone.init();
  const sourceApi = inputs.sourceToken === undefined ? undefined : tokenClient(inputs.sourceToken, core.info);
  const history = new ImageHistory(sourceApi, inputs, environment.serverUrl);
  const work = { clone, api: access.api, history, inputs, branch, clock: systemClock };

  const { found, ...result } = await updateBranch(work);
  const outcome: Outcome =
    result.kind === 'planned'
      ? { ...result, operation: 'none' }
      : await core.group('Pull request', () =>
          settlePullRequest(work, result, found, (plan) =>
            inputs.packages
              ? packageChanges({
                  image: inputs.image,
                  plan,
                  auth: inputs.registryAuth,
                  log: core.info,
                })
              : Promise.resolve(''),
          ),
        );

  for (const [name, value] of Object.entries(outputsFor(outcome))) core.setOutput(name, value);
  core.info(`${headline(outcome, inputs.tag)} (${formatDuration(Date.now() - started)})`);
  await appendSummary(
    summaryFor(inputs.image, inputs.tag, outcome, {
      ...(found?.nothingSelected === undefined ? {} : { nothingSelected: found.nothingSelected }),
      legacy: found?.legacy ?? [],
    }),
  );
}

/** The given token, or an installation token for the deployment repo alone, revoked when the run closes. */
async function authenticate(inputs: Inputs, scope: RunScope): Promise<GitHubAccess> {
  if (inputs.auth.mode === 'token')
    core.info('Using the token given in "token" for the deployment repository.');
  const access = await openAccess(inputs.auth, {
    repo: inputs.deploymentRepo,
    repoInput: 'deployment-repo',
    permissions: { contents: 'write', pull_requests: 'write' },
    log: core.info,
  });
  if (access.minted === undefined || inputs.auth.mode !== 'app') return access;
  maskSecret(access.token);
  savedState.save({ 'token-seal': sealToken(access.token, inputs.auth.privateKey) });
  scope.onClose(async (cancelled) => {
    try {
      await closeAccess(access, cancelled ? 2_000 : undefined);
      core.info('Revoked the installation token.');
    } catch (error) {
      core.warning(`Could not revoke the installation token (it expires on its own): ${String(error)}`);
    }
  });
  core.info(
    `Minted a GitHub App installation token for ${repoName(inputs.deploymentRepo)} only (contents and pull requests: write; expires ${access.minted.expiresAt}).`,
  );
  return access;
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
