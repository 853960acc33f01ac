// Docker's side of pushing a local image: a private DOCKER_CONFIG holding the registry credential, and the local
// name `docker push` needs. Opened alongside the registry reads, always closed; the post step closes what a
// cancelled step could not.
import {
  ACCESS_TOKEN_USER,
  dockerLogin,
  freshDockerConfigDir,
  removeDockerConfig,
  type AccessTokenSource,
} from '@hub-image-actions/gar-auth';
import type { ProcessRunner } from '@hub-image-actions/process';
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
}

export class DockerSession {
  private token: string | undefined;
  private readonly named: LocalTag[] = [];

  private constructor(
    readonly configDir: string,
    private readonly options: SessionOptions,
  ) {}

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
    await dockerLogin(this.options.runner, {
      configDir: this.configDir,
      registry: this.options.registry,
      username: ACCESS_TOKEN_USER,
      password: this.token,
    });
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

  /** Undoes the local names and removes the credential; returns what was done, for the log. */
  async close(): Promise<string[]> {
    const done: string[] = [];
    for (const tag of this.named.splice(0)) {
      done.push(`Local image name: ${await restoreLocalTag(this.options.runner, tag)}.`);
    }
    this.options.save({ localTag: '', localTagPrevious: '' });
    await removeDockerConfig(this.configDir);
    this.options.save({ dockerConfig: '' });
    done.push(`Removed the docker credentials in ${this.configDir}.`);
    return done;
  }
}
