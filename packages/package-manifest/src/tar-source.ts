import { PassThrough, Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { ImageFileView, LayerChanges, whiteout, type ViewLimits } from './file-view.js';
import { metadataKind, normalizePath } from './paths.js';
import { buildManifest } from './build.js';
import type { PackageManifest } from './manifest.js';

export type ByteSource = AsyncIterable<Buffer | Uint8Array>;

/** A tar entry: its header (PAX records included) and its content stream. */
export interface TarEntry extends AsyncIterable<Buffer> {
  header: Header & { pax?: Record<string, string> | null };
  resume(): unknown;
}

/** Thrown for a layer that is neither tar, gzip nor zstd (or whose compression this Node cannot read). */
export class LayerFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerFormatError';
  }
}

/** The stream, decompressed when it starts with a gzip or zstd magic number (layer media types are not trusted). */
export async function decompressed(source: ByteSource): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? Buffer.alloc(0) : Buffer.from(first.value);
  const rest = Readable.from(
    (async function* () {
      if (head.length > 0) yield head;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield Buffer.from(next.value);
      }
    })(),
  );
  let decoder: NodeJS.ReadWriteStream | undefined;
  if (head[0] === 0x1f && head[1] === 0x8b) decoder = zlib.createGunzip();
  else if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
    const zstd = (zlib as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
    if (zstd === undefined)
      throw new LayerFormatError('a zstd-compressed layer, which this Node.js cannot read');
    decoder = zstd();
  }
  if (decoder === undefined) return rest;
  const output = new PassThrough();
  pipeline(rest, decoder, output, () => undefined);
  return output;
}

async function readCapped(
  entry: AsyncIterable<Buffer>,
  cap: number,
): Promise<{ head: Buffer; size: number }> {
  const parts: Buffer[] = [];
  let kept = 0;
  let size = 0;
  for await (const chunk of entry) {
    size += chunk.length;
    if (kept < cap) {
      const part = chunk.subarray(0, cap - kept);
      parts.push(part);
      kept += part.length;
    }
  }
  return { head: Buffer.concat(parts), size };
}

/** Every entry of a tar stream, in order; each must be read or drained before the next arrives. */
export async function* tarEntries(source: ByteSource): AsyncGenerator<TarEntry> {
  const tar = extract();
  const input = await decompressed(source);
  let failure: Error | undefined;
  pipeline(input, tar, (error) => {
    if (error) failure = error;
  });
  for await (const entry of tar) yield entry as unknown as TarEntry;
  if (failure !== undefined) throw failure;
}

/**
 * Reads one layer tar (or a `docker export` tar) into changes the caller commits in layer order. `under` is where the
 * tar's names start: a `docker cp CONTAINER:/a/b -` tar names its entries `b/…`, so it is read under `/a`.
 */
export async function readLayer(view: ImageFileView, source: ByteSource, under = '/'): Promise<LayerChanges> {
  const layer = new LayerChanges();
  for await (const entry of tarEntries(source)) {
    const path = normalizePath(`${under}/${entry.header.name}`);
    const marker = whiteout(path);
    if (marker !== undefined) {
      if ('opaque' in marker) layer.opaque.add(marker.opaque);
      else layer.removed.add(marker.removed);
      entry.resume();
      continue;
    }
    const kind = metadataKind(path);
    const type = entry.header.type;
    if (kind !== undefined && (type === 'file' || type === 'contiguous-file')) {
      const { head, size } = await readCapped(entry, view.capFor(kind));
      // The in-container walker cuts very large files and says their real size.
      const declared = Number(entry.header.pax?.['hia.size'] ?? Number.NaN);
      view.accept(layer, path, kind, head, Number.isFinite(declared) ? declared : size);
      continue;
    }
    if (kind !== undefined && type === 'link' && entry.header.linkname) {
      view.link(layer, path, normalizePath(entry.header.linkname));
    }
    entry.resume();
  }
  return layer;
}

/** Applies layer tars in order (lowest first), whiteouts included. */
export async function viewFromLayers(
  layers: AsyncIterable<ByteSource> | Iterable<ByteSource>,
  limits?: ViewLimits,
) {
  const view = new ImageFileView(limits);
  for await (const layer of layers) view.commit(await readLayer(view, layer));
  view.finish();
  return view;
}

/** The manifest of an image from its layer tars, lowest first (e.g. blobs streamed from a registry). */
export async function manifestFromLayers(
  layers: AsyncIterable<ByteSource> | Iterable<ByteSource>,
  limits?: ViewLimits,
): Promise<PackageManifest> {
  return buildManifest(await viewFromLayers(layers, limits));
}
