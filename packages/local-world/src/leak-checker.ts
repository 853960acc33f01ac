import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { docker } from './docker-engine.js';

export type LeakEncoding = 'raw' | 'base64' | 'base64url' | 'url';

export interface Leak {
  /** The secret's label, never its value. */
  secret: string;
  encoding: LeakEncoding;
  /** A file path, `image REF:/path/in/image`, `image REF (config and history)`, or a text's label. */
  where: string;
}

export interface LeakForm {
  encoding: LeakEncoding;
  needle: string;
}

export interface LeakPlaces {
  /** label → text (logs, outputs, argv joined, env files). */
  texts?: Record<string, string>;
  /** Files or directories, walked recursively; binary files too; symlinks are not followed. */
  paths?: string[];
  /** Every `.git/config` and bare repository `config` below these directories. */
  gitConfigsUnder?: string[];
  /** Local docker images: every file's content and name, plus the image config and history. */
  images?: string[];
}

const MIN_SECRET_LENGTH = 8;

/**
 * The strings that show a secret: itself; its base64 and base64url encodings at each of the 3 byte
 * alignments, trimmed to the characters that depend only on the secret (so it is found inside a longer
 * encoded string, e.g. docker's `auth` = base64("user:" + token)); and its URL encoding when different.
 * Each needle is listed once: a base64url form equal to the base64 one is listed as base64.
 */
export function leakForms(secret: string): LeakForm[] {
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new Error(
      `a secret to look for needs at least ${MIN_SECRET_LENGTH} characters (got ${secret.length}): ` +
        'shorter ones match by chance; use a longer test secret',
    );
  }
  const forms: LeakForm[] = [];
  const add = (encoding: LeakEncoding, needle: string) => {
    if (!forms.some((form) => form.needle === needle)) forms.push({ encoding, needle });
  };
  add('raw', secret);
  const bytes = Buffer.from(secret, 'utf8');
  for (const encoding of ['base64', 'base64url'] as const) {
    for (const fillerBytes of [0, 1, 2]) {
      const encoded = Buffer.concat([Buffer.alloc(fillerBytes), bytes])
        .toString(encoding)
        .replace(/=+$/, '');
      // Each character carries 6 bits: drop those that share bits with the filler or with what follows.
      const first = Math.ceil((fillerBytes * 8) / 6);
      const end = Math.floor(((fillerBytes + bytes.length) * 8) / 6);
      add(encoding, encoded.slice(first, end));
    }
  }
  add('url', encodeURIComponent(secret));
  return forms;
}

interface Needle {
  label: string;
  encoding: LeakEncoding;
  bytes: Buffer;
}

/** Finds needles in a stream of chunks, also across chunk boundaries. */
class StreamMatcher {
  private tail: Buffer = Buffer.alloc(0);
  private readonly needles: readonly Needle[];
  private readonly overlap: number;
  readonly found = new Set<Needle>();

  constructor(needles: readonly Needle[]) {
    this.needles = needles;
    this.overlap = Math.max(0, ...needles.map((needle) => needle.bytes.length - 1));
  }

  push(chunk: Buffer): void {
    const window = this.tail.length === 0 ? chunk : Buffer.concat([this.tail, chunk]);
    for (const needle of this.needles) {
      if (!this.found.has(needle) && window.includes(needle.bytes)) this.found.add(needle);
    }
    this.tail = Buffer.from(window.subarray(Math.max(0, window.length - this.overlap)));
  }
}

function matchText(needles: readonly Needle[], text: string): Needle[] {
  const matcher = new StreamMatcher(needles);
  matcher.push(Buffer.from(text, 'utf8'));
  return [...matcher.found];
}

