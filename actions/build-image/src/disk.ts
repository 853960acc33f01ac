// Free disk space: measured with statfs, and made by removing the big toolchains GitHub's runners carry.
// Never `docker system prune`: the engine's images are the layer cache and may belong to other steps.
import { rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '@actions/io/lib/io-util';
import type { ProcessRunner } from '@hub-image-actions/process';

/** Preinstalled toolchains on GitHub's Ubuntu runners that image builds never need (browsers are kept). */
export const TOOLCHAIN_DIRS = [
  '/usr/share/dotnet',
  '/usr/local/lib/android',
  '/opt/ghc',
  '/usr/local/.ghcup',
  '/opt/hostedtoolcache/CodeQL',
  '/usr/local/share/boost',
  '/usr/share/swift',
  '/usr/local/share/powershell',
];

export async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const stats = await statfs(path);
    return stats.bavail * stats.bsize;
  } catch {
    return undefined;
  }
}

export interface DiskPlace {
  label: string;
  path: string;
}

export interface DiskReading {
  label: string;
  path: string;
  free: number | undefined;
}

export async function readDisk(places: readonly DiskPlace[]): Promise<DiskReading[]> {
  return Promise.all(places.map(async (place) => ({ ...place, free: await freeBytes(place.path) })));
}

export interface Removal {
  path: string;
  removed: boolean;
  problem?: string;
}

/**
 * Removes the toolchain folders that exist. `root` prefixes every path (tests point it at a scratch directory).
 * As root they are removed directly; otherwise through passwordless sudo, as on GitHub's runners.
 */
export async function removeToolchains(runner: ProcessRunner, root: string): Promise<Removal[]> {
  const removals: Removal[] = [];
  const asRoot = process.getuid?.() === 0;
  for (const dir of TOOLCHAIN_DIRS) {
    const path = root === '/' ? dir : join(root, dir);
    if (!(await exists(path))) continue;
    if (asRoot) {
      try {
        await rm(path, { recursive: true, force: true });
        removals.push({ path, removed: true });
      } catch (error) {
        removals.push({ path, removed: false, problem: (error as Error).message });
      }
      continue;
    }
    const result = await runner.run('sudo', ['-n', 'rm', '-rf', '--one-file-system', '--', path]);
    removals.push(
      result.exitCode === 0
        ? { path, removed: true }
        : { path, removed: false, problem: result.stderr.trim() || `sudo exited ${result.exitCode}` },
    );
  }
  return removals;
}
