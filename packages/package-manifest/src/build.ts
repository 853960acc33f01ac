import type { ImageFileView, StoredFile } from './file-view.js';
import {
  MANIFEST_SCHEMA_VERSION,
  type CondaEnvironment,
  type DebianPackage,
  type LabExtensions,
  type PackageManifest,
  type PipPackage,
  type PythonEnvironment,
  type RLibrary,
  type Runtime,
} from './manifest.js';
import {
  condaFileName,
  debianUpstream,
  distDirName,
  normalizeName,
  parseCondaRecord,
  parseDistMetadata,
  parseDpkgStatus,
  parseJuliaVersionHeader,
  parseLabExtension,
  parsePyvenvVersion,
  parseRDescription,
  type CondaRecord,
} from './parse.js';
import { inPackageCache, METADATA_PATTERNS } from './paths.js';

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
const dirname = (path: string) => path.slice(0, path.lastIndexOf('/')) || '/';
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const text = (file: StoredFile) => file.content.toString('utf8');
const pattern = (kind: keyof typeof METADATA_PATTERNS) => new RegExp(METADATA_PATTERNS[kind]);

class Warnings {
  readonly list: string[] = [];
  skipped(path: string, problem: string): void {
    this.list.push(`${path}: ${problem}; skipped`);
  }
  /** A file cut at its cap that was still read, e.g. a huge dpkg status. */
  noteCut(path: string, file: StoredFile): void {
    if (file.problem !== undefined) this.list.push(`${path}: ${file.problem}; read what was kept`);
  }
}

interface CondaPrefix {
  prefix: string;
  records: CondaRecord[];
}

function readConda(view: ImageFileView, warnings: Warnings): CondaPrefix[] {
  const prefixes = new Map<string, CondaRecord[]>();
  for (const [path, file] of view.ofKind('conda-meta')) {
    const prefix = dirname(dirname(path));
    const fromName = condaFileName(basename(path));
    let record: CondaRecord | undefined;
    if (file.problem?.startsWith('too large') && fromName !== undefined) {
      // The name says name, version and build; only the channel is lost.
      record = { ...fromName, channel: '', distFiles: [] };
      warnings.list.push(`${path}: ${file.problem}; name, version and build taken from the file name`);
    } else if (file.problem !== undefined) {
      warnings.skipped(path, file.problem);
    } else {
      const parsed = parseCondaRecord(text(file));
      if (parsed.ok) record = parsed.value;
      else warnings.skipped(path, parsed.problem);
    }
    if (record === undefined) continue;
    const records = prefixes.get(prefix) ?? [];
    records.push(record);
    prefixes.set(prefix, records);
  }
  return [...prefixes]
    .map(([prefix, records]) => ({ prefix, records: records.sort(byName) }))
    .sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
}

interface Distribution {
  sitePackages: string;
  dir: string;
  metadata?: StoredFile;
  metadataPath?: string;
  installer?: string;
}

function readDistributions(view: ImageFileView): Distribution[] {
  const dists = new Map<string, Distribution>();
  const distInfo = pattern('dist-info');
  const eggInfo = pattern('egg-info');
  for (const kind of ['dist-info', 'egg-info'] as const) {
    for (const [path, file] of view.ofKind(kind)) {
      const match = (kind === 'dist-info' ? distInfo : eggInfo).exec(path);
      const sitePackages = match?.[1];
      const dir = match?.[2];
      if (sitePackages === undefined || dir === undefined || inPackageCache(sitePackages)) continue;
      const key = `${sitePackages}/${dir}`;
      const dist = dists.get(key) ?? { sitePackages, dir };
      const member = match?.[3];
      if (member === 'METADATA' || member === 'PKG-INFO' || (kind === 'egg-info' && member === undefined)) {
        dist.metadata = file;
        dist.metadataPath = path;
      } else if (member === 'INSTALLER') {
        dist.installer = text(file).split(/\r?\n/)[0]?.trim() ?? '';
      }
      dists.set(key, dist);
    }
  }
  return [...dists.values()];
}

/** The prefix a site-packages directory belongs to: `<prefix>/lib/pythonX.Y/site-packages`. */
function pythonPrefix(sitePackages: string): string {
  return dirname(dirname(dirname(sitePackages)));
}

