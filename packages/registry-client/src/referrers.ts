import { putBlob } from './blobs.js';
import { RegistryError, sha256Digest, type ManifestDescriptor, type RegistryClient } from './client.js';
import { manifestContent } from './manifest.js';

export const OCI_IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_IMAGE_INDEX = 'application/vnd.oci.image.index.v1+json';
/** The OCI empty descriptor: the `{}` blob, the config of an artifact that needs none. */
export const OCI_EMPTY = {
  mediaType: 'application/vnd.oci.empty.v1+json',
  digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
  size: 2,
} as const;

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export type ReferrersVia = 'referrers-api' | 'tag-schema';

/** The registry refused to store or show an artifact (a 4xx): the caller warns, the image itself is unaffected. */
export class ReferrerRefusedError extends Error {
  readonly step: 'list' | 'blob' | 'manifest' | 'referrers-tag';
  readonly status: number;
  override readonly cause: RegistryError;

  constructor(step: ReferrerRefusedError['step'], cause: RegistryError) {
    super(`the registry refused the ${step === 'referrers-tag' ? 'referrers tag' : step} (${cause.message})`);
    this.name = 'ReferrerRefusedError';
    this.step = step;
    this.status = cause.status;
    this.cause = cause;
  }
}

/** Two writers kept replacing each other's referrers index; ours is not in it after every attempt. */
export class ReferrerConflictError extends Error {
  constructor(tag: string, attempts: number) {
    super(`the referrers tag ${tag} was rewritten by another writer on each of ${attempts} attempts`);
    this.name = 'ReferrerConflictError';
  }
}

/** The tag of the OCI distribution 1.1 referrers tag schema: `<alg>-<hex>`, at most 128 characters. */
export function referrersTag(digest: string): string {
  return digest
    .replace(':', '-')
    .replace(/[^a-zA-Z0-9_.-]/g, '-')
    .slice(0, 128);
}

async function refusedAs<T>(step: ReferrerRefusedError['step'], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RegistryError && error.status >= 400 && error.status < 500 && error.status !== 429) {
      throw new ReferrerRefusedError(step, error);
    }
    throw error;
  }
}

function descriptorsOf(body: Buffer): ReferrerDescriptor[] {
  const content = manifestContent({ body });
  return (content?.manifests ?? []).filter(
    (m): m is ReferrerDescriptor => typeof m.digest === 'string' && typeof m.mediaType === 'string',
  );
}

/** The referrers index under the fallback tag, or an empty list when there is none. */
async function readTagIndex(
  client: RegistryClient,
  repository: string,
  tag: string,
): Promise<ReferrerDescriptor[]> {
  const index = await client.getManifest(repository, tag);
  return index === undefined ? [] : descriptorsOf(index.body);
}

/**
 * The artifacts that refer to `subject` (a manifest digest): from the referrers API when the registry has it,
 * else from the referrers tag schema. Filtered to `artifactType` when given (also when the registry ignored the filter).
 */
export async function listReferrers(
  client: RegistryClient,
  repository: string,
  subject: string,
  artifactType?: string,
): Promise<{ referrers: ReferrerDescriptor[]; via: ReferrersVia }> {
  return refusedAs('list', async () => {
    const query = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    const response = await client.send('GET', repository, `/v2/${repository}/referrers/${subject}${query}`, {
      scope: 'pull',
      allow404: true,
      headers: { accept: OCI_IMAGE_INDEX },
    });
    const body = Buffer.from(await response.arrayBuffer());
    const isIndex =
      response.status === 200 && (response.headers.get('content-type') ?? '').startsWith(OCI_IMAGE_INDEX);
    const via: ReferrersVia = isIndex ? 'referrers-api' : 'tag-schema';
    const all = isIndex ? descriptorsOf(body) : await readTagIndex(client, repository, referrersTag(subject));
    return {
      referrers: artifactType === undefined ? all : all.filter((d) => d.artifactType === artifactType),
      via,
    };
  });
}

export interface Artifact {
  artifactType: string;
  /** The one layer's media type; default the artifact type. */
  mediaType?: string;
  content: Buffer;
  annotations?: Record<string, string>;
}

export interface AttachResult {
  /** The artifact manifest's digest. */
  digest: string;
  /** False when the registry already had it as a referrer of the subject: nothing was written. */
  written: boolean;
  via: ReferrersVia;
}

