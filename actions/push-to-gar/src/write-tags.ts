// The "Tags in the registry", "Push" and "Tag from digest" phases: what each tag holds, then one docker push at
// most and every other tag through the registry API.
import * as core from '@actions/core';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { systemRunner } from '@hub-image-actions/process';
import type { AttemptOptions } from './attempts.js';
import type { Inputs } from './context.js';
import { dockerPush } from './docker-push.js';
import type { DockerSession } from './docker-session.js';
import { localNames, requireLocalImage } from './local-image.js';
import { isLocalImage, planTags, tagToPush, type LocalImage, type TagPlan } from './plan.js';
import { putTag, readManifest, readTags, type Repository } from './registry-ops.js';
import type { TagResult } from './report.js';

const runner = systemRunner;

function logPlan(plan: TagPlan, inputs: Inputs): void {
  for (const tag of plan.unchanged)
    core.info(`${tag}: already holds this image (${plan.knownDigest}), left as is`);
  for (const { tag, digest } of plan.moved)
    core.info(`${tag}: holds another image (${digest}), will be moved (overwrite: true)`);
  for (const { tag, digest } of plan.conflicts) core.info(`${tag}: holds another image (${digest}), refused`);
  const moved = new Set(plan.moved.map(({ tag }) => tag));
  for (const tag of plan.write)
    if (!moved.has(tag)) core.info(`${tag}: not in the registry, will be written`);
  if (plan.conflicts.length > 0) {
    throw new ConfigurationError(
      `${plan.conflicts.length === 1 ? 'a tag already holds' : `${plan.conflicts.length} tags already hold`} another image in ${inputs.target.full}: ${plan.conflicts
        .map(({ tag, digest }) => `${tag} = ${digest}`)
        .join(', ')}; nothing was written`,
      'Tags are never moved silently: push under a new tag, or set "overwrite: true" to move them',
    );
  }
}

export interface Written {
  results: Map<string, TagResult>;
  notes: string[];
}

/** Adds each tag in `tags` to the manifest `digest` through the registry API. */
async function tagFromDigest(
  repo: Repository,
  digest: string,
  tags: readonly string[],
  plan: TagPlan,
  options: AttemptOptions,
  written: Written,
): Promise<void> {
  if (tags.length === 0) return;
  const manifest = await readManifest(repo, digest, options);
  if (manifest === undefined) {
    throw new ConfigurationError(
      `${repo.path}@${digest} does not exist in the registry`,
      '"source-digest" must be an image the target repository already holds (build-image\'s reused-digest); push other images with "source"',
    );
  }
  const moved = new Set(plan.moved.map(({ tag }) => tag));
  for (const tag of tags) {
    const { attempts, acceptedDespiteError } = await putTag(repo, tag, manifest, options);
    written.results.set(tag, moved.has(tag) ? 'moved' : 'tagged');
    core.info(`${tag} → ${digest}${attempts > 1 ? ` (${attempts} attempts)` : ''}`);
    if (acceptedDespiteError)
      written.notes.push(`The registry stored ${tag} although its answer to the write was lost.`);
  }
}

async function pushLocalImage(
  inputs: Inputs,
  local: LocalImage,
  repo: Repository,
  session: DockerSession,
  plan: TagPlan,
  options: AttemptOptions,
  written: Written,
): Promise<string> {
  core.info(
    `Logged docker in to ${inputs.target.registry}; the credential is in ${session.configDir}, removed when this step ends.`,
  );
  const tag = tagToPush(plan.write, inputs.target.full, local) ?? plan.write[0] ?? '';
  const ref = `${inputs.target.full}:${tag}`;
  const named = await session.nameForPush(ref);
  if (named !== undefined) {
    core.info(
      `Named the local image ${ref} for docker push${named.previousId ? ` (that name pointed at ${named.previousId}; it is restored afterwards)` : ''}.`,
    );
  }
  const pushed = await dockerPush({
    runner,
    configDir: session.configDir,
    repository: inputs.target.full,
    tag,
    repo,
    local,
    relogin: inputs.auth.mode === 'access-token' ? undefined : () => session.login('rejected'),
    attempts: options,
  });
  written.results.set(tag, plan.moved.some((m) => m.tag === tag) ? 'moved' : 'pushed');
  if (pushed.acceptedDespiteError) {
    written.notes.push(
      'docker push reported a failure, but the registry had accepted the image: counted as pushed.',
    );
  }
  if (pushed.relogged)
    written.notes.push('The registry rejected the access token during the push; a new one was minted.');
  core.info(`${tag} → ${pushed.digest}`);
  return pushed.digest;
}

/** The source, with the local image docker knows for `source`. */
export type Resolved =
  | { kind: 'digest'; digest: string }
  | { kind: 'image'; ref: string; image: LocalImage; names: Map<string, string> };

/** The local image `source` names; the push names it may get are looked up alongside, to restore them afterwards. */
export async function localSource(ref: string, inputs: Inputs): Promise<Resolved> {
  const [image, names] = await Promise.all([
    requireLocalImage(runner, ref),
    localNames(
      runner,
      inputs.tags.map((tag) => `${inputs.target.full}:${tag}`),
    ),
  ]);
  core.info(`${ref} is ${image.id}`);
  return { kind: 'image', ref, image, names };
}

/** What each tag holds now, and so which tags to write. Refuses before any write when a tag holds another image. */
export async function planPush(
  inputs: Inputs,
  source: Resolved,
  repo: Repository,
  options: AttemptOptions,
): Promise<TagPlan> {
  const repository = inputs.target.full;
  const existing =
    source.kind === 'digest'
      ? await readTags(
          repo,
          inputs.tags,
          (c) => c.digest === source.digest,
          options,
          () => false,
        )
      : await readTags(
          repo,
          inputs.tags,
          (c) => isLocalImage(source.image, repository, c),
          options,
          // The manifest is read only when its digest alone does not show it is this image.
          (digest) => !isLocalImage(source.image, repository, { digest, configDigest: undefined }),
        );
  const plan = planTags(existing, inputs.overwrite);
  logPlan(plan, inputs);
  return plan;
}

/** Writes the planned tags: one docker push at most, every other tag through the registry API. Returns the digest. */
export async function writeTags(
  inputs: Inputs,
  source: Resolved,
  repo: Repository,
  session: Promise<DockerSession> | undefined,
  plan: TagPlan,
  options: AttemptOptions,
  written: Written,
): Promise<string> {
  const known = source.kind === 'digest' ? source.digest : plan.knownDigest;
  if (known !== undefined) {
    if (plan.write.length > 0) {
      await core.group('Tag from digest', async () => {
        if (source.kind === 'image')
          core.info(
            `The registry already holds this image as ${known}: adding the other tags without docker push.`,
          );
        await tagFromDigest(repo, known, plan.write, plan, options, written);
      });
    }
    return known;
  }
  if (source.kind === 'digest' || session === undefined) {
    throw new Error('a local image to push needs its docker session');
  }
  const opened = await session;
  const digest = await core.group('Push', () =>
    pushLocalImage(inputs, source.image, repo, opened, plan, options, written),
  );
  const rest = plan.write.filter((tag) => !written.results.has(tag));
  if (rest.length > 0) {
    await core.group('Tag from digest', () => tagFromDigest(repo, digest, rest, plan, options, written));
  }
  return digest;
}
