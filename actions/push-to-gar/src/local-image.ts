// The local docker engine: which image `source` names, and the local tag `docker push` needs.
import { ConfigurationError } from '@hub-image-actions/action-io';
import {
  inspectImage as inspectLocalImage,
  inspectImages,
  type LocalImage,
} from '@hub-image-actions/docker-cli';
import { runChecked, type ProcessRunner } from '@hub-image-actions/process';

export async function requireLocalImage(runner: ProcessRunner, ref: string): Promise<LocalImage> {
  const image = await inspectLocalImage(runner, ref);
  if (image === undefined) {
    throw new ConfigurationError(
      `input "source" is ${JSON.stringify(ref)}: no such image in the local docker engine`,
      'Run push-to-gar in the job that built the image (after build-image), or push an image the registry already holds with "source-digest"',
    );
  }
  return image;
}

/**
 * Which local image each name in `refs` points at (name → image id), in one `docker image inspect` call; names that
 * do not exist are left out.
 */
export async function localNames(
  runner: ProcessRunner,
  refs: readonly string[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const image of await inspectImages(runner, refs)) {
    for (const tag of image.repoTags) if (refs.includes(tag)) names.set(tag, image.id);
  }
  return names;
}

/** What was done to give the image its push name, so it can be undone. */
export interface LocalTag {
  ref: string;
  /** The image the name pointed at before, restored afterwards; undefined when the name was new. */
  previousId: string | undefined;
  /** The image that was pushed under the name, when known. */
  imageId?: string;
}

/**
 * Names the image `ref` for `docker push`; undefined when it already has that name. `previousId` is the image
 * the name points at now, if any: `restoreLocalTag` points it back.
 */
export async function tagForPush(
  runner: ProcessRunner,
  image: Pick<LocalImage, 'id' | 'repoTags'>,
  ref: string,
  previousId: string | undefined,
): Promise<LocalTag | undefined> {
  if (image.repoTags.includes(ref) || previousId === image.id) return undefined;
  await runChecked(runner, 'docker', ['tag', image.id, ref]);
  return { ref, previousId, imageId: image.id };
}

/** `host/path` of `host/path:tag`. */
function repositoryOf(ref: string): string {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

/**
 * Points the name back where it was, or removes it when it was new; never deletes an image. Removing the name
 * also drops the `NAME@DIGEST` docker recorded for it when it pushed, so the engine is left as it was found.
 */
export async function restoreLocalTag(runner: ProcessRunner, tag: LocalTag): Promise<string> {
  if (tag.previousId !== undefined) {
    await runChecked(runner, 'docker', ['tag', tag.previousId, tag.ref]);
    const pushed = tag.imageId === undefined ? undefined : await inspectLocalImage(runner, tag.imageId);
    // Re-pointing a name leaves the pushed image's digest reference behind; drop it while the image keeps a tag.
    if (pushed !== undefined && pushed.repoTags.length > 0) {
      const digests = pushed.repoDigests.filter((digest) => digest.startsWith(`${repositoryOf(tag.ref)}@`));
      for (const digest of digests) await runChecked(runner, 'docker', ['image', 'rm', '--no-prune', digest]);
    }
    return `pointed ${tag.ref} back at ${tag.previousId}`;
  }
  const image = await inspectLocalImage(runner, tag.ref);
  if (image === undefined) return `${tag.ref} is already gone`;
  if (image.repoTags.length <= 1) return `kept ${tag.ref}: it is the image's only name`;
  await runChecked(runner, 'docker', ['image', 'rm', '--no-prune', tag.ref]);
  return `removed the local name ${tag.ref}`;
}
