/**
 * The walker runs inside a container made from the image, as the host's own Node.js (not a program from the image),
 * with no network. It walks the file system, skips trees that hold no package metadata (package code, caches, docs),
 * and writes the metadata files it finds to stdout as a tar stream. It is sent as source text, so it imports nothing
 * and reaches Node's modules through `process.getBuiltinModule`.
 */
export interface WalkerConfig {
  /** METADATA_PATTERNS' sources. */
  patterns: string[];
  /** Files larger than this are cut (the host applies the per-kind caps). */
  maxFileBytes: number;
  /** Absolute paths never entered: pseudo file systems and the walker's own mounts. */
  skip: string[];
  /** Where the image's `/` is; `/` in the container (tests walk a directory). */
  root?: string;
}

export async function walkImage(config: WalkerConfig): Promise<void> {
  const fs = process.getBuiltinModule('node:fs');
  const patterns = config.patterns.map((source) => new RegExp(source));
  const skip = new Set(config.skip);
  const SKIP_NAMES = new Set(['__pycache__', 'node_modules', '.git']);
  const SKIP_IN_SHARE = new Set([
    'doc',
    'man',
    'locale',
    'icons',
    'fonts',
    'zoneinfo',
    'texlive',
    'texmf-dist',
  ]);
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    const chunk = Buffer.concat(pending);
    pending.length = 0;
    pendingBytes = 0;
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())),
    );
  };
  const octal = (value: number, length: number) => `${value.toString(8).padStart(length - 1, '0')}\0`;
  const header = (name: string, size: number, type: string) => {
    const block = Buffer.alloc(512);
    block.write(name, 0, 100, 'utf8');
    block.write(octal(0o644, 8), 100);
    block.write(octal(0, 8), 108);
    block.write(octal(0, 8), 116);
    block.write(octal(size, 12), 124);
    block.write(octal(0, 12), 136);
    block.write('        ', 148);
    block.write(type, 156);
    block.write('ustar\u000000', 257);
    let sum = 0;
    for (const byte of block) sum += byte;
    block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return block;
  };
  const padded = (data: Buffer) => Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
  const paxRecord = (key: string, value: string) => {
    const body = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(body) + 1;
    while (String(length).length + Buffer.byteLength(body) !== length) length += 1;
    return `${length}${body}`;
  };
  const emit = async (path: string, data: Buffer, size: number) => {
    const name = path.slice(1);
    const records: string[] = [];
    if (Buffer.byteLength(name) > 99 || /[^\x20-\x7e]/.test(name)) records.push(paxRecord('path', name));
    if (size !== data.length) records.push(paxRecord('hia.size', String(size)));
    if (records.length > 0) {
      const pax = Buffer.from(records.join(''));
      pending.push(header('PaxHeader', pax.length, 'x'), padded(pax));
    }
    pending.push(header(Buffer.byteLength(name) > 99 ? 'long-name' : name, data.length, '0'), padded(data));
    pendingBytes += data.length + 1024;
    if (pendingBytes > 4 * 1024 * 1024) await flush();
  };
  const readHead = (path: string, size: number) => {
    const length = Math.min(size, config.maxFileBytes);
    const data = Buffer.alloc(length);
    const fd = fs.openSync(path, 'r');
    try {
      let read = 0;
      while (read < length) {
        const n = fs.readSync(fd, data, read, length - read, read);
        if (n === 0) break;
        read += n;
      }
      return data.subarray(0, read);
    } finally {
      fs.closeSync(fd);
    }
  };
  /** Which children of `dir` to enter, from the directory's own listing. */
  const enter = (dir: string, name: string, siblings: Set<string>) => {
    const path = `${dir === '/' ? '' : dir}/${name}`;
    if (skip.has(path) || SKIP_NAMES.has(name)) return false;
    if (dir.endsWith('/share') && SKIP_IN_SHARE.has(name)) return false;
    if (/\/(?:site|dist)-packages$/.test(dir)) return /\.(?:dist|egg)-info$/.test(name);
    // The standard library: only its site-packages can hold distributions.
    if (/\/lib(?:64)?\/python[0-9][^/]*$/.test(dir))
      return name === 'site-packages' || name === 'dist-packages';
    if (name === 'pkgs' && siblings.has('conda-meta')) return false; // the package cache, not the environment
    if (siblings.has('DESCRIPTION') && siblings.has('Meta')) return false; // inside an installed R package
    if (/\/share\/jupyter\/labextensions\/(?:@[^/]+\/)?[^@/][^/]*$/.test(dir)) return false;
    if (/\/include$/.test(dir)) return name === 'julia';
    if (/\/\.julia$/.test(dir)) return false;
    if (dir === '/var/lib/dpkg') return name === 'status.d';
    return !(dir === '/var' && name === 'cache');
  };
  const root = (config.root ?? '/').replace(/\/+$/, '');
  const real = (path: string) => `${root}${path === '/' ? (root === '' ? '/' : '') : path}`;
  const stack = ['/'];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let entries: import('node:fs').Dirent[];
    try {
      entries = fs.readdirSync(real(dir), { withFileTypes: true });
    } catch {
      continue; // vanished or unreadable: nothing to read there
    }
    const names = new Set(entries.map((entry) => entry.name));
    for (const entry of entries) {
      const path = `${dir === '/' ? '' : dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (enter(dir, entry.name, names)) stack.push(path);
      } else if (entry.isFile() && patterns.some((pattern) => pattern.test(path))) {
        try {
          const size = fs.statSync(real(path)).size;
          await emit(path, readHead(real(path), size), size);
        } catch {
          // unreadable: skipped like a vanished file
        }
      }
    }
  }
  pending.push(Buffer.alloc(1024));
  await flush();
}

/** The walker as a program for `node -e`: its config comes as the first argument. */
export function walkerProgram(): string {
  return `(${walkImage.toString()})(JSON.parse(process.argv[1])).catch((e) => { console.error(e); process.exit(1); });`;
}
