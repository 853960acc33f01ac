import { posix } from 'node:path';
import { parseImageName } from '@hub-image-actions/image-ref';
import { findImageUses, formatPath, type FileProblem, type ImageUse } from './find.js';
import { isLegacyStanza } from './legacy.js';
import type { ScannedFile } from './scan.js';

// Every image a set of deployment files references, found with the same finder a bump uses (one image at a time,
// compared exactly), and which of those references a hubploy deployment of one environment actually deploys.

/** The name an image is known by: the registry host in lower case (hosts are case-insensitive), the path as is. */
export function canonicalImage(name: string): string {
  try {
    const parsed = parseImageName(name);
    return parsed.registry === undefined ? parsed.path : `${parsed.registry.toLowerCase()}/${parsed.path}`;
  } catch {
    return name;
  }
}

/** Every image name the files mention where the finder looks for one: `name:` of a mapping, inline `NAME:TAG`. */
export function imageNamesIn(files: readonly ScannedFile[]): string[] {
  const names = new Map<string, string>();
  const add = (name: string) => {
    try {
      parseImageName(name);
    } catch {
      return; // e.g. the `name:` of an environment variable
    }
    const canonical = canonicalImage(name);
    if (!names.has(canonical)) names.set(canonical, name);
  };
  for (const file of files) {
    for (const slot of file.slots) if (slot.name !== undefined) add(slot.name.value);
    for (const inline of file.inline) add(inline.name);
  }
  return [...names.keys()].sort();
}

export interface FleetProblem extends FileProblem {
  image: string;
}

export interface FleetSearch {
  /** Canonical image name → every reference to it, in file order. */
  images: Map<string, ImageUse[]>;
  /** References that a bump could not edit safely (alias, block scalar, ambiguous override…), per image. */
  unsafe: FleetProblem[];
  /** Files that do not parse as YAML (or are not UTF-8): nothing in them is known. */
  unreadable: FileProblem[];
}

/** Finds the references to every image `keep` accepts (e.g. the images of one registry). */
export function findFleetUses(files: readonly ScannedFile[], keep: (image: string) => boolean): FleetSearch {
  const images = new Map<string, ImageUse[]>();
  const unsafe: FleetProblem[] = [];
  for (const image of imageNamesIn(files).filter(keep)) {
    const search = findImageUses(files, image);
    for (const problem of search.unsafe) {
      // Files that do not parse are listed once, below.
      if (files.find((file) => file.path === problem.file)?.error === undefined)
        unsafe.push({ ...problem, image });
    }
    if (search.uses.length > 0) images.set(image, search.uses);
  }
  const unreadable = files
    .filter((file) => file.error !== undefined)
    .map((file) => ({ file: file.path, hub: file.hub, reason: file.error ?? '' }));
  return { images, unsafe, unreadable };
}

/** What a file is to hubploy ≥ 1.0 deploying one environment. */
export type FileRole =
  /** `config/common.yaml`, or any file outside a hub's `config/`: values of every environment. */
  | 'base'
  /** `config/<env>.yaml`: merged over the base for that environment. */
  | 'environment'
  /** `config/<other env>.yaml`: not part of this environment's deployment. */
  | 'other-environment'
  /** A `hubploy.yaml` `images:` stanza: ignored since hubploy 1.0. */
  | 'legacy';

export function fileRole(use: Pick<ImageUse, 'file' | 'path'>, environment: string): FileRole {
  if (isLegacyStanza(use)) return 'legacy';
  const match = /(^|\/)config\/([^/]+)\.ya?ml$/.exec(use.file);
  if (match === null || match[2] === 'common') return 'base';
  return match[2] === environment ? 'environment' : 'other-environment';
}

/** Where a reference sits in the helm values: the image mapping's path (without `.tag`), or the inline string's. */
export function slotKey(use: Pick<ImageUse, 'kind' | 'path'>): string {
  const path = use.kind === 'inline' ? use.path : use.path.slice(0, -1);
  return formatPath(path);
}

export interface DeployedUse {
  /** The hub, or the folder of a file outside `deployments/<hub>/`. */
  hub: string;
  key: string;
  use: ImageUse;
  /** The base reference an environment file overrides here, if any. */
  overrides?: ImageUse;
}

function hubLabel(use: ImageUse): string {
  return use.hub ?? posix.dirname(use.file);
}

/**
 * The references one environment deploys: per hub and place in the values, the environment file's over the base
 * one (helm merges `config/<env>.yaml` over `config/common.yaml`). Legacy stanzas and other environments' files
 * are left out.
 */
export function deployedUses(uses: readonly ImageUse[], environment: string): DeployedUse[] {
  const chosen = new Map<string, DeployedUse>();
  for (const use of uses) {
    const role = fileRole(use, environment);
    if (role === 'legacy' || role === 'other-environment') continue;
    const hub = hubLabel(use);
    const key = slotKey(use);
    const id = `${hub}\0${key}`;
    const current = chosen.get(id);
    if (current === undefined) {
      chosen.set(id, { hub, key, use });
    } else if (role === 'environment' && fileRole(current.use, environment) === 'base') {
      chosen.set(id, { hub, key, use, overrides: current.use });
    }
  }
  return [...chosen.values()];
}
