// Versions of the tools: what they print, and what follows from them.

/** repo2docker builds with `docker buildx build` from this version on. */
export const BUILDX_SINCE = '2025.08.0';

/** The numeric release parts of a version: "2026.04.0" → [2026, 4, 0]; a "+local" or pre-release suffix is dropped. */
export function releaseParts(version: string): number[] {
  const release = /^v?([0-9]+(?:\.[0-9]+)*)/.exec(version.trim());
  if (!release) return [];
  return (release[1] ?? '').split('.').map(Number);
}

export function compareVersions(a: string, b: string): number {
  const x = releaseParts(a);
  const y = releaseParts(b);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/**
 * Whether an installed version is the wanted one, as pip sees it: "2026.04.0" and "2026.4.0" are the same
 * release; anything after the release (e.g. "+12.gabc", ".dev3") must match exactly.
 */
export function sameVersion(installed: string, wanted: string): boolean {
  const rest = (v: string) => v.trim().replace(/^v?[0-9]+(?:\.[0-9]+)*/, '');
  const a = releaseParts(installed);
  const b = releaseParts(wanted);
  if (a.length === 0 || b.length === 0) return installed.trim() === wanted.trim();
  return compareVersions(installed, wanted) === 0 && rest(installed) === rest(wanted);
}

/**
 * The spelling pip, setuptools-scm and so repo2docker itself use: PEP 440's normal form, without leading zeros in
 * the release numbers ("2026.04.0" → "2026.4.0"). Outputs, the summary, errors and the inputs hash all use it.
 */
export function normalVersion(version: string): string {
  const trimmed = version.trim();
  const release = /^v?([0-9]+(?:\.[0-9]+)*)/.exec(trimmed);
  if (!release) return trimmed;
  return releaseParts(trimmed).join('.') + trimmed.slice(release[0].length);
}

export function usesBuildx(repo2dockerVersion: string): boolean {
  return compareVersions(repo2dockerVersion, BUILDX_SINCE) >= 0;
}

/** The version repo2docker prints for `--version` (the last non-empty line; older versions log before it). */
export function parseRepo2dockerVersion(output: string): string | undefined {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const last = lines.at(-1);
  return last !== undefined && /^v?[0-9]+\.[0-9]+/.test(last) ? last : undefined;
}

/** Docker's answers when the buildx plugin is missing: the old and the new CLI wording, and repo2docker's. */
const BUILDX_MISSING = [
  /'buildx' is not a docker command/,
  /unknown command:? "?docker buildx/,
  /The docker buildx plugin must be installed/,
];

/** The line of a build's output that says buildx is missing, if one does. */
export function buildxMissingLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .find((line) => BUILDX_MISSING.some((pattern) => pattern.test(line)));
}
