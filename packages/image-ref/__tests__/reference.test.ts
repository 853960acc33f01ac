import { describe, expect, it } from '@jest/globals';
import {
  formatReference,
  InvalidReferenceError,
  parseImageName,
  parseReference,
  shortShaTag,
  validateDigest,
  validateTag,
} from '../src/index.js';

const SHA = 'sha256:' + 'a'.repeat(64);

describe('parseImageName', () => {
  it.each([
    [
      'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image',
      'us-central1-docker.pkg.dev',
      'cal-icor-hubs/user-images/base-user-image',
    ],
    ['127.0.0.1:5000/p/r/img', '127.0.0.1:5000', 'p/r/img'],
    ['localhost/img', 'localhost', 'img'],
    ['localhost:5000/a/b', 'localhost:5000', 'a/b'],
    ['[::1]:5000/a', '[::1]:5000', 'a'],
    ['busybox', undefined, 'busybox'],
    ['library/busybox', undefined, 'library/busybox'],
    ['ghcr.io/a/b_c.d__e-f--g', 'ghcr.io', 'a/b_c.d__e-f--g'],
  ])('accepts %s', (input, registry, path) => {
    const name = parseImageName(input);
    expect(name.registry).toBe(registry);
    expect(name.path).toBe(path);
    expect(name.full).toBe(input);
  });

  it.each([
    ['US-CENTRAL1-DOCKER.PKG.DEV/cal-icor-hubs/img', 'us-central1-docker.pkg.dev', 'cal-icor-hubs/img'],
    ['LOCALHOST:5000/a/b', 'localhost:5000', 'a/b'],
    ['Registry.Example:443/a', 'registry.example:443', 'a'],
    ['[::A]:5000/a', '[::a]:5000', 'a'],
    // Docker's rule: a first component with an upper-case letter is a host, never a path.
    ['MyHost/img', 'myhost', 'img'],
  ])('uses the host of %s in lower case', (input, registry, path) => {
    const name = parseImageName(input);
    expect(name).toEqual({ registry, path, full: `${registry}/${path}` });
    expect(parseReference(`${input}:v1`).name).toEqual(name);
  });

  it.each([
    ['', 'path', /is empty/],
    ['us-central1-docker.pkg.dev/Cal-ICOR/img', 'path', /uppercase letters.*"cal-icor"/],
    ['reg.io/a//b', 'path', /empty path component/],
    ['reg.io/a/', 'path', /empty path component/],
    ['reg.io/a/b:tag', 'tag', /without a tag/],
    ['reg.io/a/b@' + SHA, 'digest', /without "@sha256/],
    ['reg.io/a/-b', 'path', /component "-b"/],
    ['reg.io/a/b..c', 'path', /component "b\.\.c"/],
    ['reg-.io/a', 'registry', /host label "reg-"/],
    ['reg.io:99999/a', 'registry', /port 99999/],
    ['reg.io:abc/a', 'registry', /port that is not a number/],
    ['reg.io/' + 'a'.repeat(260), 'path', /at most 255/],
  ])('rejects %j, naming the %s', (input, part, message) => {
    let error: unknown;
    try {
      parseImageName(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidReferenceError);
    expect((error as InvalidReferenceError).part).toBe(part);
    expect((error as Error).message).toMatch(message);
  });
});

describe('validateTag', () => {
  it.each(['8b48b4867330', '1234e5', '_x', 'v1.2.3-rc.1', 'A'.repeat(128), 'PLACEHOLDER'])(
    'accepts %s',
    (tag) => {
      expect(validateTag(tag)).toBe(tag);
    },
  );
  it.each([
    ['', /is empty/],
    ['-x', /starts with "\." or "-"/],
    ['.x', /starts with "\." or "-"/],
    ['a/b', /only letters, digits/],
    ['a b', /only letters, digits/],
    ['a'.repeat(129), /129 characters long/],
  ])('rejects %j', (tag, message) => {
    expect(() => validateTag(tag)).toThrow(message);
  });
});

describe('validateDigest', () => {
  it('accepts sha256 and sha512', () => {
    expect(validateDigest(SHA)).toBe(SHA);
    expect(validateDigest('sha512:' + 'b'.repeat(128))).toMatch(/^sha512:/);
  });
  it.each([
    ['sha256:' + 'A'.repeat(64), /64 lowercase hex/],
    ['sha256:abc', /64 lowercase hex/],
    ['md5:abc', /must look like "sha256:"/],
    ['abc', /must look like "sha256:"/],
  ])('rejects %j', (digest, message) => {
    expect(() => validateDigest(digest)).toThrow(message);
  });
});

describe('parseReference and formatReference', () => {
  it.each([
    ['reg.io/a/b:t1', 'reg.io/a/b', 't1', undefined],
    ['reg.io:5000/a/b', 'reg.io:5000/a/b', undefined, undefined],
    ['reg.io:5000/a/b:t', 'reg.io:5000/a/b', 't', undefined],
    [`reg.io/a/b@${SHA}`, 'reg.io/a/b', undefined, SHA],
    [`reg.io/a/b:t@${SHA}`, 'reg.io/a/b', 't', SHA],
    ['busybox:latest', 'busybox', 'latest', undefined],
  ])('round-trips %s', (input, name, tag, digest) => {
    const ref = parseReference(input);
    expect(ref.name.full).toBe(name);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
    expect(formatReference(ref)).toBe(input);
  });

  it('rejects a bad tag inside a reference, naming the tag', () => {
    expect(() => parseReference('reg.io/a/b:-bad')).toThrow(/^tag "-bad"/);
  });
});

describe('shortShaTag', () => {
  it('takes the first 12 hex characters, lowercased', () => {
    expect(shortShaTag('8B48B4867330ABCDEF0123456789ABCDEF012345')).toBe('8b48b4867330');
  });
  it('refuses something that is not a commit SHA', () => {
    expect(() => shortShaTag('main')).toThrow(/hex commit SHA/);
  });
});