function pythonVersion(
  sitePackages: string,
  conda: Map<string, CondaRecord[]>,
  venvs: Map<string, string>,
  dpkg: Map<string, string>,
): string {
  const prefix = pythonPrefix(sitePackages);
  const condaPython = conda.get(prefix)?.find((record) => record.name === 'python');
  if (condaPython !== undefined) return condaPython.version;
  const venv = venvs.get(prefix);
  if (venv !== undefined) return venv;
  const series = /\/python([0-9]+(?:\.[0-9]+)?)[^/]*\/[^/]+$/.exec(sitePackages)?.[1] ?? '';
  if (prefix === '/usr' || (prefix === '/usr/local' && sitePackages.endsWith('/dist-packages'))) {
    const names = series.includes('.')
      ? [`python${series}-minimal`, `python${series}`, `libpython${series}-minimal`]
      : ['python3-minimal', 'python3'];
    for (const name of names) {
      const version = dpkg.get(name);
      if (version !== undefined) return debianUpstream(version);
    }
  }
  return series;
}

interface CondaIndex {
  /** The dist-info and egg-info folders (relative to the prefix) that the prefix's conda packages installed. */
  owned: Set<string>;
  /** Package names, PEP 503-normalised. */
  names: Set<string>;
}

const condaIndexes = new WeakMap<CondaRecord[], CondaIndex>();

function condaIndex(records: CondaRecord[]): CondaIndex {
  let index = condaIndexes.get(records);
  if (index === undefined) {
    index = {
      owned: new Set(
        records.flatMap((record) =>
          record.distFiles.map((file) => file.replace(/\/(?:METADATA|PKG-INFO|INSTALLER)$/, '')),
        ),
      ),
      names: new Set(records.map((record) => normalizeName(record.name))),
    };
    condaIndexes.set(records, index);
  }
  return index;
}