/** Calls `visit` for every regular file below `root` (or `root` itself); never follows symlinks. */
async function walkFiles(root: string, visit: (path: string) => Promise<void>): Promise<void> {
  let info;
  try {
    info = await lstat(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // what does not exist leaks nothing
    throw error;
  }
  if (info.isFile()) return visit(root);
  if (!info.isDirectory()) return; // symlinks, sockets, fifos, devices
  for (const name of (await readdir(root)).sort()) await walkFiles(join(root, name), visit);
}

async function matchFile(needles: readonly Needle[], path: string): Promise<Needle[]> {
  const matcher = new StreamMatcher(needles);
  matcher.push(Buffer.from(path, 'utf8'));
  const names = new Set(matcher.found);
  const content = new StreamMatcher(needles);
  for await (const chunk of createReadStream(path)) content.push(chunk as Buffer);
  return [...new Set([...names, ...content.found])];
}

async function isGitConfig(path: string): Promise<boolean> {
  if (basename(path) !== 'config') return false;
  const dir = dirname(path);
  if (basename(dir) === '.git') return true;
  // A bare repository (or a submodule's git dir): config beside HEAD and objects/.
  const [head, objects] = await Promise.all([
    lstat(join(dir, 'HEAD')).catch(() => undefined),
    lstat(join(dir, 'objects')).catch(() => undefined),
  ]);
  return head?.isFile() === true && objects?.isDirectory() === true;
}

// ---------------------------------------------------------------------------------------------------------
// Images: `docker export` of a created (never started) container, read as a tar stream.

interface TarEntryEvents {
  onEntry(name: string): void;
  onData(chunk: Buffer): void;
  onEntryEnd(): void;
}

/** A streaming reader for the tar that `docker export` writes (ustar, with pax and GNU long names). */
class TarReader {
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0; // content bytes left in the current entry
  private padding = 0;
  private special: 'pax' | 'longname' | 'skip' | undefined;
  private specialData: Buffer[] = [];
  private nextName: string | undefined;
  private readonly events: TarEntryEvents;

  constructor(events: TarEntryEvents) {
    this.events = events;
  }

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (this.remaining > 0) {
        if (this.pending.length === 0) return;
        const take = this.pending.subarray(0, Math.min(this.remaining, this.pending.length));
        this.pending = this.pending.subarray(take.length);
        this.remaining -= take.length;
        if (this.special === undefined) this.events.onData(take);
        else this.specialData.push(Buffer.from(take));
        if (this.remaining === 0) this.finishEntry();
        continue;
      }
      if (this.padding > 0) {
        const skip = Math.min(this.padding, this.pending.length);
        this.pending = this.pending.subarray(skip);
        this.padding -= skip;
        if (this.padding > 0) return;
        continue;
      }
      if (this.pending.length < 512) return;
      const header = this.pending.subarray(0, 512);
      this.pending = this.pending.subarray(512);
      if (header.every((byte) => byte === 0)) continue;
      this.startEntry(header);
    }
  }

  private startEntry(header: Buffer): void {
    const text = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = tarNumber(header.subarray(124, 136));
    const type = text(156, 1);
    const prefix = text(257, 6).startsWith('ustar') ? text(345, 155) : '';
    const name = this.nextName ?? (prefix === '' ? text(0, 100) : `${prefix}/${text(0, 100)}`);
    this.remaining = size;
    this.padding = (512 - (size % 512)) % 512;
    this.specialData = [];
    this.special =
      type === 'x' ? 'pax' : type === 'L' ? 'longname' : type === 'g' || type === 'K' ? 'skip' : undefined;
    if (this.special === undefined) {
      this.nextName = undefined;
      this.events.onEntry(name);
    }
    if (size === 0) this.finishEntry();
  }

  private finishEntry(): void {
    if (this.special === undefined) return this.events.onEntryEnd();
    const data = Buffer.concat(this.specialData).toString('utf8');
    if (this.special === 'longname') this.nextName = data.replace(/\0.*$/s, '');
    if (this.special === 'pax') {
      const path = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data)?.[1];
      if (path !== undefined) this.nextName = path;
    }
    this.special = undefined;
  }
}

