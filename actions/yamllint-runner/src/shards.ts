/**
 * How the file list is split across yamllint processes. Pure.
 *
 * Shards are contiguous runs of the list, so concatenating their outputs in shard order gives exactly the
 * output of one yamllint process over the whole list. There are a few more shards than processes (a pool
 * takes the next shard as a process finishes), so a slow shard or a busy core does not leave the others
 * idle; shards are cut by bytes, since yamllint's time follows the size of a file more than its count.
 */

export interface ShardFile<Name = Buffer> {
  path: Name;
  bytes: number;
}

export interface ShardLimits {
  /** Concurrent processes. */
  jobs: number;
  /** Shards per process when there is enough work. Default 3. */
  shardsPerJob?: number;
  /** Below this many files per shard, starting another Python process (about 0.1 s) costs more than it saves. Default 50. */
  minFilesPerShard?: number;
}

export function planShards<Name>(files: readonly ShardFile<Name>[], limits: ShardLimits): Name[][] {
  if (files.length === 0) return [];
  const minFiles = limits.minFilesPerShard ?? 50;
  const wanted = limits.jobs <= 1 ? 1 : limits.jobs * (limits.shardsPerJob ?? 3);
  const count = Math.max(1, Math.min(wanted, Math.floor(files.length / minFiles)));

  // Each file weighs its size plus a fixed cost (opening it, the per-file work), so empty files still count.
  const weight = (file: ShardFile<Name>): number => file.bytes + 512;
  const total = files.reduce((sum, file) => sum + weight(file), 0);
  const shards: Name[][] = [];
  let current: Name[] = [];
  let done = 0;
  for (const file of files) {
    const boundary = (total * (shards.length + 1)) / count;
    if (current.length > 0 && shards.length < count - 1 && done >= boundary) {
      shards.push(current);
      current = [];
    }
    current.push(file.path);
    done += weight(file);
  }
  shards.push(current);
  return shards;
}