function readPip(
  view: ImageFileView,
  conda: CondaPrefix[],
  venvs: Map<string, string>,
  dpkg: Map<string, string>,
  warnings: Warnings,
): PythonEnvironment[] {
  const condaByPrefix = new Map(conda.map(({ prefix, records }) => [prefix, records]));
  const environments = new Map<string, PythonEnvironment>();
  for (const dist of readDistributions(view)) {
    const environment = environments.get(dist.sitePackages) ?? {
      path: dist.sitePackages,
      pythonVersion: pythonVersion(dist.sitePackages, condaByPrefix, venvs, dpkg),
      packages: [],
    };
    environments.set(dist.sitePackages, environment);
    const where = `${dist.sitePackages}/${dist.dir}`;
    let identity = dist.metadata === undefined ? undefined : parseDistMetadata(text(dist.metadata));
    if (identity !== undefined && !identity.ok)
      warnings.skipped(dist.metadataPath ?? where, identity.problem);
    if (identity === undefined || !identity.ok) {
      const fromDir = distDirName(dist.dir);
      if (fromDir === undefined) continue;
      if (identity === undefined)
        warnings.list.push(`${where}: no METADATA; name and version taken from the folder name`);
      identity = { ok: true, value: fromDir };
    }
    const prefix = pythonPrefix(dist.sitePackages);
    const records = condaByPrefix.get(prefix) ?? [];
    const relative = `${dist.sitePackages.slice(prefix === '/' ? 1 : prefix.length + 1)}/${dist.dir}`;
    const ownedByConda = condaIndex(records).owned.has(relative) || dist.installer === 'conda';
    if (ownedByConda) continue;
    const name = normalizeName(identity.value.name);
    const pkg: PipPackage = {
      name: identity.value.name,
      version: identity.value.version,
      installer: dist.installer ?? '',
    };
    if (condaIndex(records).names.has(name)) pkg.overConda = true;
    environment.packages.push(pkg);
  }
  return [...environments.values()]
    .map((environment) => ({ ...environment, packages: environment.packages.sort(byName) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

function readDpkg(view: ImageFileView, warnings: Warnings): DebianPackage[] {
  const packages = new Map<string, DebianPackage>();
  for (const [path, file] of view.ofKind('dpkg-status')) {
    warnings.noteCut(path, file);
    const { packages: found, badLines } = parseDpkgStatus(text(file), path === '/var/lib/dpkg/status');
    if (badLines.length > 0) {
      warnings.list.push(`${path}: ${badLines.length} malformed lines (first: line ${badLines[0]}) ignored`);
    }
    for (const pkg of found) packages.set(`${pkg.name}:${pkg.architecture}`, pkg);
  }
  return [...packages.values()].sort((a, b) => byName(a, b) || (a.architecture < b.architecture ? -1 : 1));
}

function readR(view: ImageFileView, warnings: Warnings): { libraries: RLibrary[]; runtimes: Runtime[] } {
  const libraries = new Map<string, RLibrary>();
  const runtimes: Runtime[] = [];
  const description = pattern('r-description');
  for (const [path, file] of view.ofKind('r-description')) {
    const library = description.exec(path)?.[1];
    if (library === undefined || inPackageCache(library)) continue;
    const parsed = parseRDescription(text(file));
    if (!parsed.ok) {
      warnings.skipped(path, parsed.problem);
      continue;
    }
    if (!parsed.value.built) continue; // a source package's DESCRIPTION, not an installed one
    const entry = libraries.get(library) ?? { path: library, packages: [] };
    entry.packages.push({ name: parsed.value.name, version: parsed.value.version });
    libraries.set(library, entry);
    // R's own base package carries R's version.
    if (parsed.value.name === 'base')
      runtimes.push({ name: 'r', version: parsed.value.version, location: dirname(library) });
  }
  return {
    libraries: [...libraries.values()]
      .map((library) => ({ ...library, packages: library.packages.sort(byName) }))
      .sort((a, b) => (a.path < b.path ? -1 : 1)),
    runtimes,
  };
}

function readLabExtensions(view: ImageFileView, warnings: Warnings): LabExtensions[] {
  const dirs = new Map<string, LabExtensions>();
  const labextension = pattern('labextension');
  for (const [path, file] of view.ofKind('labextension')) {
    const dir = labextension.exec(path)?.[1];
    if (dir === undefined) continue;
    const parsed = parseLabExtension(text(file));
    if (!parsed.ok) {
      warnings.skipped(path, parsed.problem);
      continue;
    }
    const entry = dirs.get(dir) ?? { path: dir, extensions: [] };
    entry.extensions.push(parsed.value);
    dirs.set(dir, entry);
  }
  return [...dirs.values()]
    .map((entry) => ({ ...entry, extensions: entry.extensions.sort(byName) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

function readVenvs(view: ImageFileView): Map<string, string> {
  const venvs = new Map<string, string>();
  for (const [path, file] of view.ofKind('pyvenv-cfg')) {
    const version = parsePyvenvVersion(text(file));
    if (version !== undefined) venvs.set(dirname(path), version);
  }
  return venvs;
}

function pythonRuntimes(pip: PythonEnvironment[], conda: CondaPrefix[]): Runtime[] {
  const runtimes = new Map<string, Runtime>();
  for (const { prefix, records } of conda) {
    const python = records.find((record) => record.name === 'python');
    if (python !== undefined)
      runtimes.set(prefix, { name: 'python', version: python.version, location: prefix });
  }
  for (const environment of pip) {
    let location = pythonPrefix(environment.path);
    // Debian's python3 also reads /usr/local/lib/python3.X/dist-packages: one interpreter.
    if (location === '/usr/local' && environment.path.endsWith('/dist-packages')) location = '/usr';
    if (!runtimes.has(location) && environment.pythonVersion !== '') {
      runtimes.set(location, { name: 'python', version: environment.pythonVersion, location });
    }
  }
  return [...runtimes.values()];
}

/** Reads every kind of metadata the view holds into a manifest; a file that cannot be read is named in a warning. */
export function buildManifest(view: ImageFileView): PackageManifest {
  const warnings = new Warnings();
  const conda = readConda(view, warnings);
  const dpkg = readDpkg(view, warnings);
  const dpkgVersions = new Map(dpkg.map((pkg) => [pkg.name, pkg.version]));
  const pip = readPip(view, conda, readVenvs(view), dpkgVersions, warnings);
  const r = readR(view, warnings);
  const jupyterlabExtensions = readLabExtensions(view, warnings);
  const julia: Runtime[] = view.ofKind('julia-version').flatMap(([path, file]) => {
    const version = parseJuliaVersionHeader(text(file));
    return version === undefined
      ? []
      : [{ name: 'julia' as const, version, location: dirname(dirname(dirname(path))) }];
  });
  const runtimes = [...pythonRuntimes(pip, conda), ...r.runtimes, ...julia].sort(
    (a, b) => byName(a, b) || (a.location < b.location ? -1 : 1),
  );
  const condaEnvironments: CondaEnvironment[] = conda.map(({ prefix, records }) => ({
    prefix,
    packages: records.map(({ name, version, build, channel }) => ({ name, version, build, channel })),
  }));
  const empty =
    condaEnvironments.length === 0 &&
    pip.length === 0 &&
    dpkg.length === 0 &&
    r.libraries.length === 0 &&
    jupyterlabExtensions.length === 0 &&
    runtimes.length === 0;
  const allWarnings = [...view.warnings, ...warnings.list];
  if (empty)
    allWarnings.push('no package metadata found (no conda, Python, dpkg, R or JupyterLab metadata files)');
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    empty,
    runtimes,
    conda: condaEnvironments,
    pip,
    dpkg,
    r: r.libraries,
    jupyterlabExtensions,
    warnings: allWarnings,
  };
}
