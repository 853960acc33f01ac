import { describe, expect, it } from '@jest/globals';
import { manifestContent } from '../src/index.js';

describe('manifestContent', () => {
  it('reads a single image manifest and an index', () => {
    const image = {
      schemaVersion: 2,
      config: { digest: 'sha256:c', size: 1 },
      layers: [{ digest: 'sha256:l', size: 2 }],
    };
    expect(manifestContent({ body: Buffer.from(JSON.stringify(image)) })).toEqual(image);
    const index = {
      schemaVersion: 2,
      manifests: [{ digest: 'sha256:m', platform: { os: 'linux', architecture: 'amd64' } }],
    };
    expect(manifestContent({ body: Buffer.from(JSON.stringify(index)) })?.config).toBeUndefined();
  });

  it('gives undefined for what is not a JSON object', () => {
    expect(manifestContent({ body: Buffer.from('not json') })).toBeUndefined();
    expect(manifestContent({ body: Buffer.from('[1]') })).toBeUndefined();
    expect(manifestContent({ body: Buffer.from('null') })).toBeUndefined();
  });
});
