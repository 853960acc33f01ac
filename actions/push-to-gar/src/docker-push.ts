// Pushing a local image with dockerd, attempt by attempt. After every attempt the tag is read back from the
// registry: a push docker reports as failed counts as done when the registry already holds the image (dockerd
// fails a push whose manifest PUT was stored but whose answer was lost).
import { formatDuration } from '@hub-image-actions/action-io';
import type { ProcessRunner } from '@hub-image-actions/process';
import { backoffDelay, type RetryDecision } from '@hub-image-actions/retry';
import { BACKOFF, withAttempts, type AttemptOptions } from './attempts.js';
import {
  classifyPushFailure,
  describeFailure,
  isRetryable,
  ProgressFilter,
  reportedDigest,
  type PushFailure,
} from './docker-output.js';
import { isLocalImage, type LocalImage } from './plan.js';
import {
  classifyRegistryCall,
  readTag,
  TagMovedError,
  type Repository,
  type TagContent,
} from './registry-ops.js';

/** dockerd hides a 429's Retry-After; quota windows are per minute, so such waits start at 5–10 s. */
const RATE_LIMIT_BASE_DELAY_MS = 10_000;

/** A `docker push` attempt that failed and the registry does not hold the image. */
export class DockerPushFailure extends Error {
  /** Set when the registry refused a freshly minted token as well. */
  afterNewToken = false;

  constructor(
    readonly failure: PushFailure,
    readonly attempt: number,
  ) {
    super(`docker push: ${failure.message}`);
    this.name = 'DockerPushFailure';
  }
}

export interface DockerPushOptions {
  runner: ProcessRunner;
  configDir: string;
  /** `host/path`. */
  repository: string;
  tag: string;
  repo: Repository;
  local: LocalImage;
  /** Mints a new token and logs docker in again; undefined when the token cannot be renewed (a given token). */
  relogin: (() => Promise<void>) | undefined;
  attempts: AttemptOptions;
}

export interface DockerPushResult {
  digest: string;
  attempts: number;
  /** docker reported a failure, but the registry held the image. */
  acceptedDespiteError: boolean;
  relogged: boolean;
}

export function dockerPushArgs(configDir: string, ref: string): string[] {
  return ['--config', configDir, 'push', ref];
}

export async function dockerPush(options: DockerPushOptions): Promise<DockerPushResult> {
  const { runner, configDir, repository, tag, repo, local, attempts: attemptOptions } = options;
  const { log, deadline } = attemptOptions;
  const ref = `${repository}:${tag}`;
  let reloginPending = false;
  let relogged = false;
  let acceptedDespiteError = false;
  const holdsImage = (content: TagContent | undefined): content is TagContent =>
    content !== undefined && isLocalImage(local, repository, content);

  const attempt = async (n: number): Promise<string> => {
    if (reloginPending && options.relogin) {
      reloginPending = false;
      relogged = true;
      log.info('Minting a new access token and logging docker in again.');
      await options.relogin();
    }
    log.info(`docker push ${ref} (attempt ${n} of ${attemptOptions.maxAttempts})`);
    const started = deadline.clock.now();
    const filter = new ProgressFilter();
    const result = await runner.run('docker', dockerPushArgs(configDir, ref), {
      timeoutMs: Math.max(1, deadline.remainingMs()),
      onLine: (line) => {
        if (filter.keep(line)) log.info(`  ${line}`);
      },
    });
    const took = formatDuration(deadline.clock.now() - started);
    if (result.exitCode === 0 && !result.timedOut) {
      const digest = reportedDigest(result.stdout, tag);
      const content = await readTag(repo, tag, attemptOptions, (d) => d !== digest);
      if (digest !== undefined && content?.digest === digest) return digest;
      if (digest === undefined && holdsImage(content)) {
        log.warning(
          `docker push printed no digest for ${tag}; the registry holds the image as ${content.digest}.`,
        );
        return content.digest;
      }
      throw new TagMovedError(tag, digest ?? `image ${local.id}`, content?.digest);
    }
    const failure = classifyPushFailure(result);
    const content = await readTag(repo, tag, { ...attemptOptions, maxAttempts: 1 }).catch(() => undefined);
    if (holdsImage(content)) {
      log.info(
        `docker push failed after ${took} (${failure.message}), but the registry holds ${tag} = ${content.digest} with this image: the push went through.`,
      );
      acceptedDespiteError = true;
      return content.digest;
    }
    log.info(
      `docker push failed after ${took}: ${describeFailure(failure)}. The registry does not hold ${tag} with this image.`,
    );
    throw new DockerPushFailure(failure, n);
  };

  const classify = (error: unknown): RetryDecision => {
    if (!(error instanceof DockerPushFailure)) return classifyRegistryCall(error);
    const { failure } = error;
    if (failure.kind === 'unauthorized' && options.relogin !== undefined) {
      if (relogged) {
        error.afterNewToken = true;
        return { retry: false };
      }
      reloginPending = true;
      return { retry: true, reason: 'token rejected (401), a new one will be minted', afterMs: 0 };
    }
    if (failure.kind === 'timed-out') return { retry: true, reason: describeFailure(failure) };
    if (!isRetryable(failure.kind)) return { retry: false };
    if (failure.kind === 'rate-limited') {
      const policy = { ...BACKOFF, baseDelayMs: RATE_LIMIT_BASE_DELAY_MS, maxElapsedMs: 0, maxAttempts: 0 };
      return {
        retry: true,
        reason: describeFailure(failure),
        afterMs: backoffDelay(error.attempt, policy, Math.random),
      };
    }
    return { retry: true, reason: describeFailure(failure) };
  };

  const { value, attempts } = await withAttempts(`push of ${tag}`, attempt, classify, attemptOptions);
  return { digest: value, attempts, acceptedDespiteError, relogged };
}
