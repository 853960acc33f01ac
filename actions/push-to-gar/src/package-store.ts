// The "Package manifest" phase: build-image's manifest of the image, stored with it in the registry as an OCI
// artifact whose subject is the pushed image manifest. The image is pushed by then: nothing here fails the push.
import { PACKAGE_MANIFEST_ARTIFACT_TYPE } from '@hub-image-actions/package-manifest';
import { attachArtifact, ReferrerRefusedError } from '@hub-image-actions/registry-client';
import type { AttemptOptions } from './attempts.js';
import { readManifest, type Repository } from './registry-ops.js';
import type { StoredManifest } from './report.js';

/** Attaches `content` to `digest` unless the same artifact is already there. Refusals come back, never thrown. */
export async function storePackageManifest(
  repo: Repository,
  digest: string,
  content: Buffer,
  options: AttemptOptions,
): Promise<StoredManifest> {
  try {
    const subject = await readManifest(repo, digest, options);
    if (subject === undefined) return { result: 'refused', why: `${digest} is not in the registry` };
    const attached = await attachArtifact(repo.client, repo.path, subject, {
      artifactType: PACKAGE_MANIFEST_ARTIFACT_TYPE,
      content,
    });
    return {
      result: attached.written ? 'stored' : 'already-stored',
      artifact: attached.digest,
      via: attached.via,
    };
  } catch (error) {
    const why =
      error instanceof ReferrerRefusedError
        ? error.message
        : `the registry could not store it (${error instanceof Error ? error.message : String(error)})`;
    return { result: 'refused', why };
  }
}
