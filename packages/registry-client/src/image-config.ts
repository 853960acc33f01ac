import type { RegistryClient } from './client.js';

interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface ManifestJson {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
  layers?: Descriptor[];
}

export interface ImageSummary {
  /** The digest of what the tag points at (an index or a manifest). */
  digest: string;
  /** The digest of the platform manifest read. */
  manifestDigest: string;
  labels: Record<string, string>;
  layers: number;
  /** Sum of the compressed layer sizes. */
  compressedSize: number;
  /** The uncompressed layer digests (`rootfs.diff_ids`), as a local engine lists them in `RootFS.Layers`. */
  diffIds: string[];
}

/**
 * Reads what a tag or digest holds for one platform: its labels and layers. An image index is followed to the
 * manifest for `platform` (e.g. linux/amd64). Undefined when the reference does not exist.
 */
export async function readImage(
  client: RegistryClient,
  repository: string,
  reference: string,
  platform = 'linux/amd64',
): Promise<ImageSummary | undefined> {
  const top = await client.getManifest(repository, reference);
  if (top === undefined) return undefined;
  let manifest = JSON.parse(top.body.toString('utf8')) as ManifestJson;
  let manifestDigest = top.digest;
  if (manifest.manifests !== undefined) {
    const [os, architecture, variant] = platform.split('/');
    const match = manifest.manifests.find(
      (m) =>
        m.platform?.os === os &&
        m.platform?.architecture === architecture &&
        (variant === undefined || m.platform?.variant === variant),
    );
    if (match === undefined) return undefined;
    const inner = await client.getManifest(repository, match.digest);
    if (inner === undefined) return undefined;
    manifest = JSON.parse(inner.body.toString('utf8')) as ManifestJson;
    manifestDigest = inner.digest;
  }
  if (manifest.config === undefined) return undefined;
  const config = JSON.parse((await client.getBlob(repository, manifest.config.digest)).toString('utf8')) as {
    config?: { Labels?: Record<string, string> | null };
    rootfs?: { diff_ids?: string[] };
  };
  const layers = manifest.layers ?? [];
  return {
    digest: top.digest,
    manifestDigest,
    labels: config.config?.Labels ?? {},
    layers: layers.length,
    compressedSize: layers.reduce((sum, layer) => sum + (layer.size ?? 0), 0),
    diffIds: config.rootfs?.diff_ids ?? [],
  };
}
