import * as core from '@actions/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, matchesGlob } from 'node:path';
import { appendSummary, ConfigurationError, formatDuration } from '@hub-image-actions/action-io';
import { DeploymentClone } from '@hub-image-actions/deployment-repo';
import { closeAccess, repoName } from '@hub-image-actions/github-access';
import { parseImageName } from '@hub-image-actions/image-ref';
import { systemRunner } from '@hub-image-actions/process';
import { authenticate } from './access.js';
import { readInputs, runnerEnvironment, type Inputs } from './context.js';
import { driftAges, readDeployment } from './deployment.js';
import * as gh from './github.js';
import { settleIssue } from './issue.js';
import { summaryMarkdown } from './markdown.js';
import { annotate, reportReposFile, setOutputs } from './publish.js';
import { buildReport, buildRows, driftCandidates, failsOn } from './report.js';
import { reportJson } from './report-file.js';
import { bumpPulls, historyFacts, registryFacts } from './sources.js';

// The fleet report, phase by phase as the log shows them: authenticate, read the deploy branches, ask the registry,
// the image repositories and the open bump pull requests, compare the branches; then the report, its issue and outputs.
export async function main(): Promise<void> {
  const started = Date.now();
  const inputs = readInputs();
  const environment = runnerEnvironment();
  const now = new Date();
  core.info(
    `Fleet report of ${repoName(inputs.deploymentRepo)} (${inputs.branches.join(', ')}): images on ${inputs.images.length > 0 ? inputs.images.join(', ') : inputs.registry}.`,
  );
  const access = await core.group('Authenticate', () => authenticate(inputs));
  const workDir = await mkdtemp(join(environment.runnerTemp, 'fleet-report-'));
  try {
    await core.group(`Check ${repoName(inputs.deploymentRepo)}`, async () => {
      const { htmlUrl } = await gh.checkDeploymentRepo(access.api, inputs.deploymentRepo);
      core.info(`${htmlUrl}: reachable.`);
    });
    const clone = new DeploymentClone({
      runner: systemRunner,
      dir: join(workDir, 'deployment'),
      serverUrl: environment.serverUrl,
      repo: repoName(inputs.deploymentRepo),
      token: access.token,
      author: { name: 'fleet-report', email: 'fleet-report@users.noreply.github.com' },
      onCredential: (credential) => core.setSecret(credential),
    });
    await clone.init();
    const covered = coveredBy(inputs);
    const read = await core.group(`Read ${inputs.branches.join(', ')}`, async () => {
      const result = await readDeployment(clone, inputs, covered, now);
      for (const line of result.log) core.info(line);
      reportReposFile(result, inputs);
      for (const branch of result.branches) {
        for (const file of branch.unreadable) core.info(`${branch.name}: ${file.file} ${file.reason}.`);
      }
      return result;
    });

    const images = await core.group('Ask the registry', () => registryFacts(inputs, read));
    await core.group('Ask the image repositories', () => historyFacts(inputs, read, images));
    await core.group('Find the open bump pull requests', () => bumpPulls(access, inputs, images));

    const rows = buildRows(read.branches, images);
    const drift = await core.group(`Compare ${inputs.branches.join(' with ')}`, async () => {
      const candidates = driftCandidates(rows);
      core.info(
        `${candidates.length} place(s) where ${inputs.branches[0]} runs another image than a later branch.`,
      );
      return driftAges(clone, inputs, read, candidates, covered);
    });
    const report = buildReport({
      branches: read.branches,
      images,
      repos: read.repos,
      drift,
      driftDays: inputs.driftDays,
    });

    const reportFile = join(environment.runnerTemp, 'fleet-report.json');
    await writeFile(
      reportFile,
      `${JSON.stringify(reportJson(report, inputs, read, images, now), null, 2)}\n`,
    );
    annotate(report);
    const issue = inputs.issue
      ? await core.group('Report issue', () =>
          settleIssue(access.api, inputs.deploymentRepo, report, {
            title: inputs.issueTitle,
            runUrl: environment.runUrl,
            repoName: repoName(inputs.deploymentRepo),
          }),
        )
      : undefined;
    setOutputs(report, reportFile, issue);
    await appendSummary(
      summaryMarkdown(report, {
        repo: repoName(inputs.deploymentRepo),
        branches: read.branches.map((branch) => ({ name: branch.name, sha: branch.sha })),
        images: [...images.values()].map((facts) => ({
          image: facts.image,
          tags:
            facts.listing.kind === 'listed'
              ? facts.listing.tags.size
              : facts.listing.kind === 'absent'
                ? 0
                : undefined,
          repo: facts.repo === undefined ? undefined : repoName(facts.repo),
        })),
        notes: issue?.url === undefined ? [] : [`Report issue: ${issue.url} (${issue.action})`],
      }),
    );
    core.info(
      `${report.problems.length} problem(s), ${report.broken} broken, in ${report.hubs} hub(s) and ${report.images} image(s) (${formatDuration(Date.now() - started)}); the whole report is in ${reportFile}.`,
    );
    if (failsOn(report, inputs.failOn)) {
      const what =
        report.broken > 0 ? `${report.broken} broken reference(s)` : `${report.problems.length} problem(s)`;
      throw new ConfigurationError(
        `${what} in ${repoName(inputs.deploymentRepo)} (fail-on: ${inputs.failOn})`,
        'Fix them as the annotations and the job summary say, or set "fail-on"',
      );
    }
  } finally {
    await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
    if (access.minted !== undefined) {
      await closeAccess(access).then(
        () => core.info('Revoked the installation token.'),
        (error: unknown) =>
          core.warning(`Could not revoke the installation token (it expires on its own): ${String(error)}`),
      );
    }
  }
}

/** The images the report covers: those on the `registry` host, or those `images` names. */
function coveredBy(inputs: Inputs): (image: string) => boolean {
  return (image) => {
    let host: string | undefined;
    try {
      host = parseImageName(image).registry?.toLowerCase();
    } catch {
      return false;
    }
    if (inputs.images.length > 0) return inputs.images.some((glob) => matchesGlob(image, glob));
    return host === inputs.registry;
  };
}
