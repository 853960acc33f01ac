import { describe, expect, it } from '@jest/globals';
import { renderSummary, type Report } from '../src/summary.js';

const base: Report = {
  imageRef: 'reg.example/p/r/img:8b48b4867330',
  additionalTags: [],
  outcome: 'built',
  why: 'no image in the registry was built from these inputs',
  durationMs: 83_000,
  imageId: 'sha256:abc',
  size: { bytes: 3 * 1024 ** 3, layers: 14, compressed: false },
  cache: {
    images: ['reg.example/p/r/img:0be26ba905cb'],
    steps: 12,
    cachedSteps: 9,
    layers: 14,
    layersFromCache: 11,
  },
  tests: {
    outcome: 'passed',
    suites: [
      { suite: 'image-tests', passed: true, durationMs: 4200, detail: 'passed in the image', tail: [] },
    ],
  },
  versions: { repo2docker: '2026.04.0', docker: '27.0.1 (engine)', buildx: 'v0.16.0' },
  inputsHash: `sha256:${'1'.repeat(64)}`,
  tagsToPush: ['8b48b4867330', 'inputs-111111111111111111111111'],
  disk: {
    before: [{ label: 'docker', path: '/var/lib/docker', free: 20 * 1024 ** 3 }],
    after: [{ label: 'docker', path: '/var/lib/docker', free: 17 * 1024 ** 3 }],
    removals: [],
  },
  warnings: [],
};

describe('renderSummary', () => {
  it('shows the reference, the outcome and why, duration, size and layers, cache hits, tests, versions and disk', () => {
    const text = renderSummary(base);
    expect(text).toContain('### build-image: `reg.example/p/r/img:8b48b4867330`');
    expect(text).toContain('| Result | **Built**: no image in the registry was built from these inputs |');
    expect(text).toContain('| Duration | 1 min 23 s |');
    expect(text).toContain('| Size | 3.0 GiB, 14 layers |');
    expect(text).toContain(
      '| Layer cache | 11 of 14 layers taken from the cache images (base layers included); 9 of 12 build steps cached; from `reg.example/p/r/img:0be26ba905cb` |',
    );
    expect(text).toContain('| Tests | image-tests: **passed** (4.2 s), passed in the image |');
    expect(text).toContain('| Versions | repo2docker 2026.04.0, docker 27.0.1 (engine), buildx v0.16.0 |');
    expect(text).toContain('docker (`/var/lib/docker`): 20.0 GiB free before, 17.0 GiB after');
  });

  it('says why a reused image was not built or tested, with its digest and registry size', () => {
    const text = renderSummary({
      ...base,
      outcome: 'reused',
      why: "the registry's inputs-111 was built from the same inputs, so nothing was built",
      digest: 'sha256:feed',
      imageId: undefined,
      cache: undefined,
      size: { bytes: 1024 ** 3, layers: 14, compressed: true },
      tests: { outcome: 'skipped', suites: [], skippedBecause: 'the image was reused' },
    });
    expect(text).toContain(
      "| Result | **Reused** `sha256:feed`: the registry's inputs-111 was built from the same inputs",
    );
    expect(text).toContain('| Size | 1.0 GiB compressed, in the registry, 14 layers |');
    expect(text).toContain('| Tests | skipped: the image was reused |');
    expect(text).not.toContain('Layer cache');
  });

  it('shows the failing step and its last lines in a fence that the lines cannot close', () => {
    const text = renderSummary({
      ...base,
      outcome: 'failed',
      why: 'Build failed at Step 2/4 : RUN pip install x',
      failure: { title: 'Build failed at Step 2/4 : RUN pip install x', lines: ['```', 'ERROR: no x | y'] },
    });
    expect(text).toContain(
      '#### Build failed at Step 2/4 : RUN pip install x\n\n````text\n```\nERROR: no x | y\n````',
    );
  });

  it('attaches failed test output and the server log', () => {
    const text = renderSummary({
      ...base,
      tests: {
        outcome: 'failed',
        suites: [
          {
            suite: 'browser-tests',
            passed: false,
            durationMs: 3000,
            detail: 'the jupyter server did not answer',
            tail: ['E assert 1 == 2'],
            serverLog: 'starting\nhung',
          },
        ],
      },
      warnings: ['abc already exists'],
    });
    expect(text).toContain('#### browser-tests failed: last lines');
    expect(text).toContain('E assert 1 == 2');
    expect(text).toContain('<details><summary>jupyter server log</summary>');
    expect(text).toContain('> [!WARNING]\n> abc already exists');
  });
});
