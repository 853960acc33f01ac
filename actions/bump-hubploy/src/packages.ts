// Reading the package manifests of the old and new images from the registry, for the pull request body. A manifest
// that cannot be read is said in the body; the bump never fails for it.
import { createAccessTokenSource, registryCredentials, type GarAuth } from '@hub-image-actions/gar-auth';
import type { ImageName } from '@hub-image-actions/image-ref';
import {
  diffManifests,
  sizeChange,
  storedManifestOf,
  withLayersRead,
} from '@hub-image-actions/package-manifest';
import { RegistryClient } from '@hub-image-actions/registry-client';
import { oldTags, packagesSection, type Comparison } from './package-report.js';
import type { BumpPlan } from './plan.js';

/** The body's room for the section: GitHub refuses bodies over 65,536 characters, and the rest needs some too. */
const SECTION_BYTES = 40_000;

export async function packageChanges(options: {
  image: ImageName;
  plan: BumpPlan;
  auth: GarAuth | undefined;
  log: (line: string) => void;
}): Promise<string> {
  const { image, plan } = options;
  const olds = oldTags(plan);
  if (olds.length === 0) return '';
  if (image.registry === undefined) {
    return packagesSection(
      plan.tag,
      olds.map((o) => ({ ...o, why: `${image.full} has no registry host` })),
      SECTION_BYTES,
    );
  }
  const client = new RegistryClient({
    registry: image.registry,
    ...(options.auth === undefined
      ? {}
      : { credentials: registryCredentials(createAccessTokenSource(options.auth)) }),
    timeoutMs: 30_000,
  });
  const read = async (tag: string) => withLayersRead(client, await storedManifestOf(client, image.path, tag));
  const [after, ...befores] = await Promise.all([read(plan.tag), ...olds.map((o) => read(o.tag))]);
  const comparisons: Comparison[] = olds.map((old, i) => {
    const before = befores[i];
    if (after === undefined || !after.found)
      return { ...old, why: after?.found === false ? after.why : 'no manifest' };
    if (before === undefined || !before.found)
      return { ...old, why: before?.found === false ? before.why : 'no manifest' };
    const size = sizeChange(
      { manifest: before.manifest, compressedBytes: before.compressedSize },
      { manifest: after.manifest, compressedBytes: after.compressedSize },
    );
    return { ...old, diff: diffManifests(before.manifest, after.manifest, size) };
  });
  for (const c of comparisons) {
    options.log(
      'why' in c
        ? `Packages ${c.tag} → ${plan.tag}: not compared (${c.why})`
        : `Packages ${c.tag} → ${plan.tag}: ${c.diff.counts.total} changes (${c.diff.counts.major} major)`,
    );
  }
  return packagesSection(plan.tag, comparisons, SECTION_BYTES);
}
