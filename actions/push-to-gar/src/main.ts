import * as core from '@actions/core';
import { appendSummary, ConfigurationError, formatDuration } from '@hub-image-actions/action-io';
import {
  createAccessTokenSource,
  isFreshDockerConfigDir,
  registryCredentials,
  removeDockerConfig,
  type AccessTokenSource,
  type GarAuth,
} from '@hub-image-actions/gar-auth';
import { systemRunner } from '@hub-image-actions/process';
import { RegistryClient, RegistryConnectionError, RegistryError } from '@hub-image-actions/registry-client';
import { Deadline, type AttemptOptions } from './attempts.js';
import { readInputs, type Inputs } from './context.js';
import { diagnoseLoginFailure, diagnoseRefusal, type Attempt, type RefusalKind } from './diagnosis.js';
import { DockerPushFailure, dockerPush } from './docker-push.js';
import { DockerSession, LoginFailedError } from './docker-session.js';
import { localNames, requireLocalImage, restoreLocalTag } from './local-image.js';
import { isLocalImage, planTags, tagToPush, type LocalImage, type TagPlan } from './plan.js';
import {
  isRefused,
  readManifest,
  readTags,
  putTag,
  registryAnswers,
  verifyTags,
  type Repository,
} from './registry-ops.js';
import { pushOutputs, summaryMarkdown, type PushReport, type TagResult } from './report.js';
import { pushState } from './state.js';

const runner = systemRunner;
const log = { info: (line: string) => core.info(line), warning: (line: string) => core.warning(line) };

function identityOf(auth: GarAuth): string | undefined {
  if (auth.mode === 'workload-identity') return auth.serviceAccount;
  if (auth.mode === 'credentials-json') return auth.key.client_email;
  return undefined;
}

function describeAuth(auth: GarAuth): string {
  if (auth.mode === 'workload-identity') return `keyless as ${auth.serviceAccount}`;
  if (auth.mode === 'credentials-json') return `key of ${auth.key.client_email}`;
  return 'access token from "access-token"';
}

function describeInputs(inputs: Inputs): void {
  core.info(
    `Target:   ${inputs.target.full}${inputs.gar ? ` (Artifact Registry: project ${inputs.gar.project}, location ${inputs.gar.location}, repository ${inputs.gar.repository})` : ''}`,
  );
  if (inputs.hostAsGiven !== undefined) {
    core.info(
      `Host:     ${inputs.hostAsGiven} is used as ${inputs.target.registry}: host names are case-insensitive, and docker and the registry API get this one spelling`,
    );
  }
  core.info(`Tags:     ${inputs.tags.join(', ')}`);
  core.info(
    `Source:   ${inputs.source.kind === 'image' ? `local image ${inputs.source.ref}` : `digest ${inputs.source.digest}, already in the repository`}`,
  );
  core.info(`Auth:     ${describeAuth(inputs.auth)}`);
  core.info(
    `Existing tags: ${inputs.overwrite ? 'moved when they hold another image (overwrite: true)' : 'never moved (overwrite: false)'}`,
  );
  core.info(
    `Retries:  at most ${inputs.maxAttempts} attempts per write, ${formatDuration(inputs.retryTimeoutSeconds * 1000)} for the whole push`,
  );
}

async function mintToken(tokens: AccessTokenSource, auth: GarAuth): Promise<void> {
  const started = Date.now();
  const { expiresAt } = await tokens.token('initial');
  if (auth.mode === 'access-token') {
    core.info(
      'Using the access token given in "access-token"; it cannot be renewed, so a 401 ends the push.',
    );
    return;
  }
  const left = expiresAt === undefined ? 0 : expiresAt - Date.now();
  const expiry =
    expiresAt === undefined
      ? ''
      : `, valid until ${new Date(expiresAt).toISOString()} (${left >= 60_000 ? `${Math.round(left / 60_000)} min` : formatDuration(left)})`;
  core.info(
    `Minted an access token (${describeAuth(auth)}) in ${formatDuration(Date.now() - started)}${expiry}.`,
  );
}

/** Turns a refusal of the registry into the diagnosis the user needs; anything else is returned as is. */
function explain(error: unknown, attempt: Attempt): unknown {
  if (error instanceof LoginFailedError) {
    const { message, fix } = diagnoseLoginFailure(error.login.failure, attempt);
    return new ConfigurationError(message, fix);
  }
  if (error instanceof DockerPushFailure) {
    const { kind, message } = error.failure;
    if (kind === 'denied' || kind === 'name-unknown' || kind === 'unauthorized' || kind === 'unknown-host') {
      const { message: text, fix } = diagnoseRefusal(kind, message, {
        ...attempt,
        afterNewToken: error.afterNewToken,
      });
      return new ConfigurationError(text, fix);
    }
    return new ConfigurationError(`docker push failed: ${message}`, "See docker's output above");
  }
  if (error instanceof RegistryError && [401, 403, 404].includes(error.status)) {
    const kind: RefusalKind =
      error.status === 401 ? 'unauthorized' : error.status === 403 ? 'denied' : 'name-unknown';
    const detail = error.detail || `${error.status}${error.code ? ` ${error.code}` : ''}`;
    // The registry client already asked for a fresh token after the first 401.
    const afterNewToken = kind === 'unauthorized' && attempt.authMode !== 'access-token';
    const { message, fix } = diagnoseRefusal(kind, detail, {
      ...attempt,
      request: `${error.method} ${error.url}`,
      afterNewToken,
    });
    return new ConfigurationError(message, fix);
  }
  if (error instanceof RegistryConnectionError && error.code === 'ENOTFOUND') {
    const { message, fix } = diagnoseRefusal('unknown-host', error.reason, attempt);
    return new ConfigurationError(message, fix);
  }
  if (isRefused(error)) {
    return new ConfigurationError(
      `nothing answers at ${attempt.host}: ${error.reason}, for ${error.method} ${error.url}; no token was minted and docker did not log in`,
      `Check the host and port in "image" (or "registry"), and that the registry is running and reachable from this runner`,
    );
  }
  return error;
}

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

