import * as core from '@actions/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, matchesGlob } from 'node:path';
import { appendSummary, ConfigurationError, formatDuration, maskSecret } from '@hub-image-actions/action-io';
import { bumpBranch, DeploymentClone } from '@hub-image-actions/deployment-repo';
import { createAccessTokenSource, registryCredentials, type GarAuth } from '@hub-image-actions/gar-auth';
import { closeAccess, openAccess, tokenClient, type GitHubAccess } from '@hub-image-actions/github-access';
import { parseImageName } from '@hub-image-actions/image-ref';
import { systemRunner } from '@hub-image-actions/process';
import { readInputs, repoName, runnerEnvironment, type Inputs } from './context.js';
import { driftAges, readDeployment, type DeploymentRead } from './deployment.js';
import type { BumpPull, ImageFacts, Listing } from './facts.js';
import * as gh from './github.js';
import { imageHistory } from './history.js';
import { settleIssue, type IssueOutcome } from './issue.js';
import { problemLine, summaryMarkdown } from './markdown.js';
import { mapLimited, RegistryReader } from './registry.js';
import { repoOfImage } from './repos-file.js';
import { buildReport, buildRows, driftCandidates, failsOn, type Report } from './report.js';
import { reportJson } from './report-file.js';

/** Annotations GitHub shows per step (10 errors and 10 warnings); the rest are in the summary. */
const MAX_ANNOTATIONS = 10;

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

