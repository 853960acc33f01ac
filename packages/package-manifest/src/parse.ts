/** Parsers for the packages' own metadata files. Each takes the file's text and never runs a package manager. */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

export interface DcfResult {
  /** Field names lower-cased (dpkg and R read them case-insensitively); the first occurrence wins. */
  stanzas: Array<Map<string, string>>;
  /** 1-based numbers of lines that are neither `Field: value` nor a continuation. */
  badLines: number[];
}

/**
 * Debian control file format (dpkg's status, R's DESCRIPTION; METADATA's RFC 822 header is the same shape):
 * stanzas separated by blank lines, `Field: value`, continuation lines start with a space or tab.
 */
export function parseDcf(text: string): DcfResult {
  const stanzas: Array<Map<string, string>> = [];
  const badLines: number[] = [];
  let current: Map<string, string> | undefined;
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === '') {
      current = undefined;
      last = undefined;
      return;
    }
    if (/^[ \t]/.test(line)) {
      if (current !== undefined && last !== undefined) {
        current.set(last, `${current.get(last)}\n${line.trim()}`);
      } else badLines.push(index + 1);
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) {
      badLines.push(index + 1);
      return;
    }
    if (current === undefined) {
      current = new Map();
      stanzas.push(current);
    }
    const field = line.slice(0, colon).toLowerCase();
    if (current.has(field)) {
      last = undefined; // a repeated header (Classifier:, Requires-Dist:): keep the first, skip its continuations
      return;
    }
    current.set(field, line.slice(colon + 1).trim());
    last = field;
  });
  return { stanzas, badLines };
}

export interface DpkgEntry {
  name: string;
  version: string;
  architecture: string;
}

/**
 * dpkg's status database: the packages whose status is installed (`install ok installed`, or `hold ok installed` for
 * a held one). A file of `status.d/` (distroless) may have no Status field: it lists installed packages only.
 */
export function parseDpkgStatus(
  text: string,
  statusRequired = true,
): { packages: DpkgEntry[]; badLines: number[] } {
  const { stanzas, badLines } = parseDcf(text);
  const packages: DpkgEntry[] = [];
  for (const stanza of stanzas) {
    const name = stanza.get('package');
    const version = stanza.get('version');
    if (name === undefined || version === undefined) continue;
    const status = stanza.get('status');
    if (
      status === undefined
        ? statusRequired
        : !/^(install|hold) ok installed$/.test(status.replace(/\s+/g, ' '))
    ) {
      continue;
    }
    packages.push({ name, version, architecture: stanza.get('architecture') ?? '' });
  }
  return { packages, badLines };
}

