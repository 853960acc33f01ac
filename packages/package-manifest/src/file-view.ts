import { FILE_CAPS, metadataKind, normalizePath, type MetadataKind } from './paths.js';

export interface StoredFile {
  kind: MetadataKind;
  content: Buffer;
  /** Set when the file could not be kept whole, e.g. `cut at 256 KiB of 3.1 MiB`. */
  problem?: string;
}

export interface ViewLimits {
  /** All kept files together (after reduction); files past it are dropped and counted in a warning. */
  maxTotalBytes: number;
  /** Per kind, instead of FILE_CAPS. */
  fileCaps?: Partial<Record<MetadataKind, number>>;
}

export const DEFAULT_LIMITS: ViewLimits = { maxTotalBytes: 256 * 1024 * 1024 };

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const text = unit === 0 ? String(value) : value.toFixed(value >= 100 ? 0 : 1);
  return `${bytes < 0 ? '-' : ''}${text} ${units[unit]}`;
}

const CONDA_FILE_OF_INTEREST = /\.(?:dist|egg)-info\/(?:METADATA|PKG-INFO)$|\.egg-info$/;

/**
 * Keeps what the parsers read of a file: a conda record's top-level fields and the distribution metadata files it
 * owns (its `files` list holds thousands of paths), a METADATA file's header block (not the long description).
 */
export function reduceContent(kind: MetadataKind, path: string, content: Buffer): StoredFile {
  if (kind === 'conda-meta') {
    let record: unknown;
    try {
      record = JSON.parse(content.toString('utf8'));
    } catch (error) {
      return { kind, content: Buffer.alloc(0), problem: `not valid JSON (${(error as Error).message})` };
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      return { kind, content: Buffer.alloc(0), problem: 'not a JSON object' };
    }
    const kept: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(record)) {
      if (value === null || typeof value !== 'object') kept[key] = value;
      else if (key === 'files' && Array.isArray(value)) {
        kept[key] = value.filter((file) => typeof file === 'string' && CONDA_FILE_OF_INTEREST.test(file));
      }
    }
    return { kind, content: Buffer.from(JSON.stringify(kept)) };
  }
  if (
    (kind === 'dist-info' && path.endsWith('/METADATA')) ||
    (kind === 'egg-info' && !path.endsWith('/INSTALLER'))
  ) {
    const text = content.toString('latin1');
    const end = /\r?\n\r?\n/.exec(text);
    return { kind, content: end === null ? content : content.subarray(0, end.index + 1) };
  }
  return { kind, content };
}

/** One layer's effect: whiteouts apply to the layers below it, then its files are added. */
export class LayerChanges {
  readonly files = new Map<string, StoredFile>();
  readonly removed = new Set<string>();
  readonly opaque = new Set<string>();
}

/**
 * The metadata files of an image's file system, assembled layer by layer, within a memory budget. Only paths that
 * `metadataKind` recognises are kept; everything else streams past.
 */
export class ImageFileView {
  readonly files = new Map<string, StoredFile>();
  readonly warnings: string[] = [];
  private retained = 0;
  private dropped = 0;
  private droppedBytes = 0;
  private readonly limits: ViewLimits;

  // No parameter properties: benchmarks load this file with Node's type stripping, which cannot erase them.
  constructor(limits: ViewLimits = DEFAULT_LIMITS) {
    this.limits = limits;
  }

  capFor(kind: MetadataKind): number {
    return this.limits.fileCaps?.[kind] ?? FILE_CAPS[kind];
  }

  /** Reduces and keeps a file read (up to its cap) from a source; `size` is its full size. */
  accept(layer: LayerChanges, path: string, kind: MetadataKind, head: Buffer, size: number): void {
    const cap = this.capFor(kind);
    const stored = reduceContent(kind, path, head);
    if (size > head.length && stored.problem === undefined) {
      const whole = kind === 'conda-meta' ? 'too large to read' : `cut at ${formatBytes(cap)}`;
      stored.problem = `${whole} of ${formatBytes(size)}`;
    }
    if (this.retained + stored.content.length > this.limits.maxTotalBytes) {
      this.dropped += 1;
      this.droppedBytes += stored.content.length;
      return;
    }
    this.retained += stored.content.length;
    layer.files.set(path, stored);
  }

  /** A hard link to a file kept earlier in the same layer or below. */
  link(layer: LayerChanges, path: string, target: string): void {
    const stored = layer.files.get(target) ?? this.files.get(target);
    if (stored === undefined) {
      if (metadataKind(target) === undefined) {
        this.warnings.push(`${path}: a hard link to ${target}, which was not read; skipped`);
      }
      return;
    }
    layer.files.set(path, stored);
  }

  commit(layer: LayerChanges): void {
    if (layer.removed.size > 0 || layer.opaque.size > 0) {
      for (const path of [...this.files.keys()]) {
        if (
          layer.removed.has(path) ||
          ancestors(path).some((dir) => layer.removed.has(dir) || layer.opaque.has(dir))
        ) {
          this.files.delete(path);
        }
      }
    }
    for (const [path, stored] of layer.files) this.files.set(path, stored);
  }

  /** The warnings, including what the budget dropped; call once reading is done. */
  finish(): string[] {
    if (this.dropped > 0) {
      this.warnings.push(
        `${this.dropped} metadata files (${formatBytes(this.droppedBytes)}) were not read: over the ${formatBytes(this.limits.maxTotalBytes)} budget`,
      );
    }
    return this.warnings;
  }

  /** Kept files of one kind, sorted by path. */
  ofKind(kind: MetadataKind): Array<[string, StoredFile]> {
    return [...this.files]
      .filter(([, file]) => file.kind === kind)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

function ancestors(path: string): string[] {
  const dirs = ['/'];
  for (let slash = path.indexOf('/', 1); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    dirs.push(path.slice(0, slash));
  }
  return dirs;
}

/** Whiteout names of the OCI image layer spec (and docker's), for a tar entry's normalised path. */
export function whiteout(path: string): { opaque: string } | { removed: string } | undefined {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash) || '/';
  const name = path.slice(slash + 1);
  if (name === '.wh..wh..opq') return { opaque: dir };
  if (name.startsWith('.wh.')) return { removed: normalizePath(`${dir}/${name.slice(4)}`) };
  return undefined;
}
