import { describe, expect, it } from '@jest/globals';
import {
  diffManifests,
  emptyManifest,
  renderDiffMarkdown,
  summarizeDiff,
  type ManifestDiff,
  type PackageManifest,
} from '../src/index.js';

function manifest(parts: Partial<PackageManifest>): PackageManifest {
  return { ...emptyManifest(), empty: false, ...parts };
}

const ENV = '/srv/conda/envs/notebook';
const SP = `${ENV}/lib/python3.11/site-packages`;

const before = manifest({
  runtimes: [{ name: 'python', version: '3.11.8', location: ENV }],
  conda: [
    {
      prefix: ENV,
      packages: [
        { name: 'numpy', version: '1.26.4', build: 'py311h64a7726_0', channel: 'conda-forge' },
        { name: 'pandas', version: '2.2.2', build: 'py311h_0', channel: 'conda-forge' },
        { name: 'scipy', version: '1.13.1', build: 'py311h_0', channel: 'conda-forge' },
        { name: 'openssl', version: '3.3.1', build: 'h4ab18f5_0', channel: 'conda-forge' },
        { name: 'jupyterlab', version: '4.2.5', build: 'pyhd8ed1ab_0', channel: 'conda-forge' },
      ],
    },
  ],
  pip: [
    {
      path: SP,
      pythonVersion: '3.11.8',
      packages: [{ name: 'Typing_Extensions', version: '4.12.0', installer: 'pip' }],
    },
  ],
  dpkg: [
    { name: 'libc6', version: '2.36-9+deb12u7', architecture: 'amd64' },
    { name: 'git', version: '1:2.39.2-1.1', architecture: 'amd64' },
  ],
  r: [{ path: '/usr/local/lib/R/site-library', packages: [{ name: 'ggplot2', version: '3.4.4' }] }],
  warnings: ['/x/conda-meta/bad.json: not valid JSON; skipped'],
});

const after = manifest({
  runtimes: [{ name: 'python', version: '3.12.5', location: ENV }],
  conda: [
    {
      prefix: ENV,
      packages: [
        { name: 'numpy', version: '2.0.1', build: 'py312h_0', channel: 'conda-forge' },
        { name: 'pandas', version: '2.2.2', build: 'py311h_0', channel: 'conda-forge' },
        { name: 'scipy', version: '1.13.0', build: 'py311h_0', channel: 'conda-forge' },
        { name: 'openssl', version: '3.3.1', build: 'h4ab18f5_1', channel: 'conda-forge' },
        { name: 'xarray', version: '2024.7.0', build: 'pyhd8ed1ab_0', channel: 'conda-forge' },
      ],
    },
  ],
  pip: [
    {
      path: SP,
      pythonVersion: '3.12.5',
      packages: [{ name: 'typing-extensions', version: '4.12.0.0', installer: 'pip', overConda: true }],
    },
  ],
  dpkg: [
    { name: 'libc6', version: '2.36-9+deb12u8', architecture: 'amd64' },
    { name: 'git', version: '1:2.39.2-1.1', architecture: 'amd64' },
  ],
  r: [{ path: '/usr/local/lib/R/site-library', packages: [{ name: 'ggplot2', version: '3.5.1' }] }],
});

describe('diffManifests', () => {
  it('finds added, removed, upgraded, downgraded and rebuilt packages, grouped by manager and environment', () => {
    const diff = diffManifests(before, after, {
      compressed: { before: 1_000_000_000, after: 1_100_000_000 },
      uncompressed: { before: 3_000_000_000, after: 2_900_000_000 },
    });
    expect(diff.counts).toEqual({
      added: 1,
      removed: 1,
      upgraded: 4,
      downgraded: 1,
      changed: 2,
      major: 1,
      total: 9,
    });
    expect(diff.groups).toEqual([
      {
        manager: 'runtime',
        environment: 'runtimes',
        changes: [
          { name: `python (${ENV})`, kind: 'upgraded', before: '3.11.8', after: '3.12.5', major: false },
        ],
      },
      {
        manager: 'conda',
        environment: ENV,
        changes: [
          { name: 'numpy', kind: 'upgraded', before: '1.26.4', after: '2.0.1', major: true },
          { name: 'scipy', kind: 'downgraded', before: '1.13.1', after: '1.13.0', major: false },
          { name: 'xarray', kind: 'added', after: '2024.7.0', major: false },
          { name: 'jupyterlab', kind: 'removed', before: '4.2.5', major: false },
          {
            name: 'openssl',
            kind: 'changed',
            before: '3.3.1',
            after: '3.3.1',
            major: false,
            detail: 'build h4ab18f5_0 → h4ab18f5_1',
          },
        ],
      },
      {
        manager: 'pip',
        environment: SP,
        // same version in PEP 440 (4.12.0 == 4.12.0.0) and the same name normalised: only the conda mark changed
        changes: [
          {
            name: 'typing-extensions',
            kind: 'changed',
            before: '4.12.0',
            after: '4.12.0.0',
            major: false,
            detail: 'pip over conda no → yes',
          },
        ],
      },
      {
        manager: 'dpkg',
        environment: 'dpkg',
        changes: [
          {
            name: 'libc6',
            kind: 'upgraded',
            before: '2.36-9+deb12u7',
            after: '2.36-9+deb12u8',
            major: false,
          },
        ],
      },
      {
        manager: 'r',
        environment: '/usr/local/lib/R/site-library',
        changes: [{ name: 'ggplot2', kind: 'upgraded', before: '3.4.4', after: '3.5.1', major: false }],
      },
    ]);
    expect(diff.warnings).toEqual(['before: /x/conda-meta/bad.json: not valid JSON; skipped']);
  });

  it('finds no change between a manifest and itself', () => {
    expect(diffManifests(after, after).counts.total).toBe(0);
    expect(diffManifests(after, after).groups).toEqual([]);
  });

  it('summarises a diff in one line for a log', () => {
    const diff = diffManifests(before, after, {
      compressed: { before: 1_000_000_000, after: 1_100_000_000 },
    });
    expect(summarizeDiff(diff)).toBe(
      'packages: 4 upgraded (1 major), 1 downgraded, 1 added, 1 removed, 2 rebuilt; image +95.4 MiB compressed',
    );
    expect(summarizeDiff(diffManifests(after, after))).toBe('packages: no changes');
  });
});

