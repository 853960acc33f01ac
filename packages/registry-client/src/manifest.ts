import type { Manifest } from './client.js';

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** What a manifest or index says: a single image has `config` and `layers`, an index has `manifests`. */
export interface ManifestContent {
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

/** Parses a manifest's body; undefined when it is not a JSON object. */
export function manifestContent(manifest: Pick<Manifest, 'body'>): ManifestContent | undefined {
  try {
    const parsed = JSON.parse(manifest.body.toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as ManifestContent)
      : undefined;
  } catch {
    return undefined;
  }
}
