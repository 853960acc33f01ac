/** Which metadata files the parsers read, recognised by path alone (a layer is streamed once, without look-ahead). */
export type MetadataKind =
  | 'conda-meta'
  | 'dist-info'
  | 'egg-info'
  | 'pyvenv-cfg'
  | 'dpkg-status'
  | 'r-description'
  | 'julia-version'
  | 'labextension';

/**
 * Path patterns, as regular expression sources so the in-container walker gets the very same ones. Paths are absolute,
 * without a trailing slash.
 */
export const METADATA_PATTERNS: Record<MetadataKind, string> = {
  'conda-meta': String.raw`^(.*)/conda-meta/[^/]+\.json$`,
  // Direct children of site-packages only: vendored copies (setuptools/_vendor/…) are not installed distributions.
  'dist-info': String.raw`^(.*/lib(?:64)?/python[0-9][^/]*/(?:site|dist)-packages)/([^/]+\.dist-info)/(METADATA|INSTALLER)$`,
  'egg-info': String.raw`^(.*/lib(?:64)?/python[0-9][^/]*/(?:site|dist)-packages)/([^/]+\.egg-info)(?:/(PKG-INFO|INSTALLER))?$`,
  'pyvenv-cfg': String.raw`^(.*)/pyvenv\.cfg$`,
  'dpkg-status': String.raw`^/var/lib/dpkg/(?:status|status\.d/[^/]+)$`,
  // An installed R package is <library>/<package>/DESCRIPTION; libraries are named …library… (R's own convention).
  'r-description': String.raw`^(/(?:[^/]+/)*[^/]*[Ll]ibrary[^/]*(?:/[^/]+)?)/([A-Za-z][A-Za-z0-9.]*)/DESCRIPTION$`,
  'julia-version': String.raw`^(.*)/include/julia/julia_version\.h$`,
  labextension: String.raw`^(.*/share/jupyter/labextensions)/((?:@[^/]+/)?[^/@][^/]*)/package\.json$`,
};

const COMPILED = Object.entries(METADATA_PATTERNS).map(
  ([kind, source]) => [kind as MetadataKind, new RegExp(source)] as const,
);

/** Tar names are relative (`./usr/…`, `usr/…`); the view uses absolute paths. */
export function normalizePath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

export function metadataKind(path: string): MetadataKind | undefined {
  if (path.endsWith('.md5sums')) return undefined; // distroless status.d holds both
  for (const [kind, pattern] of COMPILED) if (pattern.test(path)) return kind;
  return undefined;
}

/** Bytes kept of one file of each kind; the rest is cut and the cut named in a warning. */
export const FILE_CAPS: Record<MetadataKind, number> = {
  // Reduced to its top-level fields before it is kept; this caps the one record held while reducing.
  'conda-meta': 32 * 1024 * 1024,
  // Only the header block is kept (the long description after it is never read).
  'dist-info': 256 * 1024,
  'egg-info': 256 * 1024,
  'pyvenv-cfg': 64 * 1024,
  'dpkg-status': 64 * 1024 * 1024,
  'r-description': 256 * 1024,
  'julia-version': 64 * 1024,
  labextension: 1024 * 1024,
};

/** A conda package cache entry (`<prefix>/pkgs/<name-version-build>`) is not an installed environment. */
export function inPackageCache(path: string): boolean {
  return /\/pkgs\/[^/]+-[^/]+-[^/]+(\/|$)/.test(path);
}
