// The package manifest of an image in a registry: the one stored with it as an OCI referrer, or, for an image pushed
// before manifests were stored, one read from its layers (streamed, and only up to a size).
import {
  attachArtifact,
  imageLayers,
  readArtifact,
  streamBlob,
  type Descriptor,
  type RegistryClient,
} from '@hub-image-actions/registry-client';
import { formatBytes } from './file-view.js';
import {
  PACKAGE_MANIFEST_ARTIFACT_TYPE,
  parseManifest,
  serializeManifest,
  type PackageManifest,
} from './manifest.js';
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
  | {
      found: false;
      why: string;
      /** The image's layers, when it exists but no manifest is stored with it. */
      image?: {
        repository: string;
        reference: string;
        digest: string;
        layers: Descriptor[];
        compressedSize: number;
      };
    };

/** The layers' total read to learn an old image's packages: about a minute of streaming on a runner. */
export const DEFAULT_MAX_LAYER_BYTES = 4 * 1024 ** 3;

function failed(repository: string, reference: string, error: unknown): RegistryManifest {
  return {
    found: false,
    why: `${repository}:${reference}: ${error instanceof Error ? error.message : String(error)}`,
  };
}

/** The manifest stored with an image, a few small requests; never reads its layers. */
export async function storedManifestOf(
  client: RegistryClient,
  repository: string,
  reference: string,
  platform?: string,
): Promise<RegistryManifest> {
  try {
    const image = await imageLayers(client, repository, reference, platform);
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
    return {
      found: false,
      why: `${repository}:${reference} has no package manifest stored with it (pushed before they were)`,
      image: { repository, reference, digest: image.manifestDigest, layers: image.layers, compressedSize },
    };
  } catch (error) {
    return failed(repository, reference, error);
  }
}

/** When nothing is stored with an image, its manifest read from its layers, if they are at most `maxBytes`. */
export async function withLayersRead(
  client: RegistryClient,
  lookup: RegistryManifest,
  maxBytes: number = DEFAULT_MAX_LAYER_BYTES,
): Promise<RegistryManifest> {
  if (lookup.found || lookup.image === undefined) return lookup;
  const { repository, reference, digest, layers, compressedSize } = lookup.image;
  if (compressedSize > maxBytes) {
    return {
      found: false,
      why: `${lookup.why}, and its layers (${formatBytes(compressedSize)}) are more than the ${formatBytes(maxBytes)} read to make one`,
    };
  }
  try {
    const manifest = await manifestFromLayers(
      layers.map((layer) =>
        streamBlob(client, repository, layer.digest, { maxBytes: layer.size ?? maxBytes }),
      ),
    );
    return { found: true, manifest, source: 'layers', imageDigest: digest, compressedSize };
  } catch (error) {
    return failed(repository, reference, error);
  }
}

/** The stored manifest, else one read from the layers: what a reader of an image's packages wants. */
export async function manifestOfRegistryImage(
  client: RegistryClient,
  repository: string,
  reference: string,
  options: { platform?: string; maxLayerBytes?: number } = {},
): Promise<RegistryManifest> {
  return withLayersRead(
    client,
    await storedManifestOf(client, repository, reference, options.platform),
    options.maxLayerBytes,
  );
}

/**
 * Stores a manifest read from an image's layers with that image (an OCI referrer, once), so the next reader makes a
 * few small requests instead of streaming the layers again. Says what happened; never throws: a reader that may not
 * write (a pull-only token) only loses the shortcut.
 */
export async function storeLayersRead(
  client: RegistryClient,
  repository: string,
  lookup: RegistryManifest,
): Promise<string | undefined> {
  if (!lookup.found || lookup.source !== 'layers') return undefined;
  try {
    const subject = await client.headManifest(repository, lookup.imageDigest);
    if (subject === undefined)
      return `not stored: ${repository}@${lookup.imageDigest} is gone from the registry`;
    const attached = await attachArtifact(client, repository, subject, {
      artifactType: PACKAGE_MANIFEST_ARTIFACT_TYPE,
      content: Buffer.from(serializeManifest(lookup.manifest)),
    });
    return `stored with ${repository}@${lookup.imageDigest} (${attached.via}), so later runs need not read its layers`;
  } catch (error) {
    return `not stored with ${repository}@${lookup.imageDigest}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
