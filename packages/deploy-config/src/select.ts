import { matchesGlob } from 'node:path';

const HUB_PATH = /^deployments\/([^/]+)\//;

/** The hub a file configures, by the deployment repo layout `deployments/<hub>/…`; undefined elsewhere. */
export function hubOf(path: string): string | undefined {
  return HUB_PATH.exec(path)?.[1];
}

export interface FileSelection {
  /** Globs of repo-relative paths to consider. */
  include: readonly string[];
  /** Globs of paths to leave alone, even when included. */
  exclude: readonly string[];
}

/** The repo-relative paths a bump considers, sorted. Globs follow Node's `path.matchesGlob` (`*`, `**`, `?`, `{a,b}`). */
export function selectFiles(paths: Iterable<string>, selection: FileSelection): string[] {
  const selected: string[] = [];
  for (const path of paths) {
    if (!selection.include.some((glob) => matchesGlob(path, glob))) continue;
    if (selection.exclude.some((glob) => matchesGlob(path, glob))) continue;
    selected.push(path);
  }
  return selected.sort();
}