/** The upstream part of a Debian version (no epoch, no revision): `1:3.11.2-1+b1` → `3.11.2`. */
export function debianUpstream(version: string): string {
  const noEpoch = version.replace(/^[0-9]+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  return dash === -1 ? noEpoch : noEpoch.slice(0, dash);
}

export interface CondaRecord {
  name: string;
  version: string;
  build: string;
  channel: string;
  /** Paths (relative to the prefix) of Python distribution metadata the package owns. */
  distFiles: string[];
}

const SUBDIRS =
  /\/(?:noarch|linux-64|linux-aarch64|linux-ppc64le|linux-s390x|linux-armv7l|linux-32|osx-64|osx-arm64|win-64|win-32|emscripten-wasm32|wasi-wasm32)\/?$/;

/**
 * A conda channel as people name it: `conda-forge`, `pkgs/main`, or the URL for a private channel. Tokens
 * (`/t/<token>/`) and user:password in a URL are removed: they are credentials.
 */
export function condaChannel(channelOrUrl: string): string {
  let channel = channelOrUrl.trim().replace(SUBDIRS, '');
  channel = channel.replace(/\/[^/]+\.(?:conda|tar\.bz2)$/, '').replace(SUBDIRS, '');
  channel = channel.replace(/^(https?:\/\/)[^/@]*@/, '$1').replace(/\/t\/[^/]+\//, '/');
  const known = /^https?:\/\/(?:conda\.anaconda\.org|repo\.anaconda\.com|conda\.prefix\.dev)\/(.+)$/.exec(
    channel,
  );
  return (known?.[1] ?? channel).replace(/\/+$/, '');
}

/** `<name>-<version>-<build>.json`: versions and builds have no `-`, names may. */
export function condaFileName(
  fileName: string,
): { name: string; version: string; build: string } | undefined {
  const match = /^(.+)-([^-]+)-([^-]+)\.json$/.exec(fileName);
  return match ? { name: match[1] ?? '', version: match[2] ?? '', build: match[3] ?? '' } : undefined;
}

/** A `conda-meta/*.json` record, already reduced to its top-level fields (see reduceContent). */
export function parseCondaRecord(text: string): Parsed<CondaRecord> {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return fail('not a JSON object');
  const text_ = (key: string) => (typeof record[key] === 'string' ? (record[key] as string) : undefined);
  const name = text_('name');
  const version = text_('version');
  if (!name || !version) return fail('no "name" and "version"');
  const channelSource = text_('channel') || text_('url') || '';
  const files = Array.isArray(record['files']) ? (record['files'] as unknown[]) : [];
  return ok({
    name,
    version,
    build: text_('build') ?? text_('build_string') ?? '',
    channel: channelSource === '' ? '' : condaChannel(channelSource),
    distFiles: files.filter((file): file is string => typeof file === 'string'),
  });
}

/** A `.dist-info/METADATA` or `.egg-info/PKG-INFO` header: the distribution's name and version. */
export function parseDistMetadata(text: string): Parsed<{ name: string; version: string }> {
  const header = parseDcf(text.split(/\r?\n\r?\n/, 1)[0] ?? '').stanzas[0];
  const name = header?.get('name');
  const version = header?.get('version');
  if (!name || !version) return fail('no "Name:" and "Version:" header');
  return ok({ name, version });
}

/** `numpy-1.26.4.dist-info` → numpy, 1.26.4 (what pip itself falls back to); egg-info names may add `-py3.11`. */
export function distDirName(dir: string): { name: string; version: string } | undefined {
  const match = /^([^-]+)-([^-]+)(?:-py[0-9.]+)?\.(?:dist|egg)-info$/.exec(dir);
  return match ? { name: (match[1] ?? '').replace(/_/g, '-'), version: match[2] ?? '' } : undefined;
}

/** PEP 503 normal form, to compare names across pip and conda. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** An installed R package's DESCRIPTION: installed ones carry `Built:` (a source package's does not). */
export function parseRDescription(text: string): Parsed<{ name: string; version: string; built: boolean }> {
  const { stanzas } = parseDcf(text);
  const stanza = stanzas[0];
  const name = stanza?.get('package');
  const version = stanza?.get('version');
  if (!name || !version) return fail('no "Package:" and "Version:" fields');
  return ok({ name, version, built: stanza?.has('built') ?? false });
}

/** `pyvenv.cfg`: `version = 3.11.4` (venv) or `version_info = 3.12.1.final.0` (uv, virtualenv). */
export function parsePyvenvVersion(text: string): string | undefined {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) fields.set((match[1] ?? '').toLowerCase(), match[2] ?? '');
  }
  const info = fields.get('version_info');
  const infoVersion = info === undefined ? undefined : /^[0-9]+\.[0-9]+\.[0-9]+/.exec(info)?.[0];
  return fields.get('version') || infoVersion || undefined;
}

/** Julia's generated `include/julia/julia_version.h`: `#define JULIA_VERSION_STRING "1.10.4"`. */
export function parseJuliaVersionHeader(text: string): string | undefined {
  return /#define\s+JULIA_VERSION_STRING\s+"([^"]+)"/.exec(text)?.[1];
}

/** A prebuilt JupyterLab extension's `package.json`. */
export function parseLabExtension(text: string): Parsed<{ name: string; version: string }> {
  let value: { name?: unknown; version?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value?.name !== 'string' || typeof value.version !== 'string')
    return fail('no "name" and "version"');
  return ok({ name: value.name, version: value.version });
}
