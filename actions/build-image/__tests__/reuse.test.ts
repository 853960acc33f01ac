import { describe, expect, it } from '@jest/globals';
import type { ImageSummary } from '@hub-image-actions/registry-client';
import { INPUTS_HASH_LABEL } from '../src/repo2docker-argv.js';
import {
  cacheCandidates,
  decideReuse,
  judge,
  layersFromCache,
  tagWarnings,
  type Lookups,
} from '../src/reuse.js';

const HASH = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;

function image(digest: string, hash: string | undefined): ImageSummary {
  return {
    digest,
    manifestDigest: digest,
    labels: hash === undefined ? {} : { [INPUTS_HASH_LABEL]: hash },
    layers: 3,
    compressedSize: 100,
    diffIds: [],
  };
}

function lookups(byInputsTag: ImageSummary | undefined, byTag: ImageSummary | undefined): Lookups {
  return {
    inputsTag: 'inputs-111',
    byInputsTag: judge(byInputsTag, HASH),
    tag: 'abc',
    byTag: judge(byTag, HASH),
  };
}

describe('decideReuse', () => {
  it('reuses the image under the inputs tag when its label carries the exact hash', () => {
    const decision = decideReuse(lookups(image('sha256:aa', HASH), undefined), false);
    expect(decision).toMatchObject({ reuse: true, digest: 'sha256:aa', tag: 'inputs-111' });
  });

  it('reuses the current tag when it already holds an image with these inputs (a re-run)', () => {
    expect(decideReuse(lookups(undefined, image('sha256:bb', HASH)), false)).toMatchObject({
      reuse: true,
      digest: 'sha256:bb',
      tag: 'abc',
    });
  });

  it.each([
    ['nothing exists', undefined, undefined],
    [
      'the inputs tag holds another hash (a clash or a hand-pushed tag)',
      image('sha256:aa', OTHER),
      undefined,
    ],
    ['the inputs tag holds an image without the label', image('sha256:aa', undefined), undefined],
    ['the current tag holds other inputs', undefined, image('sha256:bb', OTHER)],
  ])('builds when %s', (_name, byInputsTag, byTag) => {
    expect(decideReuse(lookups(byInputsTag, byTag), false)).toMatchObject({ reuse: false });
  });

  it('builds when force-rebuild is set, whatever the registry holds', () => {
    expect(decideReuse(lookups(image('sha256:aa', HASH), image('sha256:aa', HASH)), true)).toEqual({
      reuse: false,
      why: 'force-rebuild is set',
    });
  });
});

describe('tagWarnings', () => {
  it('warns about an inputs tag with another image, and a current tag the push would have to move', () => {
    const warnings = tagWarnings(lookups(image('sha256:aa', OTHER), image('sha256:bb', undefined)));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/inputs-111 exists .* inputs hash 222222222222, not this one/);
    expect(warnings[1]).toMatch(
      /abc already exists in the registry \(sha256:bb\) with other inputs \(hash none\).*overwrite/,
    );
    expect(tagWarnings(lookups(image('sha256:aa', HASH), undefined))).toEqual([]);
  });
});

describe('cacheCandidates', () => {
  it('is the parent commit, then the current tag', () => {
    expect(cacheCandidates('cur', 'par')).toEqual([
      { tag: 'par', role: 'parent commit' },
      { tag: 'cur', role: 'current tag' },
    ]);
    expect(cacheCandidates('cur', undefined)).toEqual([{ tag: 'cur', role: 'current tag' }]);
    expect(cacheCandidates('cur', 'cur')).toEqual([{ tag: 'cur', role: 'current tag' }]);
  });
});

describe('layersFromCache', () => {
  it('counts the built layers any cache image already had', () => {
    expect(
      layersFromCache(
        ['a', 'b', 'c', 'd'],
        [
          ['a', 'b'],
          ['a', 'x', 'c'],
        ],
      ),
    ).toBe(3);
    expect(layersFromCache(['a'], [])).toBe(0);
  });
});