function tarNumber(field: Buffer): number {
  if (((field[0] ?? 0) & 0x80) !== 0) {
    // base-256, for sizes that do not fit in octal
    return field.subarray(1).reduce((value, byte) => value * 256 + byte, (field[0] ?? 0) & 0x7f);
  }
  const octal = field.toString('ascii').replace(/[\0 ]+/g, '');
  return octal === '' ? 0 : Number.parseInt(octal, 8);
}

async function matchImageFiles(
  needles: readonly Needle[],
  ref: string,
  report: (needle: Needle, where: string) => void,
): Promise<void> {
  // An entrypoint that needs not exist: the container is created, never started.
  const created = await docker(['create', '--entrypoint', '/hia-leak-scan', ref]);
  const container = created.stdout.trim();
  try {
    let current: { name: string; matcher: StreamMatcher } | undefined;
    const reader = new TarReader({
      onEntry(name) {
        current = { name: `/${name.replace(/^\.?\//, '')}`, matcher: new StreamMatcher(needles) };
        for (const needle of matchText(needles, name)) report(needle, `image ${ref}:${current.name}`);
      },
      onData(chunk) {
        current?.matcher.push(chunk);
      },
      onEntryEnd() {
        for (const needle of current?.matcher.found ?? []) report(needle, `image ${ref}:${current?.name}`);
        current = undefined;
      },
    });
    await new Promise<void>((resolve, reject) => {
      const exporter = spawn('docker', ['export', container], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      exporter.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
      exporter.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      exporter.on('error', reject);
      exporter.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`docker export ${ref} exited with ${code}: ${stderr}`)),
      );
    });
  } finally {
    await docker(['rm', '--force', container], { allowFailure: true });
  }
}

async function imageMetadata(ref: string): Promise<string> {
  const inspect = await docker(['image', 'inspect', ref]);
  const history = await docker(['history', '--no-trunc', '--format', '{{.CreatedBy}}', ref]);
  return `${inspect.stdout}\n${history.stdout}`;
}

/**
 * Where the secrets (label → value) show up, in any of their `leakForms`. Each leak names the secret by
 * its label and says where; secret values never appear in the result.
 */
export async function findLeaks(secrets: Record<string, string>, places: LeakPlaces): Promise<Leak[]> {
  const needles: Needle[] = Object.entries(secrets).flatMap(([label, value]) =>
    leakForms(value).map(({ encoding, needle }) => ({ label, encoding, bytes: Buffer.from(needle, 'utf8') })),
  );
  const leaks = new Map<string, Leak>();
  const report = (needle: Needle, where: string) => {
    const leak = { secret: needle.label, encoding: needle.encoding, where: redact(needles, where) };
    leaks.set(JSON.stringify(leak), leak);
  };

  for (const [label, text] of Object.entries(places.texts ?? {})) {
    for (const needle of matchText(needles, text)) report(needle, label);
  }
  for (const root of places.paths ?? []) {
    await walkFiles(root, async (path) => {
      for (const needle of await matchFile(needles, path)) report(needle, path);
    });
  }
  for (const root of places.gitConfigsUnder ?? []) {
    await walkFiles(root, async (path) => {
      if (!(await isGitConfig(path))) return;
      for (const needle of await matchFile(needles, path)) report(needle, path);
    });
  }
  for (const ref of places.images ?? []) {
    await matchImageFiles(needles, ref, report);
    for (const needle of matchText(needles, await imageMetadata(ref))) {
      report(needle, `image ${ref} (config and history)`);
    }
  }
  return [...leaks.values()];
}

/** A file named after a secret must not put the secret into the report. */
function redact(needles: readonly Needle[], where: string): string {
  let result = where;
  for (const needle of needles)
    result = result.split(needle.bytes.toString('utf8')).join(`<${needle.label}>`);
  return result;
}
