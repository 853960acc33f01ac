import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { identify, stillRuns, type ProcessId } from './processes.js';

/**
 * Runs `work` holding an exclusive lock (a file created with O_EXCL) shared by every process on the machine. A lock
 * whose holder died is taken over; the holder is named by pid and start time, so a reused pid does not keep it.
 */
export async function withLockFile<T>(
  lockFile: string,
  { timeoutMs }: { timeoutMs: number },
  work: () => Promise<T>,
): Promise<T> {
  await mkdir(dirname(lockFile), { recursive: true });
  const me = identify(process.pid);
  const deadline = Date.now() + timeoutMs;
  let pauseMs = 20;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(lockFile);
    // A holder that died lets go; so does one that never wrote its name (killed between create and write).
    if (holder === undefined ? await olderThan(lockFile, 30_000) : !stillRuns(holder)) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${lockFile} (held by pid ${holder?.pid ?? '?'})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    pauseMs = Math.min(pauseMs * 2, 500);
  }
  try {
    return await work();
  } finally {
    await rm(lockFile, { force: true });
  }
}

async function readHolder(lockFile: string): Promise<ProcessId | undefined> {
  try {
    const holder = JSON.parse(await readFile(lockFile, 'utf8')) as Partial<ProcessId>;
    if (typeof holder.pid === 'number' && typeof holder.startTime === 'number') {
      return { pid: holder.pid, startTime: holder.startTime };
    }
  } catch {
    // being written, or gone
  }
  return undefined;
}

async function olderThan(path: string, ageMs: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ageMs;
  } catch {
    return false;
  }
}