interface Written {
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
type Resolved =
  | { kind: 'digest'; digest: string }
  | { kind: 'image'; ref: string; image: LocalImage; names: Map<string, string> };

/** The local image `source` names; the push names it may get are looked up alongside, to restore them afterwards. */
async function localSource(ref: string, inputs: Inputs): Promise<Resolved> {
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
async function planPush(
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
async function writeTags(
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

async function publish(report: PushReport): Promise<void> {
  for (const [name, value] of Object.entries(pushOutputs(report))) core.setOutput(name, value);
  await appendSummary(summaryMarkdown(report));
  const writes = report.tags.filter(({ result }) => result !== 'unchanged').length;
  if (writes === 0) core.info('Nothing was written: every tag already held this image.');
  if (report.attempts > writes) {
    core.warning(
      `The push needed ${report.attempts} attempts for ${writes} write${writes === 1 ? '' : 's'}; the retries are in the log.`,
    );
  }
  core.info(`Done in ${formatDuration(report.durationMs)}: ${report.name}@${report.digest}`);
}

export async function main(): Promise<void> {
  const started = Date.now();
  const inputs = await core.group('Inputs', async () => {
    const inputs = readInputs();
    describeInputs(inputs);
    return inputs;
  });
  const given = inputs.source;
  const tokens = createAccessTokenSource(inputs.auth);
  const repo: Repository = {
    client: new RegistryClient({
      registry: inputs.target.registry,
      credentials: registryCredentials(tokens),
    }),
    path: inputs.target.path,
  };
  const counter = { attempts: 0 };
  const options: AttemptOptions = {
    maxAttempts: inputs.maxAttempts,
    deadline: new Deadline(inputs.retryTimeoutSeconds * 1000),
    log,
    counter,
  };
  const attempt: Attempt = {
    host: inputs.target.registry,
    path: inputs.target.path,
    gar: inputs.gar,
    identity: identityOf(inputs.auth),
    authMode: inputs.auth.mode,
  };
  // Before any token is minted or docker logs in: does anything answer there at all? First asked (without a
  // credential) while docker inspects the image, which also hides the first load of Node's fetch, about 50 ms.
  const asking = new AbortController();
  const asked = repo.client.ping(asking.signal);
  asked.catch(() => undefined); // awaited in its own phase
  let source: Resolved;
  try {
    source =
      given.kind === 'image' ? await core.group('Local image', () => localSource(given.ref, inputs)) : given;
  } catch (error) {
    asking.abort(); // the answer is not needed any more, and must not keep the step waiting
    throw error;
  }
  await core.group('Registry', async () => {
    const status = await registryAnswers(repo, options, asked).catch((error: unknown) => {
      throw explain(error, attempt);
    });
    core.info(`${repo.client.baseUrl} answers (${status} to GET /v2/ without credentials).`);
  });
  await core.group('Access token', () => mintToken(tokens, inputs.auth));

  const written: Written = { results: new Map(), notes: [] };
  // Pushing a local image needs docker logged in: that starts now, alongside reading the tags.
  const session =
    source.kind === 'image'
      ? DockerSession.open({
          runner,
          registry: inputs.target.registry,
          tokens,
          runnerTemp: process.env['RUNNER_TEMP'],
          workspace: process.env['GITHUB_WORKSPACE'],
          save: (values) => pushState.save(values),
          image: source.image,
          names: source.names,
          likelyRef: `${inputs.target.full}:${tagToPush(inputs.tags, inputs.target.full, source.image) ?? ''}`,
          attempts: options,
        })
      : undefined;
  session?.catch(() => undefined); // awaited where it is needed; a failure surfaces there
  try {
    const plan = await core.group('Tags in the registry', () => planPush(inputs, source, repo, options));
    const digest = await writeTags(inputs, source, repo, session, plan, options, written);
    await core.group('Verify', async () => {
      await verifyTags(repo, inputs.tags, digest, options);
      core.info(`Every tag holds ${digest}: ${inputs.tags.join(', ')}.`);
    });
    await publish({
      name: inputs.target.full,
      digest,
      tags: inputs.tags.map((tag) => ({ tag, result: written.results.get(tag) ?? 'unchanged' })),
      attempts: counter.attempts,
      durationMs: Date.now() - started,
      source: source.kind === 'image' ? `local image \`${source.ref}\`` : 'digest already in the repository',
      auth: describeAuth(inputs.auth),
      notes: written.notes,
    });
  } catch (error) {
    throw explain(error, attempt);
  } finally {
    const opened = await session?.catch(() => undefined);
    for (const line of (await opened?.close()) ?? []) core.info(line);
  }
}

export async function post(): Promise<void> {
  const saved = pushState.load();
  if (saved.localTag) {
    const message = await restoreLocalTag(runner, {
      ref: saved.localTag,
      previousId: saved.localTagPrevious || undefined,
    });
    core.info(`Local image name: ${message}.`);
  }
  if (!saved.dockerConfig) {
    core.info('Nothing to clean up: the push removed its docker credentials itself.');
    return;
  }
  if (!isFreshDockerConfigDir(saved.dockerConfig, process.env['RUNNER_TEMP'])) {
    core.warning(
      `Not removing ${saved.dockerConfig}: it is not a docker config this action created under RUNNER_TEMP.`,
    );
    return;
  }
  await removeDockerConfig(saved.dockerConfig);
  core.info(`Removed the docker credentials in ${saved.dockerConfig}.`);
}
