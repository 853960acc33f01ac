import { describe, expect, it } from '@jest/globals';
import { findInternalRefs, majorOf, parseInternalUses, rewriteInternalRefs } from '../src/internal-refs.ts';

describe('internal refs', () => {
  it.each([
    [
      'hub-image-actions/hub-image-actions/actions/build-image@v1',
      { kind: 'action', target: 'actions/build-image', ref: 'v1' },
    ],
    [
      'hub-image-actions/hub-image-actions/.github/workflows/image-main.yml@v1.2.3',
      { kind: 'workflow', target: '.github/workflows/image-main.yml', ref: 'v1.2.3' },
    ],
    ['hub-image-actions/other/actions/build-image@v1', undefined],
    ['hub-image-actions/hub-image-actions@v1', undefined],
    ['actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', undefined],
    ['./actions/build-image', undefined],
  ])('%s', (uses, expected) => {
    expect(parseInternalUses(uses)).toEqual(expected);
  });

  it.each([
    ['v1', 'v1'],
    ['v1.4.2', 'v1'],
    ['v10.0.0', 'v10'],
    ['main', undefined],
    ['v1.2', undefined],
    ['1.2.3', undefined],
  ])('the major tag of %s is %s', (ref, major) => {
    expect(majorOf(ref)).toBe(major);
  });

  const workflow = [
    'jobs:',
    '  image:',
    "    uses: 'hub-image-actions/hub-image-actions/.github/workflows/image-pr.yml@v1' # pinned by the release",
    '  build:',
    '    steps:',
    '      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2',
    '      - uses: hub-image-actions/hub-image-actions/actions/build-image@v1\r',
    '        with:',
    '          note: hub-image-actions/hub-image-actions/actions/build-image@v1',
    '',
  ].join('\n');

  it('finds the `uses:` lines that point into this repository, and nothing else', () => {
    expect(
      findInternalRefs(workflow).map((found) => [found.line, found.uses.target, found.uses.ref]),
    ).toEqual([
      [3, '.github/workflows/image-pr.yml', 'v1'],
      [7, 'actions/build-image', 'v1'],
    ]);
  });

  it('rewrites only the refs, keeping quotes, comments and line ends', () => {
    expect(rewriteInternalRefs(workflow, 'v1.3.0')).toBe(
      workflow
        .replace('image-pr.yml@v1', 'image-pr.yml@v1.3.0')
        .replace('build-image@v1\r', 'build-image@v1.3.0\r'),
    );
  });
});
