// Which tags to write, decided from what the registry holds before anything is written. A tag that already holds
// the image is left alone (a re-run changes nothing); one that holds another image is refused unless `overwrite`.

import type { LocalImage as DockerImage } from '@hub-image-actions/docker-cli';

export interface ExistingTag {
  tag: string;
  /** The manifest digest the tag holds; undefined when the tag does not exist. */
  digest: string | undefined;
  /** Whether that manifest is the image being pushed. */
  same: boolean;
}

export interface TagPlan {
  /** Tags that already hold the image: nothing to do. */
  unchanged: string[];
  /** Tags to write: new ones, and with `overwrite` those holding another image. */
  write: string[];
  /** Tags holding another image, refused without `overwrite`. */
  conflicts: Array<{ tag: string; digest: string }>;
  /** Tags holding another image that `overwrite` moves. */
  moved: Array<{ tag: string; digest: string }>;
  /** The image's digest in the registry when some tag already holds it. */
  knownDigest: string | undefined;
}

export function planTags(existing: readonly ExistingTag[], overwrite: boolean): TagPlan {
  const plan: TagPlan = { unchanged: [], write: [], conflicts: [], moved: [], knownDigest: undefined };
  for (const { tag, digest, same } of existing) {
    if (digest !== undefined && same && (plan.knownDigest === undefined || plan.knownDigest === digest)) {
      plan.knownDigest = digest;
      plan.unchanged.push(tag);
    } else if (digest === undefined) {
      plan.write.push(tag);
    } else if (overwrite) {
      plan.write.push(tag);
      plan.moved.push({ tag, digest });
    } else {
      // The same image under another manifest digest counts as another image: the outputs name one digest.
      plan.conflicts.push({ tag, digest });
    }
  }
  return plan;
}

/** What the plan needs of the local image `docker image inspect` describes. */
export type LocalImage = Pick<DockerImage, 'id' | 'repoDigests' | 'repoTags'>;

/**
 * Whether a manifest in `repository` (`host/path`) is this local image. dockerd pushes the image's config blob
 * byte for byte, so a manifest whose config digest is the image id holds exactly this image (the config lists
 * every layer's content digest). The containerd image store uses the manifest digest as id instead, and an image
 * pushed or pulled before remembers its digest in RepoDigests.
 */
export function isLocalImage(
  local: LocalImage,
  repository: string,
  manifest: { digest: string; configDigest: string | undefined },
): boolean {
  return (
    manifest.digest === local.id ||
    manifest.configDigest === local.id ||
    local.repoDigests.includes(`${repository}@${manifest.digest}`)
  );
}

/** The tag to push with docker: one the local image already carries when possible, so no new local tag is needed. */
export function tagToPush(
  write: readonly string[],
  repository: string,
  local: LocalImage,
): string | undefined {
  return write.find((tag) => local.repoTags.includes(`${repository}:${tag}`)) ?? write[0];
}