/** The given token, or an installation token for the deployment repo alone: read, plus issues when asked. */
async function authenticate(inputs: Inputs): Promise<GitHubAccess> {
  const permissions: Record<string, 'read' | 'write'> = { contents: 'read', pull_requests: 'read' };
  if (inputs.issue) permissions['issues'] = 'write';
  const access = await openAccess(inputs.auth, {
    repo: inputs.deploymentRepo,
    repoInput: 'deployment-repo',
    permissions,
    log: core.info,
  });
  if (access.minted !== undefined) {
    maskSecret(access.token);
    core.info(
      `Minted a GitHub App installation token for ${repoName(inputs.deploymentRepo)} only (${Object.entries(
        permissions,
      )
        .map(([scope, level]) => `${scope}: ${level}`)
        .join(', ')}; expires ${access.minted.expiresAt}).`,
    );
  } else {
    core.info('Using the token given in "token" for the deployment repository.');
  }
  return access;
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

function reportReposFile(read: DeploymentRead, inputs: Inputs): void {
  const repos = read.repos;
  const first = inputs.branches[0] ?? '';
  if (repos.state === 'missing') {
    const text = `${repos.path} is not in ${first}: the checks against the list of image repositories (not in the list, unused repository) are left out`;
    if (inputs.reposFileGiven)
      core.warning(
        `input "repos-file" is "${repos.path}", but ${text}. Fix the path, or leave "repos-file" out`,
      );
    else core.info(`${text}.`);
  } else if (repos.state === 'unreadable') {
    core.warning(
      `input "repos-file" is "${repos.path}", which cannot be read as a list of repositories in ${first} (${repos.why}): the checks against it are left out. Make it a text file with one OWNER/NAME or git URL a line`,
      { file: repos.path },
    );
  } else {
    core.info(`${repos.path}: ${repos.list.entries.length} image repositories.`);
    for (const bad of repos.list.invalid) {
      core.warning(
        `${repos.path} line ${bad.line} is ${JSON.stringify(bad.text)}, which names no repository: expected OWNER/NAME or a git URL. It is left out.`,
        { file: repos.path, startLine: bad.line },
      );
    }
  }
}

function describeAuth(auth: GarAuth | undefined): string {
  if (auth === undefined) return 'anonymously';
  if (auth.mode === 'workload-identity') return `keyless as ${auth.serviceAccount}`;
  if (auth.mode === 'credentials-json') return `with the key of ${auth.key.client_email}`;
  return 'with the token in "access-token"';
}

function authHint(auth: GarAuth | undefined): string {
  if (auth?.mode === 'workload-identity')
    return `the service account ${auth.serviceAccount} ("service-account")`;
  if (auth?.mode === 'credentials-json') return `${auth.key.client_email} ("credentials-json")`;
  return 'the identity behind "access-token"';
}

async function registryFacts(inputs: Inputs, read: DeploymentRead): Promise<Map<string, ImageFacts>> {
  const names = [...new Set(read.branches.flatMap((branch) => [...branch.uses.keys()]))].sort();
  const tokens = inputs.registryAuth === undefined ? undefined : createAccessTokenSource(inputs.registryAuth);
  const reader = new RegistryReader({
    host: inputs.registry,
    credentials: tokens === undefined ? undefined : registryCredentials(tokens),
    authHint: authHint(inputs.registryAuth),
    onRetry: core.info,
  });
  core.info(
    `Listing the tags of ${names.length} image(s), ${describeAuth(inputs.registryAuth)} on ${inputs.registry}.`,
  );
  if (inputs.registryAuth === undefined && names.length > 0) {
    core.info('No registry auth input is given: the tags are listed anonymously, as for a public registry.');
  }
  const listings = await reader.listings(names);
  const wanted = names.flatMap((image) => refsInUse(read, image).map((ref) => ({ image, ref })));
  const digests = await reader.digests(
    wanted.filter(({ image, ref }) => {
      const listing = listings.get(image);
      return ref.startsWith('sha256:') || (listing?.kind === 'listed' && listing.tags.has(ref));
    }),
  );
  const entries = read.repos.state === 'read' ? read.repos.list.entries : [];
  const images = new Map<string, ImageFacts>();
  for (const image of names) {
    const listing = listings.get(image) ?? ({ kind: 'unknown', why: 'not listed' } as Listing);
    core.info(`  ${image}: ${describeListing(listing)}`);
    if (listing.kind === 'unknown') core.warning(`${image}: ${listing.why}. Its rows say "?" (not known).`);
    images.set(image, {
      image,
      listing,
      digests: digests.get(image) ?? new Map(),
      repo: repoOfImage(image, entries)?.repo,
      newest: { kind: 'none', why: 'not asked yet' },
      behind: new Map(),
      bumpPull: undefined,
    });
  }
  return images;
}

function describeListing(listing: Listing & { pages?: number }): string {
  switch (listing.kind) {
    case 'listed':
      return `${listing.tags.size} tag(s)${listing.pages !== undefined && listing.pages > 1 ? ` in ${listing.pages} pages` : ''}`;
    case 'absent':
      return 'the registry has no such repository';
    case 'unknown':
      return `not known: ${listing.why}`;
  }
}

/** The tags and digests the branches use for an image. */
function refsInUse(read: DeploymentRead, image: string): string[] {
  const refs = new Set<string>();
  for (const branch of read.branches) {
    for (const use of branch.uses.get(image) ?? []) refs.add(use.digest ?? use.tag);
  }
  return [...refs];
}

async function historyFacts(
  inputs: Inputs,
  read: DeploymentRead,
  images: Map<string, ImageFacts>,
): Promise<void> {
  const api = inputs.sourceToken === undefined ? undefined : tokenClient(inputs.sourceToken, core.info);
  const list = [...images.values()];
  const results = await mapLimited(list, 4, (facts) =>
    imageHistory(api, facts.repo, facts.listing, refsInUse(read, facts.image)),
  );
  list.forEach((facts, index) => {
    const history = results[index];
    if (history === undefined) return;
    facts.newest = history.newest;
    facts.behind = history.behind;
    const newest = history.newest;
    core.info(
      `  ${facts.image}: ${newest.kind === 'found' ? `newest pushed ${newest.tag}${newest.newerCommits > 0 ? ` (${newest.newerCommits} newer commit(s) without an image)` : ''}` : newest.why}`,
    );
    if (newest.kind === 'unknown')
      core.warning(`${facts.image}: ${newest.why}. Its "commits behind" say "?".`);
  });
}

async function bumpPulls(
  access: GitHubAccess,
  inputs: Inputs,
  images: Map<string, ImageFacts>,
): Promise<void> {
  const pulls = await gh.openBumpPulls(access.api, inputs.deploymentRepo);
  for (const facts of images.values()) {
    const branch = bumpBranch(parseImageName(facts.image));
    const pull =
      pulls.find((candidate) => candidate.branch === branch) ??
      pulls.find((candidate) => candidate.marker?.image.toLowerCase() === facts.image.toLowerCase());
    if (pull === undefined) continue;
    const found: BumpPull = {
      number: pull.number,
      url: pull.url,
      branch: pull.branch,
      tag: pull.marker?.tag,
    };
    facts.bumpPull = found;
    core.info(
      `  ${facts.image}: #${pull.number} (${pull.branch})${found.tag === undefined ? '' : ` moves hubs to ${found.tag}`}`,
    );
  }
  core.info(`${pulls.length} open bump pull request(s).`);
}

function annotate(report: Report): void {
  let errors = 0;
  let warnings = 0;
  for (const problem of report.problems) {
    const properties = {
      title: `fleet-report: ${problem.kind}`,
      ...(problem.file === undefined ? {} : { file: problem.file }),
      ...(problem.line === undefined ? {} : { startLine: problem.line }),
    };
    const text = `${problem.message}. ${problem.fix}.`;
    if (problem.severity === 'broken') {
      errors += 1;
      core.error(text, properties);
    } else if (problem.severity === 'warning' && warnings < MAX_ANNOTATIONS) {
      warnings += 1;
      core.warning(text, properties);
    } else {
      core.info(problemLine(problem));
    }
  }
  if (errors > MAX_ANNOTATIONS) {
    core.info(
      `GitHub shows ${MAX_ANNOTATIONS} error annotations per step: all ${errors} are in the job summary.`,
    );
  }
}

function setOutputs(report: Report, reportFile: string, issue: IssueOutcome | undefined): void {
  core.setOutput('broken', String(report.broken));
  core.setOutput('problems', String(report.problems.length));
  core.setOutput('unknown', String(report.unknown.length));
  core.setOutput('hubs', String(report.hubs));
  core.setOutput('images', String(report.images));
  core.setOutput('counts', JSON.stringify(report.counts));
  core.setOutput('report-file', reportFile);
  core.setOutput('issue-number', issue?.number === undefined ? '' : String(issue.number));
  core.setOutput('issue-url', issue?.url ?? '');
}
