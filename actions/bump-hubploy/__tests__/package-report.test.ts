import { describe, expect, it } from '@jest/globals';
import { diffManifests, emptyManifest, type PackageManifest } from '@hub-image-actions/package-manifest';
import { oldTags, packagesSection } from '../src/package-report.js';
import type { BumpPlan } from '../src/plan.js';

const use = (hub: string, tag: string) => ({
  use: { hub, file: `deployments/${hub}/config/common.yaml`, line: 5, tag } as never,
  from: tag,
});

function plan(changes: Array<ReturnType<typeof use>>): BumpPlan {
  return { tag: 'bbbbbbbbbbbb', changes, current: [], kept: [], files: [], hubs: [], skipped: [] };
}

const withPip = (packages: Record<string, string>): PackageManifest => ({
  ...emptyManifest(),
  empty: false,
  pip: [
    {
      path: '/usr/lib/python3/dist-packages',
      pythonVersion: '3.11',
      packages: Object.entries(packages).map(([name, version]) => ({ name, version, installer: 'pip' })),
    },
  ],
});

describe('oldTags', () => {
  it('groups the hubs by the tag they leave; placeholders and what is no tag are not images', () => {
    expect(
      oldTags(
        plan([
          use('b', 'aaaa11112222'),
          use('a', 'aaaa11112222'),
          use('c', 'PLACEHOLDER'),
          use('d', 'placeholder'),
          use('e', 'cccc33334444'),
        ]),
      ),
    ).toEqual([
      { tag: 'aaaa11112222', hubs: ['a', 'b'] },
      { tag: 'cccc33334444', hubs: ['e'] },
    ]);
  });
});

describe('packagesSection', () => {
  it('has one part per old tag, with the diff or why there is none', () => {
    const diff = diffManifests(withPip({ numpy: '1.26.4' }), withPip({ numpy: '2.1.0' }));
    const text = packagesSection(
      'bbbbbbbbbbbb',
      [
        { tag: 'aaaa11112222', hubs: ['a', 'b'], diff },
        { tag: 'cccc33334444', hubs: ['e'], why: 'hub/base:cccc33334444 is not in the registry' },
      ],
      40_000,
    );
    expect(text).toMatch(/^### What the hubs get\n\n#### `aaaa11112222` → `bbbbbbbbbbbb`: a, b\n\n/);
    expect(text).toContain('numpy');
    expect(text).toContain(
      '#### `cccc33334444` → `bbbbbbbbbbbb`: e\n\nThe packages could not be compared: hub/base:cccc33334444 is not in the registry.',
    );
  });

  it('stays within its room however many packages change', () => {
    const many = (v: string) =>
      withPip(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`pkg${i}`, v])));
    const diff = diffManifests(many('1.0'), many('2.0'));
    const text = packagesSection('bbbbbbbbbbbb', [{ tag: 'aaaa11112222', hubs: ['a'], diff }], 20_000);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(20_000);
    expect(packagesSection('bbbbbbbbbbbb', [], 20_000)).toBe('');
  });
});
