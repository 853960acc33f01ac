import { ConfigurationError } from '@hub-image-actions/action-io';
import { apiFailure, callError, rateLimitOf, type Api, type Repo } from '@hub-image-actions/github-access';
import {
  commitPage,
  commitTags,
  compareCommits,
  newestIn,
  tagKind,
  type ReadFailure,
} from '@hub-image-actions/image-history';
import type { Behind, Listing, Newest } from './facts.js';

// What the image repos' history says: the newest commit that has an image, and how far behind it each tag in use
// is. One page of commits (more only when the newest commits have no image yet) and one compare per tag in use.

const PER_PAGE = 100;
/** Commits of the default branch looked at for one with an image. */
const MAX_PAGES = 3;

function readFailure(repo: Repo): ReadFailure {
  return (error, call) => {
    const failure = apiFailure(error);
    if (
      (failure.status === 401 || failure.status === 403 || failure.status === 404) &&
      rateLimitOf(failure) === undefined
    ) {
      return new ConfigurationError(
        `"source-token" cannot read ${repo.owner}/${repo.repo} (${failure.status}): ${failure.message}`,
        'Give a token that can read the image repositories (contents: read), e.g. a GitHub App token; the default github.token reads only public ones and this repository',
      );
    }
    return callError(error, {
      call: `${call} in ${repo.owner}/${repo.repo}`,
      permission: 'contents: read ("source-token")',
    });
  };
}

function why(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export interface HistoryFacts {
  newest: Newest;
  behind: Map<string, Behind>;
}

/** The newest pushed image of one image repo, and how far behind it each commit tag in use is. */
export async function imageHistory(
  api: Api | undefined,
  repo: Repo | undefined,
  listing: Listing,
  tagsInUse: readonly string[],
): Promise<HistoryFacts> {
  const behind = new Map<string, Behind>();
  const unknownAll = (reason: string): HistoryFacts => {
    for (const tag of tagsInUse) if (tagKind(tag) === 'commit') behind.set(tag, { unknown: reason });
    return { newest: { kind: 'unknown', why: reason }, behind };
  };
  if (listing.kind !== 'listed') {
    const reason = listing.kind === 'absent' ? 'the registry holds no image of it' : listing.why;
    return { newest: { kind: 'none', why: reason }, behind };
  }
  if (repo === undefined) {
    return {
      newest: { kind: 'none', why: 'no image repository of that name is listed in the repos file' },
      behind,
    };
  }
  if (api === undefined) return unknownAll('"source-token" is empty, so the image repository cannot be read');
  const name = `${repo.owner}/${repo.repo}`;
  const failure = readFailure(repo);
  const tags = commitTags(listing.tags);
  let newest: Extract<Newest, { kind: 'found' }> | undefined;
  try {
    for (let page = 1; page <= MAX_PAGES && newest === undefined; page += 1) {
      const commits = await commitPage(api, repo, page, PER_PAGE, failure);
      const found = newestIn(commits, tags, (page - 1) * PER_PAGE);
      if (found !== undefined) newest = { kind: 'found', ...found };
      if (commits.length < PER_PAGE) break;
    }
  } catch (error) {
    return unknownAll(why(error));
  }
  if (newest === undefined) {
    return {
      newest: {
        kind: 'none',
        why: `none of the newest ${PER_PAGE * MAX_PAGES} commits of ${name}'s default branch has an image in the registry`,
      },
      behind,
    };
  }
  for (const tag of new Set(tagsInUse)) {
    if (tagKind(tag) !== 'commit') continue;
    if (newest.sha.startsWith(tag)) {
      behind.set(tag, { commits: 0 });
      continue;
    }
    try {
      const comparison = await compareCommits(api, repo, tag, newest.sha, failure);
      behind.set(
        tag,
        comparison.found ? { commits: comparison.aheadBy } : { unknown: `${tag} is not a commit of ${name}` },
      );
    } catch (error) {
      behind.set(tag, { unknown: why(error) });
    }
  }
  return { newest, behind };
}
