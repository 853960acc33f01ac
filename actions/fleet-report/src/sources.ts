// What the report asks of the registry (tags and digests of every image in use), the image repositories (the newest
// pushed tag, commits behind) and the deployment repo's open bump pull requests. Each image's failure stays its own.
import * as core from '@actions/core';
import { bumpBranch } from '@hub-image-actions/deployment-repo';
import { createAccessTokenSource, registryCredentials, type GarAuth } from '@hub-image-actions/gar-auth';
import { tokenClient, type GitHubAccess } from '@hub-image-actions/github-access';
import { parseImageName } from '@hub-image-actions/image-ref';
import type { Inputs } from './context.js';
import type { DeploymentRead } from './deployment.js';
import type { BumpPull, ImageFacts, Listing } from './facts.js';
import * as gh from './github.js';
import { imageHistory } from './history.js';
import { mapLimited, RegistryReader } from './registry.js';
import { repoOfImage } from './repos-file.js';

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

export async function registryFacts(inputs: Inputs, read: DeploymentRead): Promise<Map<string, ImageFacts>> {
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

export async function historyFacts(
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

export async function bumpPulls(
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
