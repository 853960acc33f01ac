import { describe, expect, it } from '@jest/globals';
import {
  findImageUses,
  formatPath,
  hubOf,
  legacyOnlyReferences,
  mentionsImage,
  sameImage,
  scanFile,
  selectFiles,
} from '../src/index.js';

const IMAGE = 'reg.example/proj/user-images/base';

function search(files: Record<string, string | Buffer>) {
  return findImageUses(
    Object.entries(files).map(([path, text]) => scanFile(path, text)),
    IMAGE,
  );
}

describe('findImageUses', () => {
  it.each([
    ['a name/tag mapping', `image:\n  name: ${IMAGE}\n  tag: abc\n`, ['image.tag']],
    ['a flow mapping', `image: {name: ${IMAGE}, tag: abc}\n`, ['image.tag']],
    ['an inline string', `profiles:\n  - image: ${IMAGE}:abc\n`, ['profiles[0].image']],
    ['a quoted inline string', `x: '${IMAGE}:abc'\n`, ['x']],
    ['a legacy images list', `images:\n  images:\n    - name: ${IMAGE}:abc\n`, ['images.images[0].name']],
    ['a legacy image_name', `images:\n  image_name: ${IMAGE}:abc\n`, ['images.image_name']],
    ['a near-miss name', `image:\n  name: ${IMAGE}-gpu\n  tag: abc\n`, []],
    ['a near-miss inline', `image: ${IMAGE}-gpu:abc\n`, []],
    ['a longer path', `image: ${IMAGE}/sub:abc\n`, []],
    ['a name without tag', `image:\n  name: ${IMAGE}\n`, []],
    ['an inline name without tag', `image: ${IMAGE}\n`, []],
    ['a mapping key', `${IMAGE}:abc: 1\n`, []],
  ])('finds %s', (_what, text, paths) => {
    const result = search({ 'deployments/h/config/common.yaml': text });
    expect(result.unsafe).toEqual([]);
    expect(result.uses.map((use) => formatPath(use.path))).toEqual(paths);
  });

  it('reads the tag as written, not as YAML resolves it', () => {
    const result = search({ 'c.yaml': `i:\n  name: ${IMAGE}\n  tag: 1234e5\n` });
    expect(result.uses[0]?.tag).toBe('1234e5');
  });

  it('counts PLACEHOLDER and placeholder tags as references', () => {
    const result = search({
      'a.yaml': `i:\n  name: ${IMAGE}\n  tag: PLACEHOLDER\n`,
      'b.yaml': `i: ${IMAGE}:placeholder\n`,
    });
    expect(result.uses.map((use) => use.tag)).toEqual(['PLACEHOLDER', 'placeholder']);
  });

  it('reports a digest-pinned reference without an editable spot', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const result = search({ 'a.yaml': `i: ${IMAGE}:abc@${digest}\n` });
    expect(result.uses).toHaveLength(1);
    expect(result.uses[0]?.digest).toBe(digest);
    expect(result.uses[0]?.spot).toBeUndefined();
  });

  it('resolves a tag-only override through the hub common.yaml', () => {
    const result = search({
      'deployments/h/config/common.yaml': `j:\n  image:\n    name: ${IMAGE}\n    tag: a\n`,
      'deployments/h/config/staging.yaml': 'j:\n  image:\n    tag: b\n',
      'deployments/other/config/staging.yaml': 'j:\n  image:\n    tag: c\n',
    });
    expect(result.uses.map((use) => [use.file, use.kind, use.tag])).toEqual([
      ['deployments/h/config/common.yaml', 'name-and-tag', 'a'],
      ['deployments/h/config/staging.yaml', 'tag-override', 'b'],
    ]);
  });

  it('ignores a tag-only override when common.yaml names another image there', () => {
    const result = search({
      'deployments/h/config/common.yaml': `j:\n  image:\n    name: ${IMAGE}-gpu\n    tag: a\n`,
      'deployments/h/config/staging.yaml': 'j:\n  image:\n    tag: b\n',
      'deployments/h/config/prod.yaml': `j:\n  image:\n    name: ${IMAGE}\n    tag: c\n`,
    });
    expect(result.uses.map((use) => use.file)).toEqual(['deployments/h/config/prod.yaml']);
  });

  it('refuses a tag-only override whose name the hub files set differently (no common.yaml)', () => {
    const result = search({
      'deployments/h/config/a.yaml': `j:\n  image:\n    name: ${IMAGE}-gpu\n    tag: a\n`,
      'deployments/h/config/b.yaml': `j:\n  image:\n    name: ${IMAGE}\n    tag: a\n`,
      'deployments/h/config/staging.yaml': 'j:\n  image:\n    tag: b\n',
    });
    expect(result.unsafe.map((p) => p.file)).toEqual(['deployments/h/config/staging.yaml']);
  });
});

