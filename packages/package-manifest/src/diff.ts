import type { PackageManifest } from './manifest.js';
import { normalizeName } from './parse.js';
import { compareVersions, majorOf, type Ecosystem } from './versions.js';

export type ChangeKind = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';

export interface PackageChange {
  name: string;
  kind: ChangeKind;
  before?: string;
  after?: string;
  /** The major version (epoch or first number) changed; only for upgrades and downgrades. */
  major: boolean;
  /** For `changed`: what changed at the same version, e.g. `build py311h_0 → py311h_1`. */
  detail?: string;
}

export interface DiffGroup {
  manager: Ecosystem;
  /** The environment: a conda prefix, a site-packages path, an R library, `dpkg`, `runtimes`. */
  environment: string;
  changes: PackageChange[];
}

export type ChangeCounts = Record<ChangeKind, number> & { major: number; total: number };

export interface SizeChange {
  compressed?: { before: number; after: number };
  uncompressed?: { before: number; after: number };
}

export interface ManifestDiff {
  counts: ChangeCounts;
  groups: DiffGroup[];
  size?: SizeChange;
  /** Both manifests' warnings (`before: …`, `after: …`), so a reader knows what the diff could not see. */
  warnings: string[];
}

interface Entry {
  name: string;
  version: string;
  /** Compared when versions are equal, e.g. a conda build string and channel. */
  extra?: Record<string, string>;
}

type Groups = Map<string, { manager: Ecosystem; environment: string; entries: Map<string, Entry> }>;

function groupsOf(manifest: PackageManifest): Groups {
  const groups: Groups = new Map();
  const add = (manager: Ecosystem, environment: string, key: string, entry: Entry) => {
    const id = `${manager}\u0000${environment}`;
    const group = groups.get(id) ?? { manager, environment, entries: new Map() };
    group.entries.set(key, entry);
    groups.set(id, group);
  };
  for (const runtime of manifest.runtimes) {
    add('runtime', 'runtimes', `${runtime.name}@${runtime.location}`, {
      name: `${runtime.name} (${runtime.location})`,
      version: runtime.version,
    });
  }
  for (const env of manifest.conda) {
    for (const pkg of env.packages) {
      add('conda', env.prefix, pkg.name, {
        name: pkg.name,
        version: pkg.version,
        extra: { build: pkg.build, channel: pkg.channel },
      });
    }
  }
  for (const env of manifest.pip) {
    for (const pkg of env.packages) {
      add('pip', env.path, normalizeName(pkg.name), {
        name: pkg.name,
        version: pkg.version,
        extra: { 'pip over conda': pkg.overConda ? 'yes' : 'no' },
      });
    }
  }
  for (const pkg of manifest.dpkg) {
    add('dpkg', 'dpkg', `${pkg.name}:${pkg.architecture}`, { name: pkg.name, version: pkg.version });
  }
  for (const library of manifest.r) {
    for (const pkg of library.packages)
      add('r', library.path, pkg.name, { name: pkg.name, version: pkg.version });
  }
  for (const dir of manifest.jupyterlabExtensions) {
    for (const ext of dir.extensions)
      add('jupyterlab', dir.path, ext.name, { name: ext.name, version: ext.version });
  }
  return groups;
}

const MANAGER_ORDER: Ecosystem[] = ['runtime', 'conda', 'pip', 'dpkg', 'r', 'jupyterlab'];
const KIND_ORDER: ChangeKind[] = ['upgraded', 'downgraded', 'added', 'removed', 'changed'];

function extraDetail(before: Record<string, string>, after: Record<string, string>): string {
  return Object.keys({ ...before, ...after })
    .filter((key) => before[key] !== after[key])
    .map((key) => `${key} ${before[key] ?? '(none)'} → ${after[key] ?? '(none)'}`)
    .join('; ');
}

function sameExtra(a: Record<string, string> = {}, b: Record<string, string> = {}): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

export function emptyCounts(): ChangeCounts {
  return { added: 0, removed: 0, upgraded: 0, downgraded: 0, changed: 0, major: 0, total: 0 };
}

/**
 * What changed from `before` to `after`, per package manager and environment. Versions are compared in each
 * manager's own order; equal versions that differ only in spelling (`1.0` and `1.0.0` in pip) are no change.
 */
export function diffManifests(
  before: PackageManifest,
  after: PackageManifest,
  size?: SizeChange,
): ManifestDiff {
  const old = groupsOf(before);
  const now = groupsOf(after);
  const counts = emptyCounts();
  const groups: DiffGroup[] = [];
  for (const id of new Set([...old.keys(), ...now.keys()])) {
    const a = old.get(id);
    const b = now.get(id);
    const manager = (a ?? b)!.manager;
    const environment = (a ?? b)!.environment;
    const changes: PackageChange[] = [];
    for (const key of new Set([...(a?.entries.keys() ?? []), ...(b?.entries.keys() ?? [])])) {
      const x = a?.entries.get(key);
      const y = b?.entries.get(key);
      let change: PackageChange | undefined;
      if (x === undefined && y !== undefined)
        change = { name: y.name, kind: 'added', after: y.version, major: false };
      else if (y === undefined && x !== undefined)
        change = { name: x.name, kind: 'removed', before: x.version, major: false };
      else if (x !== undefined && y !== undefined) {
        const order = x.version === y.version ? 0 : compareVersions(manager, x.version, y.version);
        if (order !== 0) {
          change = {
            name: y.name,
            kind: order < 0 ? 'upgraded' : 'downgraded',
            before: x.version,
            after: y.version,
            major: majorOf(manager, x.version) !== majorOf(manager, y.version),
          };
        } else if (!sameExtra(x.extra, y.extra)) {
          const detail = extraDetail(x.extra ?? {}, y.extra ?? {});
          change = {
            name: y.name,
            kind: 'changed',
            before: x.version,
            after: y.version,
            major: false,
            detail,
          };
        }
      }
      if (change === undefined) continue;
      changes.push(change);
      counts[change.kind] += 1;
      counts.total += 1;
      if (change.major) counts.major += 1;
    }
    if (changes.length === 0) continue;
    changes.sort(
      (p, q) =>
        KIND_ORDER.indexOf(p.kind) - KIND_ORDER.indexOf(q.kind) ||
        (p.name < q.name ? -1 : p.name > q.name ? 1 : 0),
    );
    groups.push({ manager, environment, changes });
  }
  groups.sort(
    (p, q) =>
      MANAGER_ORDER.indexOf(p.manager) - MANAGER_ORDER.indexOf(q.manager) ||
      (p.environment < q.environment ? -1 : p.environment > q.environment ? 1 : 0),
  );
  const warnings = [
    ...before.warnings.map((warning) => `before: ${warning}`),
    ...after.warnings.map((warning) => `after: ${warning}`),
  ];
  return { counts, groups, ...(size === undefined ? {} : { size }), warnings };
}
