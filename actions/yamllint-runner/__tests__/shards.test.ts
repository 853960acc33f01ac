import { describe, expect, it } from '@jest/globals';
import { planShards, type ShardFile } from '../src/shards.js';

function files(count: number, bytes: (index: number) => number = () => 1000): ShardFile<string>[] {
  return Array.from({ length: count }, (_, index) => ({
    path: `./dir/file-${index}.yaml`,
    bytes: bytes(index),
  }));
}

describe('planShards', () => {
  it('keeps the file order: the shards concatenated are the list', () => {
    const list = files(500, (i) => (i * 7919) % 5000);
    for (const jobs of [1, 2, 3, 8]) {
      expect(planShards(list, { jobs }).flat()).toEqual(list.map((file) => file.path));
    }
  });

  it('makes one shard for one job, and none for no files', () => {
    expect(planShards(files(500), { jobs: 1 })).toHaveLength(1);
    expect(planShards([], { jobs: 4 })).toEqual([]);
  });

  it('makes a few shards per process, but not for a handful of files', () => {
    expect(planShards(files(2000), { jobs: 2 })).toHaveLength(6);
    expect(planShards(files(2000), { jobs: 2, shardsPerJob: 1 })).toHaveLength(2);
    expect(planShards(files(60), { jobs: 8 })).toHaveLength(1);
    expect(planShards(files(100), { jobs: 8 })).toHaveLength(2);
  });

  it('balances shards by bytes, not by file count', () => {
    // The first 100 files are ten times larger than the other 900: by count a half is 500 files, by work about 200.
    const list = files(1000, (i) => (i < 100 ? 10_000 : 1_000));
    const [first, second] = planShards(list, { jobs: 2, shardsPerJob: 1 });
    expect(first?.length).toBeGreaterThan(150);
    expect(first?.length).toBeLessThan(250);
    expect(second?.length).toBe(1000 - (first?.length ?? 0));
  });
});
