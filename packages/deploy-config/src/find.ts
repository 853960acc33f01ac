import { posix } from 'node:path';
import type { PathKey, ScalarSpot, ScannedFile } from './scan.js';

export type UseKind = 'name-and-tag' | 'tag-override' | 'inline';

/** One place in one file that sets the tag the hub runs for the image. */
export interface ImageUse {
  /** The image name, without tag (as the file writes it, for an inline reference). */
  image: string;
  file: string;
  hub: string | undefined;
  kind: UseKind;
  document: number;
  /** Path of the value that holds the tag: the `tag` scalar, or the inline `NAME:TAG` string. */
  path: PathKey[];
  line: number;
  column: number;
  /** The tag as written (without quotes). */
  tag: string;
  /** The tag's text in the file; absent when the reference is pinned by digest and must not be edited. */
  spot: ScalarSpot | undefined;
  /** `NAME:TAG@DIGEST` or `NAME@DIGEST`: the digest decides what runs, so the tag is left alone. */
  digest: string | undefined;
}

export interface FileProblem {
  file: string;
  hub: string | undefined;
  line?: number;
  reason: string;
}

export interface ImageSearch {
  uses: ImageUse[];
  /** Files that reference the image and cannot be edited safely: a bump must stop and write nothing. */
  unsafe: FileProblem[];
  /** Files that cannot be parsed and do not mention the image: worth a warning, not a failure. */
  unreadable: FileProblem[];
}

const NAME_CHAR = /[A-Za-z0-9._/-]/;

/** `path` as shown to people: `jupyterhub.singleuser.image.tag`, `…profileList[1].kubespawner_override.image`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out === '' ? '(document root)' : out;
}

/** True when the text names the image as a whole word: `…/base-user-image` does not match `…/base-user-image-gpu`. */
export function mentionsImage(text: string, image: string): boolean {
  for (let at = text.indexOf(image); at >= 0; at = text.indexOf(image, at + 1)) {
    const before = at === 0 ? '' : (text[at - 1] ?? '');
    const after = text[at + image.length] ?? '';
    if (!NAME_CHAR.test(before) && !NAME_CHAR.test(after)) return true;
  }
  return false;
}

/**
 * Whether two image names (without tag) are the same image: equal, except that the registry host may differ
 * in case (hosts are case-insensitive; paths are not).
 */
export function sameImage(a: string, b: string): boolean {
  if (a === b) return true;
  const host = (name: string) => {
    const slash = name.indexOf('/');
    const first = slash < 0 ? '' : name.slice(0, slash);
    return /[.:]|^localhost$/i.test(first) ? slash : -1;
  };
  const ha = host(a);
  const hb = host(b);
  return (
    ha >= 0 &&
    hb >= 0 &&
    a.slice(0, ha).toLowerCase() === b.slice(0, hb).toLowerCase() &&
    a.slice(ha) === b.slice(hb)
  );
}

function groupOf(file: ScannedFile): string {
  return file.hub === undefined ? `dir:${posix.dirname(file.path)}` : `hub:${file.hub}`;
}

function isBaseLayer(path: string): boolean {
  return /(^|\/)common\.ya?ml$/.test(path);
}

/**
 * Finds every reference to `image` (a full name without tag, compared exactly) in the scanned files:
 * `{name, tag}` mappings, tag-only overrides (e.g. `staging.yaml` setting `jupyterhub.singleuser.image.tag` whose
 * name comes from the hub's `common.yaml`), and inline `NAME:TAG` strings (profile lists, legacy `hubploy.yaml`).
 */
