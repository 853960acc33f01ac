// Docker's side of pushing a local image: a private DOCKER_CONFIG holding the registry credential, and the local
// name `docker push` needs. Opened alongside the registry reads, always closed; the post step closes what a
// cancelled step could not.
import {
  ACCESS_TOKEN_USER,
  DockerLoginError,
  dockerLogin,
  freshDockerConfigDir,
  removeDockerConfig,
  type AccessTokenSource,
} from '@hub-image-actions/gar-auth';
import { asCleanup, onCancel, type ProcessRunner } from '@hub-image-actions/process';
import type { RetryDecision } from '@hub-image-actions/retry';
import { withAttempts, type AttemptOptions } from './attempts.js';
import { restoreLocalTag, tagForPush, type LocalTag } from './local-image.js';
import type { LocalImage } from './plan.js';
import type { PushState } from './state.js';

export interface SessionOptions {
  runner: ProcessRunner;
  registry: string;
  tokens: AccessTokenSource;
  runnerTemp: string | undefined;
  workspace: string | undefined;
  /** Records what the post step must undo. */
  save: (values: Partial<PushState>) => void;
  image: LocalImage;
  /** What each candidate push name (`host/path:tag`) points at locally now: name → image id. */
  names: ReadonlyMap<string, string>;
  /** The name the push will most likely use, given to the image right away. */
  likelyRef: string;
  /** The push's retry bounds: a login is retried like a write, but is not counted as a push attempt. */
  attempts: AttemptOptions;
}

/** Longest a single `docker login` may take; dockerd's own timeouts are shorter. */
const LOGIN_TIMEOUT_MS = 60_000;

/** A failed `docker login`, told in docker's one error line (the log shows the first line of a message). */
export class LoginFailedError extends Error {
  constructor(readonly login: DockerLoginError) {
    super(`docker login: ${login.failure.message}`);
    this.name = 'LoginFailedError';
  }
}

/** A login that failed on a 5xx, 429 or a dropped connection is tried again; a denial is not. */
export function classifyLogin(error: unknown): RetryDecision {
  if (error instanceof LoginFailedError && error.login.failure.kind === 'retryable')
    return { retry: true, reason: error.login.failure.reason };
  return { retry: false };
}

export class DockerSession {
  private token: string | undefined;
  private readonly named: LocalTag[] = [];
  private closed: Promise<string[]> | undefined;
  private readonly forgetCancel: () => void;

  private constructor(
    readonly configDir: string,
    private readonly options: SessionOptions,
  ) {
    // A cancelled step (SIGINT/SIGTERM) still removes the credential and undoes the names.
    this.forgetCancel = onCancel(async () => {
      for (const line of await this.close()) options.attempts.log.info(line);
    });
  }

  /** A fresh config under RUNNER_TEMP, logged in to the registry, and the image named for the likely push. */
  static async open(options: SessionOptions): Promise<DockerSession> {
    const configDir = await freshDockerConfigDir(options.runnerTemp, options.workspace);
    options.save({ dockerConfig: configDir });
    const session = new DockerSession(configDir, options);
    const [loggedIn, named] = await Promise.allSettled([
      session.login('initial'),
      session.nameForPush(options.likelyRef),
    ]);
    for (const outcome of [loggedIn, named]) {
      if (outcome.status === 'rejected') {
        await session.close();
        throw outcome.reason;
      }
    }
    return session;
  }

  /** Logs in with the current token; after a 401 (`rejected`), with a new one. */
  async login(reason: 'initial' | 'rejected'): Promise<void> {
    // A token the registry client minted after the same expiry is reused rather than minting yet another.
    this.token = (
      await this.options.tokens.token(reason, reason === 'rejected' ? this.token : undefined)
    ).token;
    const password = this.token;
    const { counter: _counter, ...bounds } = this.options.attempts;
    const { attempts } = await withAttempts(
      `docker login to ${this.options.registry}`,
      () =>
        dockerLogin(this.options.runner, {
          configDir: this.configDir,
          registry: this.options.registry,
          username: ACCESS_TOKEN_USER,
          password,
          timeoutMs: Math.max(1, Math.min(LOGIN_TIMEOUT_MS, bounds.deadline.remainingMs())),
        }).catch((error: unknown) => {
          throw error instanceof DockerLoginError ? new LoginFailedError(error) : error;
        }),
      classifyLogin,
      bounds,
    );
    if (attempts > 1)
      bounds.log.info(`docker login to ${this.options.registry} succeeded at attempt ${attempts}.`);
  }

  /** Gives the image the name `ref` for `docker push` unless it has it; returns what was done, to be undone. */
  async nameForPush(ref: string): Promise<LocalTag | undefined> {
    const done = this.named.find((tag) => tag.ref === ref);
    if (done !== undefined) return done;
    const { runner, image, names } = this.options;
    const tag = await tagForPush(runner, image, ref, names.get(ref));
    if (tag !== undefined) {
      this.named.push(tag);
      // The post step can undo one name; the first is the one a push uses unless the registry already holds it.
      this.options.save({ localTag: tag.ref, localTagPrevious: tag.previousId ?? '' });
    }
    return tag;
  }

  /** Removes the credential and undoes the local names, once; returns what was done, for the log. */
  close(): Promise<string[]> {
    // Also when main closes it while the step is being cancelled: undoing the names needs docker.
    this.closed ??= asCleanup(() => this.closeOnce());
    return this.closed;
  }

  private async closeOnce(): Promise<string[]> {
    this.forgetCancel();
    await removeDockerConfig(this.configDir);
    this.options.save({ dockerConfig: '' });
    const done = [`Removed the docker credentials in ${this.configDir}.`];
    for (const tag of this.named.splice(0)) {
      done.push(`Local image name: ${await restoreLocalTag(this.options.runner, tag)}.`);
    }
    this.options.save({ localTag: '', localTagPrevious: '' });
    return done;
  }
}
