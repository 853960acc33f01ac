// The hash of everything that decides what the image holds. Two builds with the same hash make the same image,
// so an image in the registry that carries this hash can be reused instead of built again.
import { createHash } from 'node:crypto';

/** Bump when the hashed material changes meaning, so no older hash can ever match a newer one. */
export const INPUTS_HASH_SCHEMA = 1;

export interface ImageSettings {
  repo2dockerVersion: string;
  userName: string;
  userId: number;
  targetRepoDir: string;
  appendix: string | undefined;
  buildArgs: ReadonlyArray<readonly [string, string]>;
  /** The user's labels; ours (`repo2docker.ref`, `repo2docker.repo`, the hash itself) name the commit, not the content. */
  labels: ReadonlyArray<readonly [string, string]>;
  platform: string;
  extraArgs: readonly string[];
  subdir: string | undefined;
}

/** One entry of the build context, as the image will hold it. */
export interface HashedEntry {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Only the executable bit: the rest of the mode follows the runner's umask, not the repository. */
  executable: boolean;
  /** sha256 hex of a file's content or a symlink's target; '' for directories. */
  digest: string;
}

/** Last value wins, as in repo2docker's dicts; sorted so the order they were given in does not matter. */
function normalizePairs(pairs: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const map = new Map<string, string>();
  for (const [key, value] of pairs) map.set(key, value);
  return [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The canonical text that is hashed; exposed for the debug log and tests. */
export function canonicalInputs(settings: ImageSettings, entries: readonly HashedEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return JSON.stringify({
    schema: INPUTS_HASH_SCHEMA,
    repo2docker: settings.repo2dockerVersion,
    user: [settings.userName, settings.userId],
    targetRepoDir: settings.targetRepoDir,
    appendix: settings.appendix ?? '',
    buildArgs: normalizePairs(settings.buildArgs),
    labels: normalizePairs(settings.labels),
    platform: settings.platform,
    extraArgs: settings.extraArgs,
    subdir: settings.subdir ?? '',
    files: sorted.map((e) => [e.path, e.kind, e.executable ? 'x' : '-', e.digest]),
  });
}

export function inputsHash(settings: ImageSettings, entries: readonly HashedEntry[]): string {
  return `sha256:${createHash('sha256').update(canonicalInputs(settings, entries)).digest('hex')}`;
}
