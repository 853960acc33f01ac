import { describe, expect, it } from '@jest/globals';
import { parseImageName } from '@hub-image-actions/image-ref';
import {
  bumpBranch,
  bumpMarker,
  bumpTrailers,
  classifyGitFailure,
  isBumpBranch,
  parsePushOutcome,
  readBumpMarker,
  readTrailers,
} from '../src/index.js';

const IMAGE = parseImageName('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image');

describe('bump branches and pull requests', () => {
  it('is named per image, readable and unique', () => {
    expect(bumpBranch(IMAGE)).toMatch(/^hub-image-bump\/base-user-image-[0-9a-f]{8}$/);
    expect(bumpBranch(IMAGE)).toBe(bumpBranch(IMAGE));
    const other = parseImageName('us-central1-docker.pkg.dev/other-project/user-images/base-user-image');
    expect(bumpBranch(other)).not.toBe(bumpBranch(IMAGE));
  });

  it('tells bump branches from others', () => {
    expect(isBumpBranch(bumpBranch(IMAGE))).toBe(true);
    expect(isBumpBranch('hub-image-bumper')).toBe(false);
    expect(isBumpBranch('update-astro-image-tag-8b48b4867330')).toBe(false);
  });

  it('reads back the trailers it writes', () => {
    expect(readTrailers(['Bump', '', ...bumpTrailers(IMAGE, '8b48b4867330')].join('\n'))).toEqual({
      image: IMAGE.full,
      tag: '8b48b4867330',
    });
  });

  it.each([
    [
      'its own marker',
      `Moves…\n\n${bumpMarker('pull-request', IMAGE, 'abc')}`,
      { image: IMAGE.full, tag: 'abc' },
    ],
    ['an update comment marker only', bumpMarker('updated', IMAGE, 'abc'), undefined],
    ['no marker', 'Bump by hand', undefined],
  ])('reads the marker of a pull request body with %s', (_what, body, found) => {
    expect(readBumpMarker(body)).toEqual(found);
  });
});

describe('git failures', () => {
  it.each([
    ['remote: Repository not found.\nfatal: repository not found', 'not-found'],
    ['fatal: unable to access: The requested URL returned error: 403', 'forbidden'],
    ['remote: Permission to a/b.git denied to reader.', 'forbidden'],
    ["fatal: could not read Username for 'http://x': terminal prompts disabled", 'unauthorized'],
    ['fatal: unable to access: Failed to connect to 127.0.0.1 port 9', 'unreachable'],
    ["fatal: couldn't find remote ref refs/heads/x", 'missing-ref'],
    ['something else', 'other'],
  ])('classifyGitFailure(%j) is %s', (stderr, kind) => {
    expect(classifyGitFailure(stderr)).toBe(kind);
  });

  it.each([
    ['*\tabc:refs/heads/b\t[new branch]\nDone\n', '', 0, 'pushed'],
    ['+\tabc:refs/heads/b\t111...222 (forced update)\nDone\n', '', 0, 'pushed'],
    ['!\tabc:refs/heads/b\t[rejected] (stale info)\nDone\n', 'error: failed to push', 1, 'moved'],
    ['!\tabc:refs/heads/b\t[remote rejected] (failed to update ref)\n', '', 1, 'moved'],
    [
      '!\tabc:refs/heads/b\t[remote rejected] (pre-receive hook declined)\n',
      'remote: protected branch\n',
      1,
      'refused',
    ],
  ])('parsePushOutcome %#', (stdout, stderr, code, status) => {
    expect(parsePushOutcome(stdout, stderr, code).status).toBe(status);
  });
});
