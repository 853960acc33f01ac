// Phase one, decide: what the registry holds, judged against the inputs hash, gives reuse or build, the cache images
// and whether the inputs tag may be pushed.
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ImageSummary } from '@hub-image-actions/registry-client';
import { explainReadFailure, type RegistryFetch, type RegistryReader } from './registry.js';
import {
  decideReuse,
  judge,
  tagWarnings,
  type CacheCandidate,
  type Lookups,
  type ReuseDecision,
  type Verdict,
} from './reuse.js';

/** Where the phases write what a reader of the log should see. */
export interface Log {
  info(line: string): void;
  warning(line: string, title: string): void;
}

export interface RegistryView {
  decision: ReuseDecision;
  /** Cache images that exist, with their layers. */
  cache: ImageSummary[];
  /** What the build takes cache from: the images found, or `cache-from` as given. */
  cacheRefs: string[];
  cacheNoneBecause: string | undefined;
  /** False when the inputs tag holds another image: it must not be pushed over. */
  pushHashTag: boolean;
  /** Also logged as warnings; the summary repeats them. */
  warnings: string[];
}

export interface Question {
  /** The image name without tag. */
  image: string;
  tag: string;
  hash: string;
  hashTag: string;
  forceRebuild: boolean;
  /** `cache-from` as given; undefined: the default candidates. */
  cacheFrom: string[] | undefined;
  candidates: CacheCandidate[];
}

function describeVerdict(verdict: Verdict | undefined): string {
  if (verdict === undefined) return 'not looked up';
  if (verdict.kind === 'absent') return 'not in the registry';
  if (verdict.kind === 'same-inputs') return `${verdict.image.digest}, built from the same inputs`;
  return `${verdict.image.digest}, built from other inputs (${verdict.hash ?? 'no inputs hash label'})`;
}

function candidateList(candidates: readonly CacheCandidate[]): string {
  const listed = candidates.map((c) => `the ${c.role}'s image (${c.tag})`).join(' and ');
  return `${listed} ${candidates.length > 1 ? 'are' : 'is'} not in the registry`;
}

/** Without a registry to read: build, with only the cache images given. */
function unread(q: Question, why: string, warning?: string): RegistryView {
  return {
    decision: { reuse: false, why },
    cache: [],
    cacheRefs: q.cacheFrom ?? [],
    cacheNoneBecause: q.cacheFrom === undefined ? why : undefined,
    pushHashTag: true,
    warnings: warning === undefined ? [] : [warning],
  };
}

export async function judgeRegistry(
  q: Question,
  reader: RegistryReader | undefined,
  fetching: Promise<RegistryFetch | undefined>,
  log: Log,
): Promise<RegistryView> {
  if (reader === undefined) {
    const why = `${q.image} has no registry host, so nothing is looked up`;
    log.info(why);
    return {
      ...unread(q, why),
      decision: { reuse: false, why: q.forceRebuild ? 'force-rebuild is set' : why },
    };
  }
  let fetched: RegistryFetch | undefined;
  try {
    fetched = await fetching;
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    const why = explainReadFailure(error, reader);
    log.warning(
      `Could not read the registry, so the image is built without reuse or cache: ${why}`,
      'Registry not readable',
    );
    const view = unread(
      q,
      `the registry could not be read (${why.split(';')[0]})`,
      `Registry not readable: ${why}`,
    );
    return {
      ...view,
      cacheNoneBecause: q.cacheFrom === undefined ? 'the registry could not be read' : undefined,
    };
  }
  if (fetched === undefined) throw new Error('the registry was not read although the context is clean');
  const lookups: Lookups = {
    inputsTag: q.hashTag,
    byInputsTag: q.forceRebuild ? undefined : judge(fetched.byInputsTag, q.hash),
    tag: q.tag,
    byTag: judge(fetched.byTag, q.hash),
  };
  if (q.forceRebuild) log.info(`force-rebuild: not looking for ${q.image}:${q.hashTag}`);
  else log.info(`${q.image}:${q.hashTag}: ${describeVerdict(lookups.byInputsTag)}`);
  log.info(`${q.image}:${q.tag}: ${describeVerdict(lookups.byTag)}`);
  const warnings = tagWarnings(lookups);
  for (const warning of warnings) log.warning(warning, 'Tag with other inputs');
  const decision = decideReuse(lookups, q.forceRebuild);
  log.info(
    decision.reuse ? `Reusing ${q.image}@${decision.digest}: ${decision.why}` : `Building: ${decision.why}`,
  );

  const found: ImageSummary[] = [];
  const refs: string[] = [];
  for (const candidate of q.candidates) {
    const image = candidate.tag === q.tag ? fetched.byTag : fetched.others.get(candidate.tag);
    log.info(
      `Cache candidate ${q.image}:${candidate.tag} (${candidate.role}): ${image ? 'exists' : 'not in the registry'}`,
    );
    if (image !== undefined) {
      found.push(image);
      refs.push(`${q.image}:${candidate.tag}`);
    }
  }
  if (q.cacheFrom !== undefined) log.info(`Cache images given: ${q.cacheFrom.join(', ')}`);
  return {
    decision,
    cache: found,
    cacheRefs: q.cacheFrom ?? refs,
    cacheNoneBecause:
      q.cacheFrom === undefined && refs.length === 0 ? candidateList(q.candidates) : undefined,
    pushHashTag: lookups.byInputsTag?.kind !== 'other-inputs',
    warnings,
  };
}
