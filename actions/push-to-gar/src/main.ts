import * as core from '@actions/core';
import { appendSummary, formatDuration } from '@hub-image-actions/action-io';
import {
  createAccessTokenSource,
  isFreshDockerConfigDir,
  registryCredentials,
  removeDockerConfig,
} from '@hub-image-actions/gar-auth';
import { systemRunner } from '@hub-image-actions/process';
import { RegistryClient } from '@hub-image-actions/registry-client';
import { Deadline, type AttemptOptions } from './attempts.js';
import { readInputs } from './context.js';
import { describeAuth, describeInputs, identityOf, mintToken } from './describe.js';
import type { Attempt } from './diagnosis.js';
import { DockerSession } from './docker-session.js';
import { explain } from './explain.js';
import { restoreLocalTag } from './local-image.js';
import { storePackageManifest } from './package-store.js';
import { tagToPush } from './plan.js';
import { registryAnswers, verifyTags, type Repository } from './registry-ops.js';
import {
  describeStored,
  pushOutputs,
  summaryMarkdown,
  type PushReport,
  type StoredManifest,
} from './report.js';
import { pushState } from './state.js';
import { localSource, planPush, writeTags, type Resolved, type Written } from './write-tags.js';

const runner = systemRunner;
const log = { info: (line: string) => core.info(line), warning: (line: string) => core.warning(line) };

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
    const manifest = inputs.packageManifest;
    let stored: StoredManifest | undefined;
    if (manifest !== undefined) {
      stored = await core.group('Package manifest', async () => {
        const result = await storePackageManifest(repo, digest, manifest.content, options);
        const line = `${manifest.path}: ${describeStored(result, digest)}`;
        if (result.result === 'refused') core.warning(`${line}. The image itself is pushed.`);
        else core.info(line);
        return result;
      });
    }
    await publish({
      name: inputs.target.full,
      digest,
      tags: inputs.tags.map((tag) => ({ tag, result: written.results.get(tag) ?? 'unchanged' })),
      attempts: counter.attempts,
      durationMs: Date.now() - started,
      source: source.kind === 'image' ? `local image \`${source.ref}\`` : 'digest already in the repository',
      auth: describeAuth(inputs.auth),
      notes: written.notes,
      packageManifest: stored,
      packagesDiff: inputs.packagesDiff,
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
