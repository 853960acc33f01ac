// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ncc type-checks only what the entry file reaches
/// <reference path="./bottleneck-light.d.ts" />
import { GitHub, getOctokitOptions } from '@actions/github/lib/utils';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import Bottleneck from 'bottleneck/light.js';
import { apiFailure, isNoAnswer } from './failures.js';
import { DO_NOT_RETRY, RATE_LIMIT_POLICY, rateLimitDecision, SERVER_ERROR_RETRIES } from './retry-policy.js';

/** Where the client tells what it retries and why (e.g. `core.info`). */
export type ApiLog = (message: string) => void;

/** Requests per call (retries included), and the rate-limit waits so far, keyed by the call's options. */
const attempts = new WeakMap<object, number>();
const waited = new WeakMap<object, number>();

interface RequestOptions {
  method?: string;
  url?: string;
  request?: { retries?: number; retryCount?: number };
}

type Plugin = Parameters<typeof GitHub.plugin>[0];
type Hooked = Parameters<Plugin>[0];
type PluginOptions = { retryLog?: ApiLog };

const describeCall = (options: RequestOptions) => `${options.method ?? 'GET'} ${options.url ?? ''}`;

/** Innermost: counts every request of a call and says when plugin-retry is about to repeat one. */
function countAttempts(octokit: Hooked, octokitOptions: PluginOptions & object) {
  octokit.hook.wrap('request', async (request, options) => {
    const attempt = (attempts.get(options) ?? 0) + 1;
    attempts.set(options, attempt);
    try {
      return await request(options);
    } catch (error) {
      const failure = apiFailure(error);
      const status = failure.status ?? 0;
      const { retries = SERVER_ERROR_RETRIES, retryCount = 0 } = (options as RequestOptions).request ?? {};
      if (status >= 400 && !DO_NOT_RETRY.includes(status) && retryCount < retries) {
        const why = isNoAnswer(error)
          ? `no answer from the API (${failure.message})`
          : `the API answered ${status}`;
        octokitOptions.retryLog?.(
          `${describeCall(options as RequestOptions)}: ${why}; trying again (attempt ${attempt + 1})`,
        );
      }
      throw error;
    }
  });
  return {};
}

/** Outermost: the error a call finally throws says how many requests were made for it. */
function reportAttempts(octokit: Hooked) {
  octokit.hook.wrap('request', async (request, options) => {
    try {
      return await request(options);
    } catch (error) {
      if (typeof error === 'object' && error !== null) {
        Object.assign(error, { attempts: attempts.get(options) ?? 1 });
      }
      throw error;
    }
  });
  return {};
}

/** The REST client every action uses: GitHub's retry and throttling plugins, bounded by our policy. */
const Client = GitHub.plugin(countAttempts, retry, throttling, reportAttempts);
export type Api = InstanceType<typeof Client>;

// plugin-throttling spaces writes 1 s apart (3 s for those that notify) to stay under GitHub's content limits
// (80 a minute). An action makes a handful of writes, and spacing inside one process cannot coordinate separate
// runs anyway, so writes are only serialised; the limits GitHub does answer are waited out below.
const serialWrites = {
  write: new Bottleneck.Group({ id: 'hub-image-actions-write', maxConcurrent: 1 }),
  notifications: new Bottleneck.Group({ id: 'hub-image-actions-notifications', maxConcurrent: 1 }),
};

export interface ClientSettings {
  /** How long "one second" of a server-asked wait is; tests shrink it, as the plugins allow. */
  secondMs?: number;
  /** The API root; default GITHUB_API_URL as the process started with it. */
  baseUrl?: string;
}

function clientOptions(log: ApiLog, settings: ClientSettings = {}) {
  const secondMs = settings.secondMs ?? 1000;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: object, _octokit: unknown, retryCount: number): boolean => {
      const decision = rateLimitDecision(retryAfter, retryCount, waited.get(options) ?? 0);
      const call = describeCall(options as RequestOptions);
      if (!decision.retry) {
        log(`${call}: ${kind}; not waiting again (${decision.why})`);
        return false;
      }
      waited.set(options, (waited.get(options) ?? 0) + decision.delayMs);
      log(
        `${call}: ${kind}; trying again in ${(decision.delayMs / 1000).toFixed(1)} s (attempt ${retryCount + 2} of ${RATE_LIMIT_POLICY.maxAttempts})`,
      );
      return true;
    };
  return {
    ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl }),
    retryLog: log,
    retry: { doNotRetry: DO_NOT_RETRY, retries: SERVER_ERROR_RETRIES, retryAfterBaseValue: secondMs },
    throttle: {
      ...serialWrites,
      retryAfterBaseValue: secondMs,
      onRateLimit: onLimit('rate limit used up (x-ratelimit-remaining: 0)'),
      onSecondaryRateLimit: onLimit('secondary rate limit'),
    },
  };
}

/** A client for GITHUB_API_URL (github.com or GHES) authenticated with a token. */
export function tokenClient(token: string, log: ApiLog, settings?: ClientSettings): Api {
  return new Client(getOctokitOptions(token, clientOptions(log, settings)));
}

/** A client authenticated as the GitHub App itself (a JWT signed with its key), for minting installation tokens. */
export function appClient(app: { appId: string; privateKey: string }, log: ApiLog): Api {
  return new Client({
    ...clientOptions(log),
    authStrategy: createAppAuth,
    auth: { appId: app.appId, privateKey: app.privateKey },
  });
}
