import { parseReference } from '@hub-image-actions/image-ref';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import type { ScalarStyle } from './scalars.js';
import { hubOf } from './select.js';
import { decodeFile, LineIndex, NotUtf8Error } from './text.js';

export type PathKey = string | number;

/** Where a scalar's value text sits in the file: between the quotes, if any. */
export interface ScalarSpot {
  start: number;
  end: number;
  style: ScalarStyle;
  /** The text between start and end, as written. */
  text: string;
  line: number;
  column: number;
}

/** A `tag` value that can be edited in place, or why not. */
export type TagField =
  { editable: true; spot: ScalarSpot } | { editable: false; reason: string; line: number };

/** A mapping with a `name` and/or a `tag` key, e.g. `jupyterhub.singleuser.image`. */
export interface ImageSlot {
  document: number;
  /** Path of the mapping. */
  path: PathKey[];
  name?: { value: string; line: number };
  tag?: TagField;
  /** Reached by following an alias (`*anchor` or a `<<` merge): editing it would change other places too. */
  viaAlias: boolean;
  /** The line of that alias (where the reference is made), when `viaAlias`. */
  aliasLine?: number;
}

/** A string value of the form `NAME:TAG` (or `NAME@DIGEST`), e.g. a profile list's `kubespawner_override.image`. */
export interface InlineImage {
  document: number;
  path: PathKey[];
  name: string;
  tag: string | undefined;
  digest: string | undefined;
  /** The tag's text inside the scalar, when it can be edited in place. */
  tagSpot?: ScalarSpot;
  /** Why the tag cannot be edited in place. */
  problem?: string;
  line: number;
  column: number;
  viaAlias: boolean;
  aliasLine?: number;
}

export interface ScannedFile {
  path: string;
  /** `deployments/<hub>/…` → hub. */
  hub: string | undefined;
  text: string;
  documents: number;
  slots: ImageSlot[];
  inline: InlineImage[];
  /** Why the file cannot be read as YAML (syntax, duplicate keys, not UTF-8); nothing else is set then. */
  error?: string;
}

const MAX_DEPTH = 256;

interface Walk {
  doc: Document.Parsed;
  index: number;
  lines: LineIndex;
  /** Nodes that an alias points at: editing one changes every alias too. */
  aliased: Set<Node>;
  following: Set<Node>;
  slots: ImageSlot[];
  inline: InlineImage[];
}

