import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { seedTags } from '@hub-image-actions/local-world/registry-seed';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { listTags, RegistryClient } from '../src/index.js';

jest.setTimeout(60_000);

let registry: TestRegistry;
const REPO = 'proj/images/many-tags';
const TAGS = Array.from({ length: 230 }, (_, i) => `${i.toString(16).padStart(12, '0')}`);

beforeAll(async () => {
  registry = await TestRegistry.start();
  await seedTags(registry, REPO, TAGS);
});

afterAll(async () => {
  await registry?.stop();
});

describe('listTags against distribution 2.8', () => {
  const client = () =>
    new RegistryClient({ registry: registry.host, credentials: async () => registry.admin });

  // distribution 2.8 ignores `n` on tags/list (its pagination came with distribution 3) and answers every tag at
  // once, without a Link: the listing takes them all from that one page. Following Links is in tags.test.ts.
  it('lists every tag of a registry that answers them all at once, whatever n asks', async () => {
    const listing = await listTags(client(), REPO, { pageSize: 100 });
    expect(listing.found && [...listing.tags].sort()).toEqual([...TAGS].sort());
    expect(listing.pages).toBe(1);
  });

  it('says the repository is unknown for a name never pushed to', async () => {
    expect(await listTags(client(), 'proj/images/never')).toEqual({ found: false, pages: 1 });
  });

  it('fails on a refused credential like every other call', async () => {
    const refused = new RegistryClient({
      registry: registry.host,
      credentials: async () => ({ username: 'admin', password: 'wrong' }),
    });
    await expect(listTags(refused, REPO)).rejects.toMatchObject({ status: 401 });
  });
});
