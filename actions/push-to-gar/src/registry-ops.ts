// Reads and tag writes through the registry API: what each tag holds, and adding a tag to a manifest the
// repository already holds (one manifest PUT: no pull, no blob upload).
import { ConfigurationError } from '@hub-image-actions/action-io';
import {
  classifyRegistryFailure,
  manifestContent,
  RegistryConnectionError,
  RegistryError,
  type Manifest,
  type RegistryClient,
} from '@hub-image-actions/registry-client';
import type { RetryDecision } from '@hub-image-actions/retry';
import { withAttempts, type AttemptOptions } from './attempts.js';
import type { ExistingTag } from './plan.js';

/** Like the registry client's classification, except that a host DNS does not know is not worth waiting for. */
export function classifyRegistryCall(error: unknown): RetryDecision {
  if (error instanceof RegistryConnectionError && error.code === 'ENOTFOUND') return { retry: false };
  return classifyRegistryFailure(error);
}

/** Nothing listens at the address: before anything else was done, that is the answer, not a failure to wait out. */
export function isRefused(error: unknown): error is RegistryConnectionError {
  return error instanceof RegistryConnectionError && error.code === 'ECONNREFUSED';
}

export interface Repository {
  client: RegistryClient;
  /** Path inside the registry. */
  path: string;
}

/** What a tag holds: its digest, and the config digest of that manifest when it is a single image. */
export interface TagContent {
  digest: string;
  configDigest: string | undefined;
}

export async function readTag(
  repo: Repository,
  reference: string,
  options: AttemptOptions,
  needConfig: (digest: string) => boolean = () => true,
): Promise<TagContent | undefined> {
  const { value } = await withAttempts(
    `reading ${repo.path}:${reference}`,
    async () => {
      const head = await repo.client.headManifest(repo.path, reference);
      if (head === undefined) return undefined;
      if (!needConfig(head.digest)) return { digest: head.digest, configDigest: undefined };
      const manifest = await repo.client.getManifest(repo.path, head.digest);
      return { digest: head.digest, configDigest: manifest && manifestContent(manifest)?.config?.digest };
    },
    classifyRegistryCall,
    readOnly(options),
  );
  return value;
}

/**
 * Whether a registry answers at all (any HTTP status to `GET /v2/`), asked before a token is minted or docker
 * logs in: a refused connection or an unknown host fails here, at once. `asked` is a first ping already under
 * way. Returns the status.
 */
export async function registryAnswers(
  repo: Repository,
  options: AttemptOptions,
  asked?: Promise<number>,
): Promise<number> {
  const { value } = await withAttempts(
    `reaching ${repo.client.baseUrl}`,
    (attempt) => (attempt === 1 && asked !== undefined ? asked : repo.client.ping()),
    (error) => (isRefused(error) ? { retry: false } : classifyRegistryCall(error)),
    readOnly(options),
  );
  return value;
}

/** Reads are retried like writes but are not push attempts. */
function readOnly(options: AttemptOptions): AttemptOptions {
  const { counter: _counter, ...rest } = options;
  return rest;
}

/** Reads every tag's current content, in parallel. */
export async function readTags(
  repo: Repository,
  tags: readonly string[],
  isSame: (content: TagContent) => boolean,
  options: AttemptOptions,
  needConfig?: (digest: string) => boolean,
): Promise<ExistingTag[]> {
  return Promise.all(
    tags.map(async (tag) => {
      const content = await readTag(repo, tag, options, needConfig);
      return { tag, digest: content?.digest, same: content !== undefined && isSame(content) };
    }),
  );
}

export async function readManifest(
  repo: Repository,
  digest: string,
  options: AttemptOptions,
): Promise<Manifest | undefined> {
  const { value } = await withAttempts(
    `reading ${repo.path}@${digest}`,
    // An unknown repository is told apart from a missing manifest: they need different fixes.
    () => repo.client.getManifest(repo.path, digest, { unknownRepositoryThrows: true }),
    classifyRegistryCall,
    readOnly(options),
  );
  return value;
}

/** A tag read back holds something else than what was written: another push wrote it meanwhile. */
export class TagMovedError extends ConfigurationError {
  constructor(
    readonly tag: string,
    readonly expected: string,
    readonly found: string | undefined,
  ) {
    super(
      `tag ${tag} holds ${found ?? 'nothing'} after it was written with ${expected}: something else wrote it at the same time`,
      'Check for another workflow run pushing the same tags, and give such jobs a concurrency group',
    );
    this.name = 'TagMovedError';
  }
}

/**
 * Puts `manifest` under `tag`, retried. After a failed attempt the tag is read back: when it already holds the
 * manifest (the registry stored it, then the answer was lost) the write counts as done.
 */
export async function putTag(
  repo: Repository,
  tag: string,
  manifest: Manifest,
  options: AttemptOptions,
): Promise<{ attempts: number; acceptedDespiteError: boolean }> {
  let acceptedDespiteError = false;
  const { attempts } = await withAttempts(
    `tagging ${repo.path}:${tag}`,
    async () => {
      try {
        await repo.client.putManifest(repo.path, tag, manifest);
      } catch (error) {
        const holds = await repo.client.headManifest(repo.path, tag).catch(() => undefined);
        if (holds?.digest === manifest.digest) {
          options.log.info(
            `  The manifest PUT for ${tag} failed (${error instanceof Error ? error.message : String(error)}), but the registry holds ${tag} = ${manifest.digest}: the write went through.`,
          );
          acceptedDespiteError = true;
          return;
        }
        throw error;
      }
    },
    classifyRegistryCall,
    options,
  );
  return { attempts, acceptedDespiteError };
}

/** Reads each tag back and fails unless every one holds `digest`. */
export async function verifyTags(
  repo: Repository,
  tags: readonly string[],
  digest: string,
  options: AttemptOptions,
): Promise<void> {
  for (const tag of tags) {
    const content = await readTag(repo, tag, options, () => false);
    if (content?.digest !== digest) throw new TagMovedError(tag, digest, content?.digest);
  }
}

export function isRegistryRefusal(error: unknown): error is RegistryError {
  return error instanceof RegistryError && [401, 403, 404].includes(error.status);
}
