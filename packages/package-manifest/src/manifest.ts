/** Bumped when a field changes meaning or a reader would misread a newer manifest. */
export const MANIFEST_SCHEMA_VERSION = 1;

/** The OCI artifact type a manifest is stored under, as a referrer of its image. */
export const PACKAGE_MANIFEST_ARTIFACT_TYPE = 'application/vnd.hub-image-actions.packages.v1+json';

export interface CondaPackage {
  name: string;
  version: string;
  build: string;
  /** e.g. `conda-forge`, or the channel URL when it is not on anaconda.org; '' when the record has none. */
  channel: string;
}

export interface CondaEnvironment {
  /** The directory holding `conda-meta/`, e.g. `/srv/conda/envs/notebook`. */
  prefix: string;
  packages: CondaPackage[];
}

export interface PipPackage {
  /** As the distribution spells it in its METADATA (`Name:`). */
  name: string;
  version: string;
  /** The `INSTALLER` file's first line (`pip`, `uv`, `conda`…); '' when there is none. */
  installer: string;
  /** pip installed it over a conda package of the same name in the same prefix (conda's record is stale). */
  overConda?: true;
}

export interface PythonEnvironment {
  /** The site-packages (or dist-packages) directory. */
  path: string;
  /** What the environment's metadata says (conda's python record, `pyvenv.cfg`, Debian's python3.X), else `X.Y` from the path. */
  pythonVersion: string;
  /** Distributions not owned by a conda package of this prefix: what pip (or uv…) put there. */
  packages: PipPackage[];
}

export interface DebianPackage {
  name: string;
  version: string;
  architecture: string;
}

export interface RLibrary {
  /** The library directory, e.g. `/usr/local/lib/R/site-library`. */
  path: string;
  packages: Array<{ name: string; version: string }>;
}

export interface LabExtensions {
  /** The `share/jupyter/labextensions` directory. */
  path: string;
  extensions: Array<{ name: string; version: string }>;
}

export interface Runtime {
  name: 'python' | 'r' | 'julia';
  version: string;
  /** Where it was read: a prefix, a library, or `dpkg`. */
  location: string;
}

/** What is installed in an image. Deterministic for a given file system, so storing it twice changes nothing. */
export interface PackageManifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  /** True when no package metadata of any kind was found (a scratch or static image): not an error. */
  empty: boolean;
  runtimes: Runtime[];
  conda: CondaEnvironment[];
  pip: PythonEnvironment[];
  dpkg: DebianPackage[];
  r: RLibrary[];
  jupyterlabExtensions: LabExtensions[];
  /** What was skipped or cut, each naming the file, e.g. a corrupt conda-meta record. */
  warnings: string[];
  /** The image's size in a local engine when it was built (uncompressed), so later diffs can say how it grew. */
  image?: { uncompressedBytes: number };
}

/** The size change two manifests and the registry's compressed sizes tell, as much of it as is known. */
export function sizeChange(
  before: { manifest: PackageManifest; compressedBytes?: number | undefined },
  after: { manifest: PackageManifest; compressedBytes?: number | undefined },
):
  | { compressed?: { before: number; after: number }; uncompressed?: { before: number; after: number } }
  | undefined {
  const u0 = before.manifest.image?.uncompressedBytes;
  const u1 = after.manifest.image?.uncompressedBytes;
  const c0 = before.compressedBytes;
  const c1 = after.compressedBytes;
  const change = {
    ...(c0 !== undefined && c1 !== undefined ? { compressed: { before: c0, after: c1 } } : {}),
    ...(u0 !== undefined && u1 !== undefined ? { uncompressed: { before: u0, after: u1 } } : {}),
  };
  return Object.keys(change).length > 0 ? change : undefined;
}

export function emptyManifest(warnings: string[] = []): PackageManifest {
  return {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    empty: true,
    runtimes: [],
    conda: [],
    pip: [],
    dpkg: [],
    r: [],
    jupyterlabExtensions: [],
    warnings,
  };
}

/** A manifest read back that this code cannot use: another schema, or not a manifest at all. */
export class ManifestFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestFormatError';
  }
}

const ARRAY_FIELDS = ['runtimes', 'conda', 'pip', 'dpkg', 'r', 'jupyterlabExtensions', 'warnings'] as const;

/** Parses a stored manifest, checking its schema version and shape (a reader never trusts the registry's bytes). */
export function parseManifest(text: string): PackageManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestFormatError(`package manifest is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestFormatError('package manifest is not a JSON object');
  }
  const record = value as Record<string, unknown>;
  if (record['schemaVersion'] !== MANIFEST_SCHEMA_VERSION) {
    throw new ManifestFormatError(
      `package manifest has schemaVersion ${JSON.stringify(record['schemaVersion'])}; this version reads ${MANIFEST_SCHEMA_VERSION}`,
    );
  }
  for (const field of ARRAY_FIELDS) {
    if (!Array.isArray(record[field]))
      throw new ManifestFormatError(`package manifest has no "${field}" list`);
  }
  return value as PackageManifest;
}

/** The manifest as stored: stable key order, two-space indent, trailing newline. */
export function serializeManifest(manifest: PackageManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
