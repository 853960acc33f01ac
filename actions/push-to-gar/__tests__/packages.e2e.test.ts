// The package manifest stored with the pushed image (an OCI artifact found through the referrers tag: the harness
// registry has no referrers API), once only; the diff build-image handed over in the summary; a registry that
// refuses the artifact; and inputs that name no manifest, checked before anything is written.
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  diffManifests,
  emptyManifest,
  PACKAGE_MANIFEST_ARTIFACT_TYPE,
  serializeManifest,
  storedManifestOf,
  type PackageManifest,
} from '@hub-image-actions/package-manifest';
import { listReferrers, referrersTag, RegistryClient } from '@hub-image-actions/registry-client';
import { buildImage, push, requests, uniqueRepository, useServices, type Services } from './helpers.js';

jest.setTimeout(120_000);

let s: Services;
useServices((started) => (s = started));
afterEach(() => {
  s.proxy.clearRules();
  s.proxy.clearLog();
});

function manifestWith(numpy: string, extra: string[] = []): PackageManifest {
  const record = (name: string, version: string) => ({
    name,
    version,
    build: 'py311_0',
    channel: 'conda-forge',
  });
  return {
    ...emptyManifest(),
    empty: false,
    conda: [
      {
        prefix: '/srv/conda/envs/notebook',
        packages: [record('numpy', numpy), ...extra.map((name) => record(name, '1.0.0'))],
      },
    ],
  };
}

const BEFORE = manifestWith('1.26.4');
const AFTER = manifestWith('2.1.0', ['pandas']);

/** A workspace holding build-image's two files, as a workflow hands them over. */
async function files(): Promise<{ workspace: string; manifest: string; diff: string }> {
  const workspace = await mkdtemp(join(tmpdir(), 'hia-push-packages-'));
  const manifest = join(workspace, 'package-manifest.json');
  const diff = join(workspace, 'packages-diff.json');
  await writeFile(manifest, serializeManifest(AFTER));
  await writeFile(
    diff,
    JSON.stringify({ ...diffManifests(BEFORE, AFTER), against: "the parent commit's image (0123456789ab)" }),
  );
  return { workspace, manifest, diff };
}

function registryClient(): RegistryClient {
  return new RegistryClient({ registry: s.registry.host, credentials: async () => s.registry.admin });
}

async function pushWith(
  label: string,
  extra: Record<string, string>,
  options: { repository?: string; source?: Record<string, string>; workspace?: string } = {},
) {
  const repository = options.repository ?? uniqueRepository(label);
  const given = await files();
  const source = options.source ?? { source: (await buildImage(label)).ref };
  const run = await push({
    workspace: options.workspace ?? given.workspace,
    inputs: {
      image: `${s.proxy.host}/${repository}`,
      tags: 'v1',
      'credentials-json': s.google.serviceAccountKey().json,
      'package-manifest': given.manifest,
      'packages-diff': given.diff,
      ...source,
      ...extra,
    },
  });
  return { run, repository, given };
}

describe('the package manifest stored with the image', () => {
  it('is stored once, read back through the referrers tag, and the summary shows the diff it was given', async () => {
    const { run, repository } = await pushWith('store', {});
    expect(run.exitCode).toBe(0);
    const digest = run.outputs['digest'] ?? '';
    const artifact = run.outputs['package-manifest-artifact'] ?? '';
    expect(artifact).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.log).toContain(`stored as ${artifact}, found through the referrers tag of ${digest}`);

    const client = registryClient();
    const read = await storedManifestOf(client, repository, 'v1');
    expect(read).toMatchObject({ found: true, source: 'stored', imageDigest: digest, manifest: AFTER });
    expect(await s.registry.tags(repository)).toEqual(expect.arrayContaining(['v1', referrersTag(digest)]));

    expect(run.summary).toContain(
      `Package manifest: stored as ${artifact}, found through the referrers tag of ${digest}.`,
    );
    expect(run.summary).toContain(
      "What this push changes in the image, against the parent commit's image (0123456789ab)",
    );
    expect(run.summary).toMatch(/numpy.*1\.26\.4.*2\.1\.0/);
    expect(run.summary).toContain('pandas');

    // A re-run, and a new tag from the digest, find it there and write nothing more.
    const again = await pushWith('store', {}, { repository, source: { 'source-digest': digest } });
    expect(again.run.exitCode).toBe(0);
    expect(again.run.outputs['package-manifest-artifact']).toBe(artifact);
    expect(again.run.log).toContain(`already stored as ${artifact} (nothing written)`);
    const retag = await pushWith(
      'store',
      { tags: 'v2' },
      { repository, source: { 'source-digest': digest } },
    );
    expect(retag.run.exitCode).toBe(0);
    expect(retag.run.log).toContain(`already stored as ${artifact} (nothing written)`);
    const listed = await listReferrers(client, repository, digest, PACKAGE_MANIFEST_ARTIFACT_TYPE);
    expect(listed).toEqual({ via: 'tag-schema', referrers: [expect.objectContaining({ digest: artifact })] });
  });

  it('warns and still pushes when the registry refuses the referrers tag', async () => {
    s.proxy.addRule({ method: 'PUT', path: /\/manifests\/sha256-/, action: { status: 403 } });
    const { run, repository } = await pushWith('refused', {});
    expect(run.exitCode).toBe(0);
    expect(run.outputs['package-manifest-artifact']).toBe('');
    expect(run.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: expect.stringMatching(
          /not stored: the registry refused the referrers tag .*The image itself is pushed\./,
        ),
      }),
    );
    expect(await s.registry.manifestDigest(repository, 'v1')).toBe(run.outputs['digest']);
    expect(run.summary).toContain('Package manifest: not stored: the registry refused the referrers tag');
  });

  it.each([
    [
      'a file that is not a manifest',
      'packages-diff.json',
      /input "package-manifest" is ".*packages-diff\.json": package manifest has schemaVersion undefined/,
    ],
    ['no file', 'missing.json', /input "package-manifest" is ".*missing\.json": names no file/],
    [
      'a file outside the workspace and RUNNER_TEMP',
      '/etc/hostname',
      /input "package-manifest" is "\/etc\/hostname": resolves to \/etc\/hostname, outside the workspace/,
    ],
  ])('refuses %s before anything is written', async (_what, file, message) => {
    const given = await files();
    const repository = uniqueRepository('bad');
    s.proxy.clearLog();
    const run = await push({
      workspace: given.workspace,
      inputs: {
        image: `${s.proxy.host}/${repository}`,
        tags: 'v1',
        source: (await buildImage('bad')).ref,
        'credentials-json': s.google.serviceAccountKey().json,
        'package-manifest': file.startsWith('/') ? file : join(given.workspace, file),
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.log).toMatch(message);
    expect(requests(s.proxy)).toEqual([]);
    expect(await s.registry.tags(repository)).toEqual([]);
  });
});
