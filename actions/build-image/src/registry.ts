// Reading the registry: cheap, exact lookups by tag, each retried on transient failures.
import {
  classifyRegistryFailure,
  readImage,
  RegistryClient,
  RegistryError,
  type CredentialProvider,
  type ImageSummary,
} from '@hub-image-actions/registry-client';
import { retry } from '@hub-image-actions/retry';

export interface RegistryReader {
  registry: string;
  repository: string;
  anonymous: boolean;
  read(reference: string): Promise<ImageSummary | undefined>;
  /** For what the lookups by tag do not cover: the package manifests stored with images. */
  client: RegistryClient;
}

const POLICY = { maxAttempts: 3, maxElapsedMs: 20_000, baseDelayMs: 500, maxDelayMs: 4_000 };

export function registryReader(options: {
  registry: string;
  repository: string;
  platform: string;
  credentials: CredentialProvider | undefined;
  log: (line: string) => void;
}): RegistryReader {
  const client = new RegistryClient({
    registry: options.registry,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    timeoutMs: 15_000,
  });
  return {
    registry: options.registry,
    repository: options.repository,
    anonymous: options.credentials === undefined,
    client,
    async read(reference) {
      const outcome = await retry(() => readImage(client, options.repository, reference, options.platform), {
        policy: POLICY,
        classify: classifyRegistryFailure,
        onRetry: ({ attempt, reason, delayMs }) =>
          options.log(
            `Reading ${reference}: attempt ${attempt} failed (${reason}); retrying in ${delayMs} ms`,
          ),
      });
      return outcome.value;
    },
  };
}

/** Why registry reads failed, in words that say what to change. */
export function explainReadFailure(error: unknown, reader: RegistryReader): string {
  if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
    return reader.anonymous
      ? `${reader.registry} refused anonymous reads (${error.status}); give one of the auth inputs (workload-identity-provider + service-account, credentials-json or access-token) so reuse and the layer cache can work`
      : `${reader.registry} refused our credentials for ${reader.repository} (${error.status}${error.code ? ` ${error.code}` : ''}); the account needs roles/artifactregistry.reader on the repository`;
  }
  return error instanceof Error ? error.message : String(error);
}

export interface RegistryFetch {
  /** Undefined when not looked up (force-rebuild). */
  byInputsTag: ImageSummary | undefined;
  byTag: ImageSummary | undefined;
  /** Cache candidates other than the current tag, by tag. */
  others: Map<string, ImageSummary | undefined>;
}

/**
 * Every lookup at once: the current tag right away, the inputs tag as soon as the hash is known (undefined:
 * not looked up), the other cache candidates as soon as they are known.
 */
export async function fetchRegistry(
  reader: RegistryReader,
  plan: { tag: string; inputsTag: Promise<string | undefined>; otherTags: Promise<readonly string[]> },
): Promise<RegistryFetch> {
  const others = plan.otherTags.then(async (tags) => {
    const images = await Promise.all(tags.map((tag) => reader.read(tag)));
    return new Map(tags.map((tag, i) => [tag, images[i]]));
  });
  const [byTag, byInputsTag, otherImages] = await Promise.all([
    reader.read(plan.tag),
    plan.inputsTag.then((tag) => (tag === undefined ? undefined : reader.read(tag))),
    others,
  ]);
  return { byInputsTag, byTag, others: otherImages };
}
