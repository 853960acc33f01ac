// The package manifest of an image in a registry: the one stored with it as an OCI referrer, or, for an image pushed
// before manifests were stored, one read from its layers (streamed, and only up to a size).
import {
  imageLayers,
  readArtifact,
  streamBlob,
  type RegistryClient,
} from '@hub-image-actions/registry-client';
import { formatBytes } from './file-view.js';
import { PACKAGE_MANIFEST_ARTIFACT_TYPE, parseManifest, type PackageManifest } from './manifest.js';
import { manifestFromLayers } from './tar-source.js';

export type RegistryManifest =
  | {
      found: true;
      manifest: PackageManifest;
      /** Stored with the image, or read now from its layers. */
      source: 'stored' | 'layers';
      /** The image manifest the package manifest describes (an artifact's `subject`). */
      imageDigest: string;
      /** The sum of the image's compressed layers. */
      compressedSize: number;
    }
  | { found: false; why: string };

export interface RegistryManifestOptions {
  platform?: string;
  /** Read the layers when no manifest is stored, if together they are at most this many bytes (0: never). */
  maxLayerBytes?: number;
}

/** The layers' total a run reads to learn an old image's packages: about a minute of streaming on a runner. */
export const DEFAULT_MAX_LAYER_BYTES = 4 * 1024 ** 3;

export async function manifestOfRegistryImage(
  client: RegistryClient,
  repository: string,
  reference: string,
  options: RegistryManifestOptions = {},
): Promise<RegistryManifest> {
  try {
    const image = await imageLayers(client, repository, reference, options.platform);
    if (image === undefined)
      return { found: false, why: `${repository}:${reference} is not in the registry` };
    const compressedSize = image.layers.reduce((sum, layer) => sum + (layer.size ?? 0), 0);
    const stored = await readArtifact(
      client,
      repository,
      image.manifestDigest,
      PACKAGE_MANIFEST_ARTIFACT_TYPE,
    );
    if (stored !== undefined) {
      const manifest = parseManifest(stored.content.toString('utf8'));
      return { found: true, manifest, source: 'stored', imageDigest: image.manifestDigest, compressedSize };
    }
    const limit = options.maxLayerBytes ?? DEFAULT_MAX_LAYER_BYTES;
    if (compressedSize > limit) {
      return {
        found: false,
        why:
          `${repository}:${reference} has no package manifest stored with it (pushed before they were), and its ` +
          `layers (${formatBytes(compressedSize)}) are more than the ${formatBytes(limit)} read to make one`,
      };
    }
    const manifest = await manifestFromLayers(
      image.layers.map((layer) =>
        streamBlob(client, repository, layer.digest, { maxBytes: layer.size ?? limit }),
      ),
    );
    return { found: true, manifest, source: 'layers', imageDigest: image.manifestDigest, compressedSize };
  } catch (error) {
    return {
      found: false,
      why: `${repository}:${reference}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
