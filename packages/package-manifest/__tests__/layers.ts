import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name));

export type LayerEntry =
  | { name: string; content: string | Buffer }
  | { name: string; link: string }
  | { name: string; dir: true }
  | { name: string; symlink: string };

/** A layer tar as docker writes one: relative names, whiteouts as empty files. */
export async function layerTar(entries: LayerEntry[], options: { gzip?: boolean } = {}): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const entry of entries) {
    if ('content' in entry) tar.entry({ name: entry.name }, entry.content);
    else if ('link' in entry) tar.entry({ name: entry.name, type: 'link', linkname: entry.link });
    else if ('symlink' in entry) tar.entry({ name: entry.name, type: 'symlink', linkname: entry.symlink });
    else tar.entry({ name: entry.name, type: 'directory' });
  }
  tar.finalize();
  await collected;
  const bytes = Buffer.concat(chunks);
  return options.gzip ? gzipSync(bytes) : bytes;
}

/** A tar as a stream of small chunks, as a registry or docker hands it over. */
export async function* chunked(bytes: Buffer, size = 4096): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}
