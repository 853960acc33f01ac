import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the system temp dir; remove it with `removeDir`. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `hia-${prefix}-`));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Where slow-to-make things (dockerd's data, debootstrap rootfs) are kept between test runs. */
export function cacheDir(): string {
  return process.env['HIA_CACHE_DIR'] ?? join(homedir(), '.cache', 'hub-image-actions');
}
