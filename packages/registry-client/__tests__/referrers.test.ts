import { describe, expect, it } from '@jest/globals';
import { artifactManifest, OCI_EMPTY, referrersTag, sha256Digest } from '../src/index.js';

const subject = {
  digest: 'sha256:77d6580d3c7a21396026c7209c5e928248e6452b765a62bfd0e3e68131e03164',
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  size: 528,
};

describe('referrers', () => {
  it.each([
    [subject.digest, 'sha256-77d6580d3c7a21396026c7209c5e928248e6452b765a62bfd0e3e68131e03164'],
    [`sha512:${'a'.repeat(128)}`, `sha512-${'a'.repeat(121)}`],
  ])('the referrers tag of %s is %s', (digest, tag) => {
    expect(referrersTag(digest)).toBe(tag);
    expect(tag.length).toBeLessThanOrEqual(128);
  });

  it('the OCI empty descriptor is the `{}` blob', () => {
    expect(sha256Digest(Buffer.from('{}'))).toBe(OCI_EMPTY.digest);
  });

  it('builds the same artifact manifest for the same content (so a rewrite is a no-op), with the image as subject', () => {
    const artifact = {
      artifactType: 'application/vnd.hub-image-actions.packages.v1+json',
      content: Buffer.from('{}\n'),
    };
    const body = artifactManifest(subject, artifact);
    expect(artifactManifest(subject, artifact)).toEqual(body);
    expect(JSON.parse(body.toString())).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType: artifact.artifactType,
      config: OCI_EMPTY,
      layers: [{ mediaType: artifact.artifactType, digest: sha256Digest(artifact.content), size: 3 }],
      subject,
    });
    expect(artifactManifest(subject, { ...artifact, content: Buffer.from('{"a":1}\n') })).not.toEqual(body);
  });
});