describe('findImageUses refuses what it cannot edit safely', () => {
  it.each([
    ['duplicate keys', `i:\n  name: ${IMAGE}\n  tag: a\n  tag: b\n`, /has a duplicate key at line 4/],
    ['invalid YAML', `i:\n  name: ${IMAGE}\n  tag: [a\n`, /is not valid YAML/],
    ['an alias to the mapping', `base: &b\n  name: ${IMAGE}\n  tag: a\nother: *b\n`, /through an alias/],
    [
      'a merge key',
      `base: &b\n  name: ${IMAGE}\n  tag: a\nother:\n  <<: *b\n`,
      /through an alias or merge key/,
    ],
    ['an aliased name', `n: &n ${IMAGE}\ni:\n  name: *n\n  tag: a\n`, /through an alias/],
    ['an anchored tag reused', `i:\n  name: ${IMAGE}\n  tag: &t a\nj: *t\n`, /anchored \(&t\) and reused/],
    ['an alias as tag', `t: &t a\ni:\n  name: ${IMAGE}\n  tag: *t\n`, /is the alias \*t/],
    ['an inline reference through an alias', `x: &x ${IMAGE}:a\ny: *x\n`, /anchored|alias/],
    ['two documents', `i: ${IMAGE}:a\n---\ni: ${IMAGE}:b\n`, /in 2 of its 2 YAML documents/],
    ['an empty tag', `i:\n  name: ${IMAGE}\n  tag:\n`, /has no value/],
    ['a block scalar tag', `i:\n  name: ${IMAGE}\n  tag: |\n    a\n`, /block scalar/],
    ['an escaped double-quoted tag', `i:\n  name: ${IMAGE}\n  tag: "\\x61"\n`, /escapes/],
    ['an inline reference split over lines', `i: "${IMAGE}:\\\n  abc"\n`, /double-quoted with escapes/],
    ['a file that is not UTF-8', Buffer.from([0x69, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), /UTF-8/],
  ])('refuses %s', (_what, text, reason) => {
    const result = search({ 'deployments/h/config/common.yaml': text });
    if (typeof text === 'string' && !/UTF-8/.test(String(reason)))
      expect(mentionsImage(text, IMAGE)).toBe(true);
    if (/UTF-8/.test(String(reason))) {
      expect(result.unreadable.map((p) => p.reason)).toEqual([expect.stringMatching(reason)]);
      return;
    }
    expect(result.uses).toEqual([]);
    expect(result.unsafe.length).toBeGreaterThan(0);
    for (const problem of result.unsafe) expect(problem.file).toBe('deployments/h/config/common.yaml');
    expect(result.unsafe.map((p) => p.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(reason)]),
    );
  });

  it('accepts several documents when only one references the image', () => {
    const result = search({ 'a.yaml': `i: ${IMAGE}:a\n---\nj: other\n` });
    expect(result.unsafe).toEqual([]);
    expect(result.uses).toHaveLength(1);
  });

  it('only warns about an unparsable file that neither mentions the image nor belongs to a hub using it', () => {
    const result = search({
      'deployments/h/config/common.yaml': `i: ${IMAGE}:a\n`,
      'deployments/h/config/staging.yaml': 'i: [\n',
      'deployments/x/config/common.yaml': `i: ${IMAGE}-gpu:a\n  bad: [\n`,
    });
    expect(result.unsafe.map((p) => p.file)).toEqual(['deployments/h/config/staging.yaml']);
    expect(result.unreadable.map((p) => p.file)).toEqual(['deployments/x/config/common.yaml']);
  });
});

describe('names, hubs and file selection', () => {
  it.each([
    [`x ${IMAGE}:a`, true],
    [`x ${IMAGE}\n`, true],
    [`"${IMAGE}"`, true],
    [`x ${IMAGE}-gpu:a`, false],
    [`x ${IMAGE}/sub`, false],
    [`x pre${IMAGE}`, false],
  ])('mentionsImage(%j) is %s', (text, expected) => {
    expect(mentionsImage(text, IMAGE)).toBe(expected);
  });

  it.each([
    ['deployments/astro/config/common.yaml', 'astro'],
    ['deployments/dev/hubploy.yaml', 'dev'],
    ['deployments/x.yaml', undefined],
    ['other/astro/config/common.yaml', undefined],
  ])('hubOf(%s) is %s', (path, hub) => {
    expect(hubOf(path)).toBe(hub);
  });

  it('selects included files minus excluded ones, sorted', () => {
    const paths = [
      'deployments/b/config/common.yaml',
      'deployments/a/config/staging.yaml',
      'deployments/a/hubploy.yaml',
      'deployments/a/secrets/staging.yaml',
      'deployments/template/config/common.yaml',
      'deployments/a/config/nested/x.yaml',
      'README.md',
    ];
    expect(
      selectFiles(paths, {
        include: ['deployments/*/config/*.yaml', 'deployments/*/hubploy.yaml'],
        exclude: ['deployments/template/**'],
      }),
    ).toEqual([
      'deployments/a/config/staging.yaml',
      'deployments/a/hubploy.yaml',
      'deployments/b/config/common.yaml',
    ]);
  });
});

