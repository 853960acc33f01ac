import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from './errors.js';

export interface WorkspacePathOptions {
  /** GITHUB_WORKSPACE: the directory every path must stay in. */
  workspace: string;
  /** What a relative value starts from, e.g. the step's working directory; default the workspace. */
  from?: string;
}

/** The path with every symlink resolved; for a path that does not exist (yet), its nearest existing parent's. */
function realPath(path: string, links = 0): string {
  try {
    return realpathSync(path);
  } catch {
    // Not there, or a dangling symlink: a file written there would land where the link points.
  }
  if (links < 40) {
    try {
      if (lstatSync(path).isSymbolicLink())
        return realPath(resolve(dirname(path), readlinkSync(path)), links + 1);
    } catch {
      // not there at all
    }
  }
  const parent = dirname(path);
  return parent === path ? path : join(realPath(parent, links), basename(path));
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * The path an input names, resolved from `from`, when it stays inside the workspace once symlinks are resolved
 * (for a path that does not exist yet, those of its nearest existing parent, so a file written there stays
 * inside too). Returns the absolute path as given (symlinks not replaced). Throws an `InputError` naming the
 * input, the value, where it resolves to and the fix otherwise: `../../etc`, `/etc`, or a link out of the checkout.
 */
export function workspacePath(input: string, value: string, options: WorkspacePathOptions): string {
  const from = options.from ?? options.workspace;
  const path = resolve(from, value);
  const root = realPath(resolve(options.workspace));
  const real = realPath(path);
  if (isInside(root, real)) return path;
  throw new InputError(
    input,
    value,
    `resolves to ${real}, outside the workspace (${root})`,
    `Give a path inside the workspace${from === options.workspace ? '' : ` (relative paths start from ${from})`}, ` +
      'with no ".." or symlink that leads out of it; to use a file from elsewhere, copy it into the workspace in an earlier step',
  );
}
