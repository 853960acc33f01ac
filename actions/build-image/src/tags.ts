// Which commit is being built, the tags that name it, and the tag that names its inputs.
import { shortShaTag } from '@hub-image-actions/image-ref';

export type CommitSource = 'pull-request-head' | 'github-sha';

export interface Commit {
  sha: string;
  source: CommitSource;
}

const PULL_REQUEST_EVENTS = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
]);

const FULL_SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * The commit being built: on pull-request events the PR head (what the contributor pushed, not the merge commit
 * GitHub makes), else GITHUB_SHA. Undefined outside GitHub Actions.
 */
export function commitFromEvent(
  eventName: string | undefined,
  payload: unknown,
  githubSha: string | undefined,
): Commit | undefined {
  if (eventName !== undefined && PULL_REQUEST_EVENTS.has(eventName)) {
    const head = (payload as { pull_request?: { head?: { sha?: unknown } } } | undefined)?.pull_request?.head
      ?.sha;
    if (typeof head === 'string' && FULL_SHA.test(head)) return { sha: head, source: 'pull-request-head' };
  }
  if (githubSha !== undefined && FULL_SHA.test(githubSha)) return { sha: githubSha, source: 'github-sha' };
  return undefined;
}

/** The head of the branch a pull request goes into, from the event payload; undefined for other events. */
export function pullRequestBase(eventName: string | undefined, payload: unknown): string | undefined {
  if (eventName === undefined || !PULL_REQUEST_EVENTS.has(eventName)) return undefined;
  const base = (payload as { pull_request?: { base?: { sha?: unknown } } } | undefined)?.pull_request?.base
    ?.sha;
  return typeof base === 'string' && FULL_SHA.test(base) ? base : undefined;
}

/** The image whose packages this one's are compared with: the tag to read, and what it is for the summary. */
export type Comparison = { tag: string; what: string } | { tag: undefined; why: string };

/** `compare-with` when given; on a pull request its base's image; else the parent commit's image. */
export function comparisonFor(
  given: string | undefined,
  base: string | undefined,
  parent: string | undefined,
): Comparison {
  if (given !== undefined) return { tag: given, what: `the compare-with image (${given})` };
  if (base !== undefined)
    return { tag: commitTag(base), what: `the pull request base's image (${commitTag(base)})` };
  if (parent !== undefined)
    return { tag: commitTag(parent), what: `the parent commit's image (${commitTag(parent)})` };
  return { tag: undefined, why: 'the commit has no parent to compare with' };
}

/** Existing hubs use the first 12 hex characters of the commit. */
export function commitTag(sha: string): string {
  return shortShaTag(sha);
}

export const INPUTS_TAG_PREFIX = 'inputs-';
const INPUTS_TAG_HEX = 24;

/**
 * A tag derived from the inputs hash, so finding an image built from the same inputs is one manifest request.
 * 24 hex characters (96 bits) make an accidental clash negligible, and the full hash in the image's label is
 * checked before anything is reused, so a clash or a hand-pushed tag can never mislead.
 */
export function inputsTag(inputsHash: string): string {
  const hex = inputsHash.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not an inputs hash: ${inputsHash}`);
  return `${INPUTS_TAG_PREFIX}${hex.slice(0, INPUTS_TAG_HEX)}`;
}

/** Every tag the push step should write, in order, without duplicates. */
export function tagsToPush(
  tag: string,
  additionalTags: readonly string[],
  hashTag: string | undefined,
): string[] {
  return [...new Set([tag, ...additionalTags, ...(hashTag === undefined ? [] : [hashTag])])];
}

/** The first parent in a raw commit object (`git cat-file commit HEAD`); present even in a shallow clone. */
export function firstParent(rawCommit: string): string | undefined {
  for (const line of rawCommit.split('\n')) {
    if (line === '') break; // end of the headers
    const match = /^parent ([0-9a-f]{40,64})$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}
