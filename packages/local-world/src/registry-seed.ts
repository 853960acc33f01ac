// Small images pushed straight through the registry API (no docker): one config and one empty layer, then one
// manifest per tag, each with an annotation of its own so that every tag holds a distinct digest. Thousands of tags
// in seconds, for tests and benchmarks that need a registry full of tags.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { basicAuth, type Credentials } from './registry.js';

export interface SeedTarget {
  /** e.g. http://127.0.0.1:5000 */
  url: string;
  admin: Credentials;
}

export interface SeedOptions {
  /** Labels of the image config, e.g. `repo2docker.repo`. */
  labels?: Record<string, string>;
  /** Requests in flight at once. */
  concurrency?: number;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function digestOf(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

async function checked(response: Response, what: string): Promise<Response> {
  if (response.ok) return response;
  throw new Error(`${what}: the registry answered ${response.status} ${await response.text()}`);
}

async function uploadBlob(target: SeedTarget, repository: string, body: Buffer): Promise<string> {
  const digest = digestOf(body);
  const auth = basicAuth(target.admin);
  const started = await checked(
    await fetch(`${target.url}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: auth },
    }),
    `starting a blob upload to ${repository}`,
  );
  const location = new URL(started.headers.get('location') ?? '', target.url);
  location.searchParams.set('digest', digest);
  await checked(
    await fetch(location, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/octet-stream' },
      body,
    }),
    `uploading a blob to ${repository}`,
  );
  return digest;
}

/** An empty tar archive, gzipped: the one layer of every seeded image. */
function emptyLayer(): { gzipped: Buffer; diffId: string } {
  const tar = Buffer.alloc(1024);
  return { gzipped: gzipSync(tar), diffId: digestOf(tar) };
}

/** Pushes `tags` of a small image to `repository`; returns each tag's manifest digest. */
export async function seedTags(
  target: SeedTarget,
  repository: string,
  tags: readonly string[],
  options: SeedOptions = {},
): Promise<Map<string, string>> {
  const layer = emptyLayer();
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: options.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
    }),
  );
  const configDigest = await uploadBlob(target, repository, config);
  const layerDigest = await uploadBlob(target, repository, layer.gzipped);
  const digests = new Map<string, string>();
  const queue = [...tags];
  const worker = async () => {
    for (let tag = queue.shift(); tag !== undefined; tag = queue.shift()) {
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: {
            mediaType: 'application/vnd.oci.image.config.v1+json',
            digest: configDigest,
            size: config.length,
          },
          layers: [
            {
              mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
              digest: layerDigest,
              size: layer.gzipped.length,
            },
          ],
          annotations: { 'org.opencontainers.image.version': tag },
        }),
      );
      await checked(
        await fetch(`${target.url}/v2/${repository}/manifests/${tag}`, {
          method: 'PUT',
          headers: { authorization: basicAuth(target.admin), 'content-type': OCI_MANIFEST },
          body: manifest,
        }),
        `putting ${repository}:${tag}`,
      );
      digests.set(tag, digestOf(manifest));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  return digests;
}
