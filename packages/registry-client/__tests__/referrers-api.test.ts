import { describe, expect, it } from '@jest/globals';
import { attachArtifact, listReferrers, readArtifact, RegistryClient, sha256Digest } from '../src/index.js';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * A registry with the OCI 1.1 referrers API (distribution 2.8 here has none), as the spec describes it: PUT of a
 * manifest with `subject` answers `OCI-Subject`, GET /referrers/<digest> answers an image index (filtered when asked).
 */
function referrersRegistry(options: { filters: boolean }) {
  const blobs = new Map<string, Buffer>();
  const manifests = new Map<string, { mediaType: string; body: Buffer }>();
  const log: string[] = [];
  const fake: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const body = init?.body === undefined ? Buffer.alloc(0) : Buffer.from(init.body as Uint8Array);
    log.push(`${method} ${url.pathname}`);
    const path = url.pathname.replace(/^\/v2\/proj\/img/, '');
    let match: RegExpExecArray | null;
    if ((match = /^\/blobs\/(sha256:[0-9a-f]+)$/.exec(path))) {
      const blob = blobs.get(match[1]!);
      if (blob === undefined) return new Response(null, { status: 404 });
      return new Response(method === 'HEAD' ? null : blob, { status: 200 });
    }
    if (path === '/blobs/uploads/' && method === 'POST') {
      return new Response(null, { status: 202, headers: { location: '/v2/proj/img/blobs/uploads/1' } });
    }
    if (path === '/blobs/uploads/1' && method === 'PUT') {
      blobs.set(url.searchParams.get('digest')!, body);
      return new Response(null, { status: 201 });
    }
    if ((match = /^\/manifests\/(.+)$/.exec(path))) {
      const reference = match[1]!;
      if (method === 'PUT') {
        const digest = sha256Digest(body);
        const mediaType = new Headers(init?.headers).get('content-type') ?? '';
        manifests.set(digest, { mediaType, body });
        if (reference !== digest) manifests.set(reference, { mediaType, body });
        const subject = (JSON.parse(body.toString()) as { subject?: { digest: string } }).subject;
        const headers: Record<string, string> = { 'docker-content-digest': digest };
        if (subject) headers['oci-subject'] = subject.digest;
        return new Response(null, { status: 201, headers });
      }
      const manifest = manifests.get(reference);
      if (manifest === undefined) return new Response(null, { status: 404 });
      const headers = {
        'content-type': manifest.mediaType,
        'docker-content-digest': sha256Digest(manifest.body),
      };
      return new Response(method === 'HEAD' ? null : manifest.body, { status: 200, headers });
    }
    if ((match = /^\/referrers\/(sha256:[0-9a-f]+)$/.exec(path))) {
      const wanted = options.filters ? url.searchParams.get('artifactType') : null;
      const referrers = [...manifests]
        .filter(([key]) => key.startsWith('sha256:'))
        .map(([digest, m]) => ({ digest, m, json: JSON.parse(m.body.toString()) as Record<string, never> }))
        .filter(({ json }) => (json['subject'] as { digest?: string } | undefined)?.digest === match![1])
        .filter(({ json }) => wanted === null || json['artifactType'] === wanted)
        .map(({ digest, m, json }) => ({
          mediaType: m.mediaType,
          digest,
          size: m.body.length,
          artifactType: json['artifactType'],
        }));
      const headers: Record<string, string> = { 'content-type': OCI_INDEX };
      if (wanted !== null) headers['oci-filters-applied'] = 'artifactType';
      return new Response(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: referrers }), {
        status: 200,
        headers,
      });
    }
    return new Response(null, { status: 404 });
  };
  return { fake, log, manifests };
}

const subject = {
  digest: sha256Digest(Buffer.from('image')),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: 5,
};
const PACKAGES = 'application/vnd.hub-image-actions.packages.v1+json';

describe.each([true, false])('a registry with the referrers API (filters applied: %s)', (filters) => {
  it('stores the artifact without a referrers tag, finds it through the API, and a second write changes nothing', async () => {
    const registry = referrersRegistry({ filters });
    const client = new RegistryClient({ registry: 'registry.example', fetch: registry.fake });
    const content = Buffer.from('{"schemaVersion":1}\n');
    const first = await attachArtifact(client, 'proj/img', subject, { artifactType: PACKAGES, content });
    expect(first).toMatchObject({ written: true, via: 'referrers-api' });
    expect(registry.log.filter((line) => line.startsWith('PUT /v2/proj/img/manifests/'))).toEqual([
      `PUT /v2/proj/img/manifests/${first.digest}`,
    ]);
    await attachArtifact(client, 'proj/img', subject, {
      artifactType: 'application/vnd.example.sig',
      content: Buffer.from('s'),
    });
    registry.log.length = 0;
    expect(await attachArtifact(client, 'proj/img', subject, { artifactType: PACKAGES, content })).toEqual({
      ...first,
      written: false,
    });
    expect(registry.log.filter((line) => !line.startsWith('GET') && !line.startsWith('HEAD'))).toEqual([]);
    expect(
      (await listReferrers(client, 'proj/img', subject.digest, PACKAGES)).referrers.map((d) => d.digest),
    ).toEqual([first.digest]);
    expect(await readArtifact(client, 'proj/img', subject.digest, PACKAGES)).toEqual({
      digest: first.digest,
      content,
      via: 'referrers-api',
    });
  });
});