export function findImageUses(files: readonly ScannedFile[], image: string): ImageSearch {
  const uses: ImageUse[] = [];
  const unsafe: FileProblem[] = [];
  const unreadable: FileProblem[] = [];
  const namesByGroup = new Map<string, Array<{ file: ScannedFile; key: string; name: string }>>();
  for (const file of files) {
    if (file.error !== undefined) continue;
    for (const slot of file.slots) {
      if (slot.name === undefined) continue;
      const group = groupOf(file);
      const list = namesByGroup.get(group) ?? [];
      list.push({ file, key: JSON.stringify(slot.path), name: slot.name.value });
      namesByGroup.set(group, list);
    }
  }
  const groupsUsingImage = new Set<string>();

  for (const file of files) {
    if (file.error !== undefined) continue;
    const before = uses.length;
    const problems: FileProblem[] = [];
    const problem = (line: number, reason: string) =>
      problems.push({ file: file.path, hub: file.hub, line, reason });
    for (const slot of file.slots) {
      let kind: UseKind;
      if (slot.name !== undefined) {
        if (!sameImage(slot.name.value, image) || slot.tag === undefined) continue;
        kind = 'name-and-tag';
      } else {
        const base = overriddenName(file, JSON.stringify(slot.path), namesByGroup.get(groupOf(file)) ?? []);
        if (base === undefined || !base.names.some((name) => sameImage(name, image))) continue;
        if (base.names.length > 1) {
          problem(
            slot.tag?.editable ? slot.tag.spot.line : (slot.tag?.line ?? 0),
            `overrides the tag at ${formatPath(slot.path)}, whose image name the hub's other files set differently (${base.names.join(', ')})`,
          );
          continue;
        }
        kind = 'tag-override';
      }
      const tag = slot.tag;
      if (tag === undefined) continue;
      const where = formatPath([...slot.path, 'tag']);
      if (slot.viaAlias) {
        problem(
          slot.aliasLine ?? (tag.editable ? tag.spot.line : tag.line),
          `reaches the image at ${where} through an alias or merge key`,
        );
      } else if (!tag.editable) {
        problem(tag.line, `the tag at ${where} ${tag.reason}`);
      } else {
        uses.push({
          image,
          file: file.path,
          hub: file.hub,
          kind,
          document: slot.document,
          path: [...slot.path, 'tag'],
          line: tag.spot.line,
          column: tag.spot.column,
          tag: tag.spot.text,
          spot: tag.spot,
          digest: undefined,
        });
      }
    }
    for (const found of file.inline) {
      if (!sameImage(found.name, image)) continue;
      const where = formatPath(found.path);
      if (found.viaAlias) {
        problem(found.aliasLine ?? found.line, `reaches the image at ${where} through an alias or merge key`);
      } else if (found.digest === undefined && (found.problem !== undefined || found.tagSpot === undefined)) {
        problem(found.line, `the reference at ${where} ${found.problem ?? 'cannot be edited in place'}`);
      } else {
        uses.push({
          // As written: the edit is checked against the file's own spelling of the name.
          image: found.name,
          file: file.path,
          hub: file.hub,
          kind: 'inline',
          document: found.document,
          path: found.path,
          line: found.line,
          column: found.column,
          tag: found.tag ?? '',
          spot: found.digest === undefined ? found.tagSpot : undefined,
          digest: found.digest,
        });
      }
    }
    const documents = new Set(uses.slice(before).map((use) => use.document));
    if (documents.size > 1) {
      problem(
        0,
        `references the image in ${documents.size} of its ${file.documents} YAML documents; which one is deployed is ambiguous`,
      );
    }
    if (problems.length > 0) {
      uses.length = before;
      unsafe.push(
        ...problems.map((p) => (p.line === 0 ? { file: p.file, hub: p.hub, reason: p.reason } : p)),
      );
    }
    if (uses.length > before || problems.length > 0) groupsUsingImage.add(groupOf(file));
  }

  for (const file of files) {
    if (file.error === undefined) continue;
    const related = mentionsImage(file.text, image) || groupsUsingImage.has(groupOf(file));
    (related ? unsafe : unreadable).push({ file: file.path, hub: file.hub, reason: file.error });
  }
  return { uses, unsafe, unreadable };
}

/**
 * The image name a tag-only mapping overrides: the name at the same path in the hub's `common.yaml` (the base
 * layer helm values are merged onto), else the names other files of the hub set there.
 */
function overriddenName(
  file: ScannedFile,
  key: string,
  candidates: ReadonlyArray<{ file: ScannedFile; key: string; name: string }>,
): { names: string[] } | undefined {
  const others = candidates.filter((c) => c.key === key && c.file !== file);
  if (others.length === 0) return undefined;
  const sameDir = posix.dirname(file.path);
  const base = others.filter((c) => isBaseLayer(c.file.path) && posix.dirname(c.file.path) === sameDir);
  const chosen = base.length > 0 ? base : others;
  return { names: [...new Set(chosen.map((c) => c.name))] };
}