describe('renderDiffMarkdown', () => {
  it('puts counts first, then the size, a table per group and the major changes, each group collapsed', () => {
    const diff = diffManifests(before, after, {
      compressed: { before: 1_000_000_000, after: 1_100_000_000 },
      uncompressed: { before: 3_000_000_000, after: 2_900_000_000 },
    });
    const { markdown, omittedChanges } = renderDiffMarkdown(diff, {
      title: 'What this PR changes in the image',
    });
    expect(omittedChanges).toBe(0);
    expect(markdown).toMatch(
      /^### What this PR changes in the image\n\n\*\*9 package changes\*\*: 4 upgraded \(1 major\), 1 downgraded, 1 added, 1 removed, 2 rebuilt\n/,
    );
    expect(markdown).toContain(
      'Image size: compressed 954 MiB → 1.0 GiB, +95.4 MiB (+10.0%); uncompressed 2.8 GiB → 2.7 GiB, −95.4 MiB (−3.3%)',
    );
    expect(markdown).toContain(`| conda | <code>${ENV}</code> | 1 (1 major) | 1 | 1 | 1 | 1 |`);
    expect(markdown).toContain(
      `**Major version changes** (1):\n\n- **numpy** 1.26.4 → 2.0.1 (conda <code>${ENV}</code>)\n`,
    );
    expect(markdown).toContain(
      `<details><summary><b>conda</b> <code>${ENV}</code>: 1 upgraded (1 major), 1 downgraded, 1 added, 1 removed, 1 rebuilt</summary>`,
    );
    expect(markdown).toContain('| numpy | **upgraded (major)** | 1.26.4 | 2.0.1 |');
    expect(markdown).toContain('| openssl | rebuilt (build h4ab18f5_0 → h4ab18f5_1) | 3.3.1 | 3.3.1 |');
    expect(markdown).toContain('1 warnings while reading the images');
    expect(markdown.split('<details>').length).toBe(markdown.split('</details>').length);
  });

  it('says "No package changes." for identical images', () => {
    expect(renderDiffMarkdown(diffManifests(after, after)).markdown).toBe('No package changes.\n');
  });

  it('escapes what would break a table or inject HTML', () => {
    const evil = manifest({ r: [{ path: '/lib|<b>', packages: [{ name: 'x|<script>', version: '1' }] }] });
    const { markdown } = renderDiffMarkdown(diffManifests(emptyManifest(), evil));
    expect(markdown).not.toContain('<script>');
    expect(markdown).toContain('x\\|&lt;script&gt;');
  });

  describe('at 2,000 changes', () => {
    const big = (count: number, version: string, offset = 0): PackageManifest =>
      manifest({
        conda: [
          {
            prefix: ENV,
            packages: Array.from({ length: count }, (_, i) => ({
              name: `package-${String(i + offset).padStart(4, '0')}`,
              version: i % 10 === 0 ? version.replace(/^1/, '2') : version,
              build: 'h_0',
              channel: 'conda-forge',
            })),
          },
        ],
        dpkg: Array.from({ length: count / 2 }, (_, i) => ({
          name: `lib-${i}`,
          version: `1.${i}-1`,
          architecture: 'amd64',
        })),
      });
    const diff: ManifestDiff = diffManifests(big(1000, '1.0.0'), big(1000, '1.0.1', 500), {
      compressed: { before: 2e9, after: 2.1e9 },
    });

    it('has 2,000 changes to show', () => {
      expect(diff.counts.total).toBe(1500);
      const more = diffManifests(big(2000, '1.0.0'), big(2000, '1.0.1', 1000));
      expect(more.counts.total).toBe(3000);
    });

    it.each([
      ['a PR body', 60_000],
      ['a job summary', 1024 * 1024],
      ['a tiny limit', 3_000],
    ])('fits %s (%i bytes), says what it left out and where the full diff is', (_, maxBytes) => {
      const large = diffManifests(big(2000, '1.0.0'), big(2000, '1.0.1', 1000));
      const { markdown, omittedChanges } = renderDiffMarkdown(large, {
        maxBytes,
        fullDiffLocation: '`packages-diff.json`',
      });
      expect(Buffer.byteLength(markdown)).toBeLessThanOrEqual(maxBytes);
      expect(markdown.length).toBeLessThanOrEqual(maxBytes);
      expect(markdown).toMatch(/^\*\*3,000 package changes\*\*/);
      const rows = markdown.split('\n').filter((line) => /^\| package-|^\| lib-/.test(line)).length;
      expect(rows + omittedChanges).toBe(3000);
      if (omittedChanges > 0) {
        expect(markdown).toContain(`${omittedChanges.toLocaleString('en-US')} changes are not listed here`);
        expect(markdown).toContain('The full diff is in `packages-diff.json`.');
      }
      expect(omittedChanges > 0).toBe(maxBytes < 1024 * 1024);
      expect(markdown.split('<details>').length).toBe(markdown.split('</details>').length);
    });
  });
});
