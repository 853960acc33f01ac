import { createHash } from 'node:crypto';
import { RegistryError, sha256Digest, type RegistryClient } from './client.js';
import { readImage } from './image-config.js';
import { manifestContent, type Descriptor } from './manifest.js';

/** A streamed blob went past the caller's byte limit, or did not match its digest. */
export class BlobStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobStreamError';
  }
}

/** Uploads a blob unless the repository has it (HEAD first): a POST for an upload session, then one PUT. */
export async function putBlob(
  client: RegistryClient,
  repository: string,
  body: Buffer,
): Promise<{ digest: string; size: number; uploaded: boolean }> {
  const digest = sha256Digest(body);
  if (await client.blobExists(repository, digest)) return { digest, size: body.length, uploaded: false };
  const session = await client.send('POST', repository, `/v2/${repository}/blobs/uploads/`, {
    scope: 'pull,push',
    headers: { 'content-length': '0' },
  });
  await session.arrayBuffer();
  const location = session.headers.get('location');
  if (!location) {
    throw new RegistryError(
      'POST',
      `${client.baseUrl}/v2/${repository}/blobs/uploads/`,
      session.status,
      undefined,
      'no Location header for the upload',
      undefined,
    );
  }
  const url = new URL(location, client.baseUrl);
  url.searchParams.set('digest', digest);
  const done = await client.send('PUT', repository, `${url.pathname}${url.search}`, {
    scope: 'pull,push',
    headers: { 'content-type': 'application/octet-stream' },
    body,
  });
  await done.arrayBuffer();
  return { digest, size: body.length, uploaded: true };
}

export interface BlobStreamOptions {
  /** Stop with a BlobStreamError past this many bytes. */
  maxBytes?: number;
  /** For the whole download. Default 10 minutes. */
  timeoutMs?: number;
}

/**
 * A blob's bytes as they arrive (redirects to storage followed; fetch drops the registry's Authorization header on a
 * cross-origin hop), checked against the digest at the end and bounded by `maxBytes`.
 */
export async function* streamBlob(
  client: RegistryClient,
  repository: string,
  digest: string,
  options: BlobStreamOptions = {},
): AsyncGenerator<Buffer> {
  const response = await client.send('GET', repository, `/v2/${repository}/blobs/${digest}`, {
    scope: 'pull',
    timeoutMs: options.timeoutMs ?? 600_000,
  });
  if (response.body === null) return;
  const hash = digest.startsWith('sha256:') ? createHash('sha256') : undefined;
  let total = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (options.maxBytes !== undefined && total > options.maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new BlobStreamError(
        `blob ${digest} of ${repository} is larger than the limit of ${options.maxBytes} bytes`,
      );
    }
    hash?.update(chunk);
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (hash !== undefined && `sha256:${hash.digest('hex')}` !== digest) {
    throw new BlobStreamError(`blob ${digest} of ${repository}: content does not match its digest`);
  }
}

/** The layer descriptors of an image (an index is followed to `platform`), lowest layer first; undefined when absent. */
export async function imageLayers(
  client: RegistryClient,
  repository: string,
  reference: string,
  platform = 'linux/amd64',
): Promise<{ manifestDigest: string; layers: Descriptor[] } | undefined> {
  const image = await readImage(client, repository, reference, platform);
  const manifest =
    image === undefined ? undefined : await client.getManifest(repository, image.manifestDigest);
  const layers = manifest === undefined ? undefined : manifestContent(manifest)?.layers;
  return image === undefined || layers === undefined
    ? undefined
    : { manifestDigest: image.manifestDigest, layers };
}
