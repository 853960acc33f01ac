import { describe, expect, it } from '@jest/globals';
import { isLocalImage, planTags, tagToPush, type LocalImage } from '../src/plan.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;

describe('planTags', () => {
  it('writes new tags, leaves tags holding the image, refuses tags holding another', () => {
    expect(
      planTags(
        [
          { tag: 'new', digest: undefined, same: false },
          { tag: 'same', digest: A, same: true },
          { tag: 'other', digest: B, same: false },
        ],
        false,
      ),
    ).toEqual({
      unchanged: ['same'],
      write: ['new'],
      conflicts: [{ tag: 'other', digest: B }],
      moved: [],
      knownDigest: A,
    });
  });

  it('moves tags holding another image with overwrite', () => {
    expect(planTags([{ tag: 'other', digest: B, same: false }], true)).toEqual({
      unchanged: [],
      write: ['other'],
      conflicts: [],
      moved: [{ tag: 'other', digest: B }],
      knownDigest: undefined,
    });
  });

  it('has nothing to write on a re-run', () => {
    const plan = planTags(
      [
        { tag: 'v1', digest: A, same: true },
        { tag: 'latest', digest: A, same: true },
      ],
      false,
    );
    expect(plan).toMatchObject({ unchanged: ['v1', 'latest'], write: [], conflicts: [], knownDigest: A });
  });

  it('treats the same image under a second manifest digest as another image: the outputs name one digest', () => {
    const plan = planTags(
      [
        { tag: 'v1', digest: A, same: true },
        { tag: 'v2', digest: C, same: true },
      ],
      false,
    );
    expect(plan).toMatchObject({ unchanged: ['v1'], conflicts: [{ tag: 'v2', digest: C }], knownDigest: A });
  });
});

describe('isLocalImage', () => {
  const repository = 'us-central1-docker.pkg.dev/p-roject/r/i';
  const local: LocalImage = {
    id: A,
    repoTags: [],
    repoDigests: [`${repository}@${C}`, `other.example/x@${B}`],
  };

  it.each([
    ['a manifest whose config is the image id (classic store)', { digest: B, configDigest: A }, true],
    [
      'a manifest whose digest is the image id (containerd store)',
      { digest: A, configDigest: undefined },
      true,
    ],
    ['a digest docker remembers for this repository', { digest: C, configDigest: undefined }, true],
    ['a digest docker remembers for another repository only', { digest: B, configDigest: undefined }, false],
    ['another image', { digest: B, configDigest: C }, false],
  ])('%s: %s', (_name, manifest, expected) => {
    expect(isLocalImage(local, repository, manifest)).toBe(expected);
  });
});

describe('tagToPush', () => {
  it('prefers a tag the local image already carries, so no local name is added', () => {
    const local: LocalImage = { id: A, repoTags: ['h/p:abc', 'h/p:latest'], repoDigests: [] };
    expect(tagToPush(['v1', 'latest'], 'h/p', local)).toBe('latest');
    expect(tagToPush(['v1', 'v2'], 'h/p', local)).toBe('v1');
    expect(tagToPush([], 'h/p', local)).toBeUndefined();
  });
});
