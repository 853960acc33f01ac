import { parseImageName } from '@hub-image-actions/image-ref';
import {
  classifyRegistryFailure,
  listTags,
  RegistryClient,
  RegistryConnectionError,
  RegistryError,
  type CredentialProvider,
} from '@hub-image-actions/registry-client';
import { retry, RetriesExhaustedError, type RetryPolicy } from '@hub-image-actions/retry';
import type { Listing } from './facts.js';

// The registry side of the report: one paginated tag listing per image, and a manifest HEAD for each tag (or
// digest) hubs actually use. The cost grows with images and tags in use, never with hubs times tags.

/** Per page (or HEAD): a 5xx, 429 or dropped connection is tried again, a refusal is not. */
export const REGISTRY_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  maxElapsedMs: 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 10_000,
};

/** Images listed at once. */
const CONCURRENCY = 6;

export interface RegistryAccess {
  /** The host the credentials are for: every other host is read anonymously. */
  host: string;
  credentials: CredentialProvider | undefined;
  /** Names the auth inputs in a refusal's fix, e.g. `"service-account" (keyless)`. */
  authHint: string;
  onRetry: (line: string) => void;
  timeoutMs?: number;
}

/** Runs `work` over `items`, `limit` at a time, keeping their order in the result. */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) {
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export class RegistryReader {
  private readonly clients = new Map<string, RegistryClient>();

  constructor(private readonly access: RegistryAccess) {}

  private client(host: string): RegistryClient {
    let client = this.clients.get(host);
    if (client === undefined) {
      client = new RegistryClient({
        registry: host,
        ...(host === this.access.host && this.access.credentials !== undefined
          ? { credentials: this.access.credentials }
          : {}),
        ...(this.access.timeoutMs === undefined ? {} : { timeoutMs: this.access.timeoutMs }),
      });
      this.clients.set(host, client);
    }
    return client;
  }

  private locate(image: string): { client: RegistryClient; path: string; host: string } {
    const name = parseImageName(image);
    const host = name.registry ?? 'docker.io';
    return { client: this.client(host), path: name.path, host };
  }

  private retried<T>(what: string, work: () => Promise<T>): Promise<T> {
    return retry(work, {
      policy: REGISTRY_RETRY_POLICY,
      classify: classifyRegistryFailure,
      onRetry: (event) =>
        this.access.onRetry(
          `${what}: ${event.reason}; trying again in ${(event.delayMs / 1000).toFixed(1)} s`,
        ),
    }).then((outcome) => outcome.value);
  }

  /** Every tag of each image; a failure is that image's alone and says why. */
  async listings(images: readonly string[]): Promise<Map<string, Listing & { pages?: number }>> {
    const results = await mapLimited(images, CONCURRENCY, async (image) => {
      const { client, path, host } = this.locate(image);
      try {
        const listing = await listTags(client, path, {
          eachPage: (page, fetchPage) =>
            this.retried(`listing the tags of ${image} (page ${page})`, fetchPage),
        });
        return listing.found
          ? { kind: 'listed' as const, tags: new Set(listing.tags), pages: listing.pages }
          : { kind: 'absent' as const, pages: listing.pages };
      } catch (error) {
        return { kind: 'unknown' as const, why: this.explain(error, image, host) };
      }
    });
    return new Map(images.map((image, index) => [image, results[index] as Listing]));
  }

  /** The manifest digest of each tag or digest (null: the registry holds none); failures leave it out. */
  async digests(
    wanted: ReadonlyArray<{ image: string; ref: string }>,
  ): Promise<Map<string, Map<string, string | null>>> {
    const found = new Map<string, Map<string, string | null>>();
    await mapLimited(wanted, CONCURRENCY * 2, async ({ image, ref }) => {
      const { client, path } = this.locate(image);
      try {
        const head = await this.retried(`reading ${image}:${ref}`, () => client.headManifest(path, ref));
        const map = found.get(image) ?? new Map<string, string | null>();
        map.set(ref, head?.digest ?? null);
        found.set(image, map);
      } catch {
        // Unknown stays unknown: the tag listing already says whether the tag exists.
      }
    });
    return found;
  }

  /** Why the registry could not be read, and what to do. */
  private explain(error: unknown, image: string, host: string): string {
    const last = error instanceof RetriesExhaustedError ? error.cause : error;
    const tries = error instanceof RetriesExhaustedError ? ` (${error.message.split(':')[0]})` : '';
    const credentialed = host === this.access.host && this.access.credentials !== undefined;
    if (last instanceof RegistryError && (last.status === 401 || last.status === 403)) {
      const answer = `${last.status}${last.code ? ` ${last.code}` : ''}${last.detail ? `: ${last.detail}` : ''}`;
      const fix = credentialed
        ? `give ${this.access.authHint} the role roles/artifactregistry.reader on that repository`
        : host === this.access.host
          ? 'give registry credentials (the auth inputs, as push-to-gar takes them)'
          : `${host} is not the "registry" input (${this.access.host}), so no credential is sent there; set "registry" to it, or leave the image out with "images"`;
      return `${host} refused to list the tags of ${image} (${answer}): ${fix}`;
    }
    if (last instanceof RegistryConnectionError) {
      return `cannot reach ${host} (${last.reason})${tries}: check that this runner can reach the registry`;
    }
    if (last instanceof RegistryError) {
      return `${host} answered ${last.status}${last.code ? ` ${last.code}` : ''} listing the tags of ${image}${tries}${last.detail ? `: ${last.detail}` : ''}`;
    }
    if (last instanceof Error && /another origin|beyond \d+ pages/.test(last.message)) return last.message;
    throw error;
  }
}
