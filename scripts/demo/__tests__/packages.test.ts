import { describe, expect, it } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUBS_GET_HEADING, previousImage, sectionOf } from '../packages.ts';

describe('sectionOf', () => {
  const body = [
    '## Bump',
    'text',
    HUBS_GET_HEADING,
    '#### `a` → `b`: astro',
    'numpy 1 → 2',
    '### Commits',
    'more',
  ].join('\n');

  it.each([
    [HUBS_GET_HEADING, `${HUBS_GET_HEADING}\n#### \`a\` → \`b\`: astro\nnumpy 1 → 2`],
    ['### Commits', '### Commits\nmore'],
    ['### Missing', undefined],
  ])('%s', (heading, section) => {
    expect(sectionOf(body, heading)).toBe(section);
  });
});

describe('previousImage', () => {
  it.each([
    [{ image: { ref: '127.0.0.1:5000/p/r/i:abc', digest: 'sha256:1' } }, '127.0.0.1:5000/p/r/i@sha256:1'],
    [{ image: { ref: '', digest: '' } }, undefined],
    ['not json', undefined],
  ])('%j', async (saved, expected) => {
    const dir = await mkdtemp(join(tmpdir(), 'hia-demo-prev-'));
    await writeFile(join(dir, 'result.json'), typeof saved === 'string' ? saved : JSON.stringify(saved));
    expect(await previousImage(dir)).toBe(expected);
  });

  it('is undefined on a first run', async () => {
    expect(await previousImage(await mkdtemp(join(tmpdir(), 'hia-demo-prev-')))).toBeUndefined();
  });
});