describe('where an alias refusal points', () => {
  it.each([
    ['an alias to the mapping', `base: &b\n  name: ${IMAGE}\n  tag: a\n\n\n\n\nother: *b\n`, 8],
    ['a merge key', `base: &b\n  name: ${IMAGE}\n  tag: a\nother:\n  <<: *b\n`, 5],
    ['an aliased name', `n: &n ${IMAGE}\ni:\n  name: *n\n  tag: a\n`, 3],
    ['an inline reference through an alias', `x: &x ${IMAGE}:a\ny: *x\n`, 2],
  ])('cites the line of the alias, not of the anchor: %s', (_what, text, line) => {
    const result = search({ 'deployments/h/config/common.yaml': text });
    const viaAlias = result.unsafe.filter((p) => /through an alias/.test(p.reason));
    expect(viaAlias.map((p) => p.line)).toEqual([line]);
  });
});

describe('registry hosts are case-insensitive', () => {
  it.each([
    ['reg.example/proj/user-images/base', 'REG.EXAMPLE/proj/user-images/base', true],
    ['US-CENTRAL1-DOCKER.PKG.DEV/p/r/i', 'us-central1-docker.pkg.dev/p/r/i', true],
    ['localhost:5000/a/b', 'LOCALHOST:5000/a/b', true],
    ['reg.example/proj/base', 'reg.example/Proj/base', false],
    ['reg.example/proj/base', 'reg.example/proj/base-gpu', false],
    ['proj/base', 'PROJ/base', false],
  ])('sameImage(%s, %s) is %s', (a, b, same) => {
    expect(sameImage(a, b)).toBe(same);
    expect(sameImage(b, a)).toBe(same);
  });

  it('finds name/tag and inline references whose host is written in another case', () => {
    const upper = IMAGE.replace('reg.example', 'REG.Example');
    const result = search({
      'deployments/a/config/common.yaml': `i:\n  name: ${upper}\n  tag: one\n`,
      'deployments/b/config/common.yaml': `p:\n  - image: ${upper}:two\n`,
    });
    expect(result.uses.map((use) => [use.hub, use.tag])).toEqual([
      ['a', 'one'],
      ['b', 'two'],
    ]);
  });
});

describe('legacy hubploy.yaml images: stanzas', () => {
  const legacy = (files: Record<string, string>) => legacyOnlyReferences(search(files).uses);
  const hubploy = `images:\n  images:\n    - name: ${IMAGE}:one\ncluster:\n  provider: gcloud\n`;
  const helm = `jupyterhub:\n  singleuser:\n    image:\n      name: ${IMAGE}\n      tag: one\n`;
  it.each([
    [
      'a hub whose image is set only in hubploy.yaml',
      { 'deployments/a/hubploy.yaml': hubploy },
      ['deployments/a/hubploy.yaml:3'],
    ],
    [
      'the image_name shape',
      { 'deployments/b/hubploy.yaml': `images:\n  image_name: ${IMAGE}:one\n` },
      ['deployments/b/hubploy.yaml:2'],
    ],
    [
      'a hub that also sets it in its helm values',
      { 'deployments/a/hubploy.yaml': hubploy, 'deployments/a/config/common.yaml': helm },
      [],
    ],
    [
      'one hub of two',
      {
        'deployments/a/hubploy.yaml': hubploy,
        'deployments/b/hubploy.yaml': hubploy,
        'deployments/b/config/prod.yaml': helm,
      },
      ['deployments/a/hubploy.yaml:3'],
    ],
    ['a helm values file only', { 'deployments/a/config/common.yaml': helm }, []],
    [
      'an image outside the images: stanza of hubploy.yaml',
      { 'deployments/a/hubploy.yaml': `other:\n  image: ${IMAGE}:one\n` },
      [],
    ],
  ])('%s', (_what, files, found) => {
    expect(legacy(files).map((ref) => `${ref.file}:${ref.line}`)).toEqual(found);
  });
});