/** The artifact's manifest; the same artifact always gives the same bytes, so the same digest. */
export function artifactManifest(subject: ManifestDescriptor, artifact: Artifact): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_IMAGE_MANIFEST,
    artifactType: artifact.artifactType,
    config: OCI_EMPTY,
    layers: [
      {
        mediaType: artifact.mediaType ?? artifact.artifactType,
        digest: sha256Digest(artifact.content),
        size: artifact.content.length,
      },
    ],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(artifact.annotations === undefined ? {} : { annotations: artifact.annotations }),
  };
  return Buffer.from(JSON.stringify(manifest));
}

/**
 * Stores `artifact` as a referrer of the image manifest `subject`: the empty config and the content blob, the
 * artifact manifest (by digest), and, on a registry without the referrers API, its descriptor in the referrers tag's
 * index, read-modify-written without dropping other referrers. Idempotent: a second call writes nothing.
 *
 * The tag schema has no compare-and-swap: after writing the index we read it back, and when another writer's index
 * replaced ours we merge again (up to `attempts` times). A writer that replaces the index after our read-back can still
 * drop our entry; its own read-back does not see that. Re-running the write restores it.
 */
export async function attachArtifact(
  client: RegistryClient,
  repository: string,
  subject: ManifestDescriptor,
  artifact: Artifact,
  options: { attempts?: number } = {},
): Promise<AttachResult> {
  const body = artifactManifest(subject, artifact);
  const digest = sha256Digest(body);
  const listed = await listReferrers(client, repository, subject.digest, artifact.artifactType);
  if (listed.referrers.some((d) => d.digest === digest)) return { digest, written: false, via: listed.via };

  await refusedAs('blob', async () => {
    await putBlob(client, repository, Buffer.from('{}'));
    await putBlob(client, repository, artifact.content);
  });
  let subjectProcessed = false;
  await refusedAs('manifest', async () => {
    if ((await client.headManifest(repository, digest)) !== undefined) return;
    const response = await client.send('PUT', repository, `/v2/${repository}/manifests/${digest}`, {
      scope: 'pull,push',
      headers: { 'content-type': OCI_IMAGE_MANIFEST },
      body,
    });
    await response.arrayBuffer();
    subjectProcessed = response.headers.get('oci-subject') !== null;
  });
  if (subjectProcessed || listed.via === 'referrers-api')
    return { digest, written: true, via: 'referrers-api' };

  const tag = referrersTag(subject.digest);
  const ours: ReferrerDescriptor = {
    mediaType: OCI_IMAGE_MANIFEST,
    digest,
    size: body.length,
    artifactType: artifact.artifactType,
    ...(artifact.annotations === undefined ? {} : { annotations: artifact.annotations }),
  };
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const current = await refusedAs('referrers-tag', () => readTagIndex(client, repository, tag));
    if (!current.some((d) => d.digest === digest)) {
      const index = { schemaVersion: 2, mediaType: OCI_IMAGE_INDEX, manifests: [...current, ours] };
      await refusedAs('referrers-tag', () =>
        client.putManifest(repository, tag, {
          mediaType: OCI_IMAGE_INDEX,
          body: Buffer.from(JSON.stringify(index)),
        }),
      );
    }
    const after = await refusedAs('referrers-tag', () => readTagIndex(client, repository, tag));
    if (after.some((d) => d.digest === digest)) return { digest, written: true, via: 'tag-schema' };
  }
  throw new ReferrerConflictError(tag, attempts);
}

/**
 * The content of the newest referrer of `subject` with `artifactType` (the last one listed), or undefined when there
 * is none. The blob is checked against its digest.
 */
export async function readArtifact(
  client: RegistryClient,
  repository: string,
  subject: string,
  artifactType: string,
): Promise<{ digest: string; content: Buffer; via: ReferrersVia } | undefined> {
  const { referrers, via } = await listReferrers(client, repository, subject, artifactType);
  const newest = referrers.at(-1);
  if (newest === undefined) return undefined;
  const manifest = await client.getManifest(repository, newest.digest);
  const layer = manifest === undefined ? undefined : manifestContent(manifest)?.layers?.[0];
  if (layer === undefined) return undefined;
  return { digest: newest.digest, content: await client.getBlob(repository, layer.digest), via };
}
