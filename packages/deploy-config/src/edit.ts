import { parseAllDocuments } from 'yaml';
import type { ImageUse } from './find.js';
import { formatPath } from './find.js';
import type { PathKey } from './scan.js';
import { readsAsPlainString, renderScalar, type ScalarStyle } from './scalars.js';

export interface TagEdit {
  use: ImageUse;
  start: number;
  end: number;
  /** The text written between start and end (with quotes when a plain tag would misread). */
  replacement: string;
}

/** A file could not be edited byte-exactly; nothing of it may be written. */
export class UnsafeEditError extends Error {
  readonly file: string;

  constructor(file: string, reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'UnsafeEditError';
    this.file = file;
  }
}

/**
 * The edit that moves one use to `newTag`, or undefined when the file already says exactly that. A plain `tag:`
 * value that YAML would read as a non-string (`123456789012`, `1234e5`, `true`) is written in double quotes; a
 * quoted one keeps its quotes; an inline `NAME:TAG` only changes the text after the colon.
 */
export function planTagEdit(text: string, use: ImageUse, newTag: string): TagEdit | undefined {
  const spot = use.spot;
  if (spot === undefined) return undefined;
  const replacement = tagText(newTag, spot.style, use.kind === 'inline');
  if (text.slice(spot.start, spot.end) === replacement) return undefined;
  return { use, start: spot.start, end: spot.end, replacement };
}

/** Inside quotes or inside a `NAME:TAG` string the tag is written as is; only a plain `tag:` value may need quotes. */
function tagText(tag: string, style: ScalarStyle, inline: boolean): string {
  if (style === 'plain') return inline ? tag : renderScalar(tag, 'plain');
  return renderScalar(tag, style).slice(1, -1);
}

export function applyEdits(text: string, edits: readonly TagEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`overlapping edits at offset ${edit.start}`);
    out += text.slice(at, edit.start) + edit.replacement;
    at = edit.end;
  }
  return out + text.slice(at);
}

/** The value a use's path must hold once it is at `newTag`. */
function expectedValue(use: ImageUse, newTag: string): string {
  return use.kind === 'inline' ? `${use.image}:${newTag}` : newTag;
}

function setIn(target: unknown, path: readonly PathKey[], value: string): boolean {
  let node: unknown = target;
  for (let i = 0; i < path.length - 1; i += 1) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string, unknown>)[String(path[i])];
  }
  const last = path[path.length - 1];
  if (typeof node !== 'object' || node === null || last === undefined) return false;
  (node as Record<string, unknown>)[String(last)] = value;
  return true;
}

function documentsAsJson(text: string): unknown[] | string {
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const error = list.flatMap((doc) => doc.errors)[0];
  if (error !== undefined) return error.message.split('\n')[0] ?? error.code;
  return list.map((doc) => doc.toJS({ maxAliasCount: -1 }) as unknown);
}

/**
 * Edits one file's uses to `newTag` and proves the result: it parses, every edited value reads back as the intended
 * string under YAML 1.1 and 1.2, and every other value is unchanged. Throws UnsafeEditError otherwise.
 */
export function editFile(
  file: { path: string; text: string },
  uses: readonly ImageUse[],
  newTag: string,
): { text: string; edits: TagEdit[] } {
  const edits = uses
    .filter((use) => use.file === file.path)
    .map((use) => planTagEdit(file.text, use, newTag))
    .filter((edit) => edit !== undefined);
  if (edits.length === 0) return { text: file.text, edits };
  const text = applyEdits(file.text, edits);
  const before = documentsAsJson(file.text);
  const after = documentsAsJson(text);
  if (typeof before === 'string') throw new UnsafeEditError(file.path, `cannot be parsed: ${before}`);
  if (typeof after === 'string')
    throw new UnsafeEditError(file.path, `would not parse after the edit: ${after}`);
  for (const edit of edits) {
    const value = expectedValue(edit.use, newTag);
    if (edit.use.kind !== 'inline' && !edit.replacement.startsWith('"') && edit.use.spot?.style === 'plain') {
      if (!readsAsPlainString(edit.replacement)) {
        throw new UnsafeEditError(
          file.path,
          `the new tag at line ${edit.use.line} would not read as a string`,
        );
      }
    }
    if (!setIn(before[edit.use.document], edit.use.path, value)) {
      throw new UnsafeEditError(file.path, `cannot find ${formatPath(edit.use.path)} to check the edit`);
    }
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    throw new UnsafeEditError(
      file.path,
      'the edited file would read differently beyond the tags (is a tag written in an unusual form?)',
    );
  }
  return { text, edits };
}
