import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { IgnoreMatcher, parseIgnoreFile } from './ignore.js';

export interface ContextEntry {
  /** Relative to the context root, "/"-separated. */
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  /** Permission bits. */
  mode: number;
  /** Bytes, for files. */
  size: number;
  /** For symlinks: where the link points (the link is copied, not its target). */
  target?: string;
}

export interface ContextListing {
  root: string;
  /** The ignore files that were found and applied, in order. */
  ignoreFiles: string[];
  matcher: IgnoreMatcher;
  /** Everything the build copies, sorted by path (code-unit order). */
  entries: ContextEntry[];
  /** Paths left out by the ignore rules (an ignored directory counts once), for the log. */
  ignoredCount: number;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Lists what a build with context `root` copies: every file, directory and symlink that the ignore files named
 * in `ignoreFileNames` (read from the root, concatenated in order) do not exclude.
 */
export async function listContext(
  root: string,
  ignoreFileNames: readonly string[] = ['.dockerignore'],
): Promise<ContextListing> {
  const ignoreFiles: string[] = [];
  const texts: string[] = [];
  for (const name of ignoreFileNames) {
    const text = await readIfExists(join(root, name));
    if (text === undefined) continue;
    ignoreFiles.push(name);
    texts.push(text);
  }
  const matcher = new IgnoreMatcher(texts.flatMap(parseIgnoreFile));
  const entries: ContextEntry[] = [];
  let ignoredCount = 0;

  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(rel === '' ? root : join(root, rel))).sort();
    const paths = names.map((name) => (rel === '' ? name : `${rel}/${name}`));
    const stats = await Promise.all(paths.map((path) => lstat(join(root, path))));
    const below: string[] = [];
    for (const [i, path] of paths.entries()) {
      const stat = stats[i];
      if (stat === undefined) continue;
      const ignored = matcher.ignores(path);
      if (stat.isDirectory()) {
        if (ignored) {
          ignoredCount += 1;
          if (matcher.hasExclusions && matcher.mayReincludeBelow(path)) below.push(path);
          continue;
        }
        entries.push({ path, kind: 'dir', mode: stat.mode & 0o7777, size: 0 });
        below.push(path);
      } else if (ignored) {
        ignoredCount += 1;
      } else if (stat.isSymbolicLink()) {
        entries.push({
          path,
          kind: 'symlink',
          mode: stat.mode & 0o7777,
          size: 0,
          target: await readlink(join(root, path)),
        });
      } else if (stat.isFile()) {
        entries.push({ path, kind: 'file', mode: stat.mode & 0o7777, size: stat.size });
      }
      // Sockets, fifos and devices: docker refuses or skips them; they carry no image content.
    }
    await Promise.all(below.map(walk));
  };
  await walk('');
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { root, ignoreFiles, matcher, entries, ignoredCount };
}
