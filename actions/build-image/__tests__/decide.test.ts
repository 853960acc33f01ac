import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { RegistryClient, RegistryError, type ImageSummary } from '@hub-image-actions/registry-client';
import { judgeRegistry, type Question } from '../src/decide.js';
import type { RegistryFetch, RegistryReader } from '../src/registry.js';
import { INPUTS_HASH_LABEL } from '../src/repo2docker-argv.js';

const IMAGE = 'reg.example/hub/base';
const HASH = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

function image(digestChar: string, hash: string | undefined): ImageSummary {
  return {
    digest: `sha256:${digestChar.repeat(64)}`,
    manifestDigest: `sha256:${digestChar.repeat(64)}`,
    labels: hash === undefined ? {} : { [INPUTS_HASH_LABEL]: hash },
    layers: 3,
    compressedSize: 1000,
    diffIds: [],
  };
}

const question: Question = {
  image: IMAGE,
  tag: 'abc123abc123',
  hash: HASH,
  hashTag: 'inputs-aaaa',
  forceRebuild: false,
  cacheFrom: undefined,
  candidates: [
    { tag: 'parent000000', role: 'parent commit' },
    { tag: 'abc123abc123', role: 'current tag' },
  ],
};

function reader(anonymous = false): RegistryReader {
  return {
    registry: 'reg.example',
    repository: 'hub/base',
    anonymous,
    read: async () => undefined,
    client: new RegistryClient({ registry: 'reg.example' }),
  };
}

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    log: { info: (l: string) => lines.push(l), warning: (l: string, t: string) => lines.push(`${t}: ${l}`) },
  };
}

const fetched = (f: Partial<RegistryFetch>): Promise<RegistryFetch> =>
  Promise.resolve({ byInputsTag: undefined, byTag: undefined, others: new Map(), ...f });

describe('judgeRegistry', () => {
  it('reuses the inputs tag built from the same inputs, and takes the parent as cache', async () => {
    const { log, lines } = recorder();
    const parent = image('c', OTHER);
    const view = await judgeRegistry(
      question,
      reader(),
      fetched({ byInputsTag: image('d', HASH), others: new Map([['parent000000', parent]]) }),
      log,
    );
    expect(view.decision).toMatchObject({
      reuse: true,
      tag: 'inputs-aaaa',
      digest: `sha256:${'d'.repeat(64)}`,
    });
    expect(view.cacheRefs).toEqual([`${IMAGE}:parent000000`]);
    expect(view.cache).toEqual([parent]);
    expect(view.pushHashTag).toBe(true);
    expect(lines).toContain(`Cache candidate ${IMAGE}:abc123abc123 (current tag): not in the registry`);
  });

  it('never reuses, and never pushes over, an inputs tag that holds other inputs', async () => {
    const { log, lines } = recorder();
    const view = await judgeRegistry(question, reader(), fetched({ byInputsTag: image('e', OTHER) }), log);
    expect(view.decision).toEqual({
      reuse: false,
      why: 'no image in the registry was built from these inputs',
    });
    expect(view.pushHashTag).toBe(false);
    expect(view.warnings).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('Tag with other inputs: inputs-aaaa exists'))).toBe(true);
    expect(view.cacheNoneBecause).toBe(
      "the parent commit's image (parent000000) and the current tag's image (abc123abc123) are not in the registry",
    );
  });

  it('builds without reuse or cache when the registry refuses anonymous reads, and says what to give', async () => {
    const { log } = recorder();
    const refused = Promise.reject(
      new RegistryError(
        'GET',
        'http://reg.example/v2/hub/base/manifests/x',
        401,
        'UNAUTHORIZED',
        '',
        undefined,
      ),
    );
    const view = await judgeRegistry(question, reader(true), refused, log);
    expect(view.decision).toMatchObject({ reuse: false });
    expect(view.decision.why).toMatch(
      /^the registry could not be read \(reg\.example refused anonymous reads \(401\)\)$/,
    );
    expect(view.cacheNoneBecause).toBe('the registry could not be read');
    expect(view.warnings[0]).toMatch(/^Registry not readable: .*give one of the auth inputs/);
  });

  it("lets a configuration error through: credentials Google refused are the user's to fix", async () => {
    const { log } = recorder();
    const refused = Promise.reject(new ConfigurationError('minting failed'));
    await expect(judgeRegistry(question, reader(), refused, log)).rejects.toThrow('minting failed');
  });

  it('with no registry host looks nothing up, and builds with the cache images given', async () => {
    const { log } = recorder();
    const view = await judgeRegistry(
      { ...question, image: 'hub/base', cacheFrom: ['x/y:1'] },
      undefined,
      fetched({}),
      log,
    );
    expect(view).toMatchObject({
      decision: { reuse: false, why: 'hub/base has no registry host, so nothing is looked up' },
      cacheRefs: ['x/y:1'],
      cacheNoneBecause: undefined,
      pushHashTag: true,
    });
  });

  it('with force-rebuild does not look for the inputs tag, and says so', async () => {
    const { log, lines } = recorder();
    const view = await judgeRegistry(
      { ...question, forceRebuild: true },
      reader(),
      fetched({ byTag: image('f', HASH) }),
      log,
    );
    expect(view.decision).toEqual({ reuse: false, why: 'force-rebuild is set' });
    expect(lines).toContain(`force-rebuild: not looking for ${IMAGE}:inputs-aaaa`);
  });
});