/** Parses a deployment file and lists every place that could hold an image reference. */
export function scanFile(path: string, content: Uint8Array | string): ScannedFile {
  const hub = hubOf(path);
  let text: string;
  try {
    text = decodeFile(content);
  } catch (error) {
    if (error instanceof NotUtf8Error) {
      return { path, hub, text: '', documents: 0, slots: [], inline: [], error: error.message };
    }
    throw error;
  }
  const docs = parseAllDocuments(text, { keepSourceTokens: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const failure = list.flatMap((doc) => doc.errors)[0];
  if (failure !== undefined) {
    const where = failure.linePos?.[0];
    const detail = failure.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? '';
    const at = where === undefined ? '' : ` at line ${where.line}, column ${where.col}`;
    const what = failure.code === 'DUPLICATE_KEY' ? 'has a duplicate key' : 'is not valid YAML';
    return {
      path,
      hub,
      text,
      documents: list.length,
      slots: [],
      inline: [],
      error: `${what}${at}: ${detail}`,
    };
  }
  const lines = new LineIndex(text);
  const slots: ImageSlot[] = [];
  const inline: InlineImage[] = [];
  list.forEach((doc, index) => {
    const aliased = new Set<Node>();
    if (text.includes('*')) {
      visit(doc, {
        Alias(_key, alias) {
          const target = alias.resolve(doc);
          if (target !== undefined) aliased.add(target);
        },
      });
    }
    const walk: Walk = { doc, index, lines, aliased, following: new Set(), slots, inline };
    if (doc.contents !== null) visitNode(walk, doc.contents, [], undefined, 0);
  });
  return { path, hub, text, documents: list.length, slots, inline };
}

/** `alias` is the line of the (outermost) alias that led here, if any. */
function visitNode(
  walk: Walk,
  node: unknown,
  path: PathKey[],
  alias: number | undefined,
  depth: number,
): void {
  if (depth > MAX_DEPTH) return;
  if (isAlias(node)) {
    const target = node.resolve(walk.doc);
    if (target === undefined || walk.following.has(target)) return;
    walk.following.add(target);
    visitNode(walk, target, path, alias ?? lineOf(walk, node), depth + 1);
    walk.following.delete(target);
    return;
  }
  if (isMap(node)) {
    visitMap(walk, node, path, alias);
    for (const pair of node.items) {
      const key = keyOf(walk, pair);
      if (key !== undefined) visitNode(walk, pair.value, [...path, key], alias, depth + 1);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => visitNode(walk, item, [...path, index], alias, depth + 1));
  } else if (isScalar(node) && typeof node.value === 'string') {
    visitString(walk, node as Scalar<string>, path, alias);
  }
}

function keyOf(walk: Walk, pair: Pair): PathKey | undefined {
  const key = isAlias(pair.key) ? pair.key.resolve(walk.doc) : pair.key;
  if (!isScalar(key)) return undefined;
  const value = key.value;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return typeof value === 'boolean' || value === null ? String(value) : undefined;
}

function visitMap(walk: Walk, map: YAMLMap, path: PathKey[], alias: number | undefined): void {
  let namePair: Pair | undefined;
  let tagPair: Pair | undefined;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (key === 'name') namePair = pair;
    else if (key === 'tag') tagPair = pair;
  }
  if (namePair === undefined && tagPair === undefined) return;
  const slot: ImageSlot = {
    document: walk.index,
    path,
    viaAlias: alias !== undefined,
    ...(alias === undefined ? {} : { aliasLine: alias }),
  };
  if (namePair !== undefined) {
    let value = namePair.value;
    if (isAlias(value)) {
      slot.aliasLine ??= lineOf(walk, value);
      value = value.resolve(walk.doc);
      slot.viaAlias = true;
    }
    if (isScalar(value) && typeof value.value === 'string') {
      slot.name = { value: value.value, line: lineOf(walk, value) };
    }
  }
  if (tagPair !== undefined) {
    const value = tagPair.value;
    const keyLine = isScalar(tagPair.key) ? lineOf(walk, tagPair.key) : 0;
    if (
      value === null ||
      (isScalar(value) && value.value === null && (value.srcToken === undefined || sourceOf(value) === ''))
    ) {
      slot.tag = { editable: false, reason: 'has no value', line: keyLine };
    } else if (isAlias(value)) {
      slot.tag = { editable: false, reason: `is the alias *${value.source}`, line: keyLine };
    } else if (isScalar(value)) {
      const spot = spotOf(walk, value);
      slot.tag =
        typeof spot === 'string'
          ? { editable: false, reason: spot, line: lineOf(walk, value) }
          : walk.aliased.has(value)
            ? {
                editable: false,
                reason: `is anchored (&${value.anchor ?? ''}) and reused by an alias`,
                line: spot.line,
              }
            : { editable: true, spot };
    }
  }
  if (slot.name !== undefined || slot.tag !== undefined) walk.slots.push(slot);
}

function visitString(walk: Walk, node: Scalar<string>, path: PathKey[], alias: number | undefined): void {
  const value = node.value;
  if ((!value.includes(':') && !value.includes('@')) || /\s/.test(value)) return;
  let reference;
  try {
    reference = parseReference(value);
  } catch {
    return;
  }
  if (reference.tag === undefined && reference.digest === undefined) return;
  const position = walk.lines.position(node.range?.[0] ?? 0);
  const found: InlineImage = {
    document: walk.index,
    path,
    // As the file writes it: image-ref gives the host in lower case, and lower-casing keeps the length.
    name: value.slice(0, reference.name.full.length),
    tag: reference.tag,
    digest: reference.digest,
    line: position.line,
    column: position.column,
    viaAlias: alias !== undefined,
    ...(alias === undefined ? {} : { aliasLine: alias }),
  };
  const spot = spotOf(walk, node);
  if (typeof spot === 'string') {
    found.problem = spot;
  } else if (spot.text !== value) {
    found.problem = 'is written in a form whose text differs from its value';
  } else if (walk.aliased.has(node)) {
    found.problem = `is anchored (&${node.anchor ?? ''}) and reused by an alias`;
  } else if (reference.tag !== undefined) {
    const rest = value.includes('@') ? value.slice(0, value.indexOf('@')) : value;
    const colon = rest.indexOf(':', rest.lastIndexOf('/') + 1);
    const start = spot.start + colon + 1;
    const end = spot.start + rest.length;
    found.tagSpot = { ...spot, start, end, text: reference.tag, ...walk.lines.position(start) };
  }
  walk.inline.push(found);
}

function sourceOf(node: Scalar): string {
  const token = node.srcToken;
  return token !== undefined && 'source' in token && typeof token.source === 'string' ? token.source : '';
}

function lineOf(walk: Walk, node: Node): number {
  return walk.lines.position(node.range?.[0] ?? 0).line;
}

/** The value text's place in the file, or why it cannot be edited as a substring (escapes, folding, block style). */
function spotOf(walk: Walk, node: Scalar): ScalarSpot | string {
  const token = node.srcToken;
  if (
    token === undefined ||
    !('source' in token) ||
    typeof token.source !== 'string' ||
    !('offset' in token)
  ) {
    return 'is not a simple scalar';
  }
  const { source, offset } = token;
  let style: ScalarStyle;
  let inner: string;
  switch (token.type) {
    case 'scalar':
      style = 'plain';
      inner = source;
      break;
    case 'single-quoted-scalar':
      style = 'single';
      inner = source.slice(1, -1);
      if (inner.includes("''")) return "is single-quoted with an escaped quote ('')";
      break;
    case 'double-quoted-scalar':
      style = 'double';
      inner = source.slice(1, -1);
      if (inner.includes('\\')) return 'is double-quoted with escapes';
      break;
    default:
      return 'is a block scalar (| or >)';
  }
  if (/[\r\n]/.test(inner)) return 'spans several lines';
  const start = style === 'plain' ? offset : offset + 1;
  return { start, end: start + inner.length, style, text: inner, ...walk.lines.position(start) };
}
