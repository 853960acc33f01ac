import { ConfigurationError } from '@hub-image-actions/action-io';

// What a failed GitHub API call means, told in terms of the action's inputs. No transport here: the client
// (client.ts) retries; this module only explains what is left.

interface ApiErrorShape {
  status?: unknown;
  message?: unknown;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
  /** Set by the client on the error it finally throws: how many requests were made for this call. */
  attempts?: unknown;
}

export interface ApiFailure {
  status: number | undefined;
  message: string;
  header: (name: string) => string | undefined;
  /** True when no HTTP answer came back (connection refused or reset, DNS, timeout). */
  noResponse: boolean;
  /** Requests made for the call, retries included (1 when unknown). */
  attempts: number;
}

export function apiFailure(error: unknown): ApiFailure {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as ApiErrorShape;
  const headers = shape.response?.headers ?? {};
  const data = shape.response?.data;
  const dataMessage =
    typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string'
      ? (data as { message: string }).message
      : undefined;
  return {
    status: typeof shape.status === 'number' && shape.status > 0 ? shape.status : undefined,
    message: dataMessage ?? (error instanceof Error ? error.message : String(error)),
    header: (name) => {
      const value = headers[name.toLowerCase()];
      return value === undefined ? undefined : String(value);
    },
    noResponse: shape.response === undefined,
    attempts: typeof shape.attempts === 'number' ? shape.attempts : 1,
  };
}

/** A request that got no HTTP answer (Octokit reports those as status 500 without a response). */
export function isNoAnswer(error: unknown): boolean {
  return error instanceof Error && error.name === 'HttpError' && apiFailure(error).noResponse;
}

export function statusOf(error: unknown): number | undefined {
  return apiFailure(error).status;
}

/** GitHub's rate limits, as the REST docs describe them: which one answered, and until when. */
export type RateLimit =
  | { kind: 'primary'; resetsAt: Date | undefined }
  | { kind: 'secondary'; retryAfterSeconds: number | undefined };

export function rateLimitOf(failure: ApiFailure): RateLimit | undefined {
  if (failure.status !== 403 && failure.status !== 429) return undefined;
  if (/secondary rate limit/i.test(failure.message)) {
    const after = Number(failure.header('retry-after'));
    return { kind: 'secondary', retryAfterSeconds: Number.isFinite(after) && after > 0 ? after : undefined };
  }
  if (failure.header('x-ratelimit-remaining') === '0') {
    const reset = Number(failure.header('x-ratelimit-reset'));
    return {
      kind: 'primary',
      resetsAt: Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined,
    };
  }
  return undefined;
}

/** What the caller knows about a call: what it did, the permission it needs, and what a 404 most likely means. */
export interface CallFacts {
  /** e.g. `listing the open pull requests of BRANCH in OWNER/NAME`. */
  call: string;
  /** The permission the token needs for this call, e.g. `pull-requests: write`. */
  permission: string;
  /** Why the thing may be missing (default: the token cannot see it). */
  missing?: string;
  /** What a re-run does, e.g. "it picks up where this run stopped". */
  rerun?: string;
}

const DEFAULT_RERUN = 'it picks up where this run stopped';

/**
 * Turns a failed API call that has no more specific explanation into an error that names the call, GitHub's
 * status and message, and what to do: which credential input to check, which permission to grant, when to
 * re-run. Errors that are not API answers (bugs) are returned unchanged.
 */
export function callError(error: unknown, facts: CallFacts): unknown {
  if (error instanceof ConfigurationError) return error;
  const failure = apiFailure(error);
  const rerun = facts.rerun ?? DEFAULT_RERUN;
  const tries = failure.attempts > 1 ? ` (gave up after ${failure.attempts} attempts)` : '';
  if (isNoAnswer(error)) {
    return new ConfigurationError(
      `${facts.call}: no answer from the GitHub API (${failure.message})${tries}`,
      `Check that this runner can reach GITHUB_API_URL, then re-run: ${rerun}`,
    );
  }
  if (failure.status === undefined) return error;
  const answer = `${failure.status} ${failure.message}`;
  const limit = rateLimitOf(failure);
  if (limit?.kind === 'primary') {
    const until = limit.resetsAt === undefined ? '' : ` until ${limit.resetsAt.toISOString()}`;
    return new ConfigurationError(
      `${facts.call}: the token has used up its GitHub API rate limit${until} (${answer})${tries}`,
      `Re-run the job after that: ${rerun}`,
    );
  }
  if (limit?.kind === 'secondary') {
    return new ConfigurationError(
      `${facts.call}: GitHub kept answering with its secondary rate limit (${answer})${tries}`,
      `Too many requests at once from this token (other jobs?); re-run the job in a few minutes: ${rerun}`,
    );
  }
  switch (failure.status) {
    case 401:
      return new ConfigurationError(
        `${facts.call}: GitHub refused the token (${answer})`,
        'The token is invalid, expired or revoked: check the "token" secret, or the GitHub App credentials ("app-id", "private-key")',
      );
    case 403:
      return new ConfigurationError(
        `${facts.call}: GitHub denied it (${answer})`,
        `Give the token (or the GitHub App) ${facts.permission}, then re-run: ${rerun}`,
      );
    case 404:
      return new ConfigurationError(
        `${facts.call}: GitHub answered ${answer}; ${facts.missing ?? 'the token may not be able to see it'}`,
        `Re-run the job: ${rerun}`,
      );
    case 422:
      return new ConfigurationError(
        `${facts.call}: GitHub rejected it (${answer}${validationDetails(error)})`,
        'Re-run the job; if it fails the same way, fix what GitHub names above',
      );
    default:
      return new ConfigurationError(
        `${facts.call}: GitHub answered ${answer}${tries}`,
        `GitHub had trouble answering; re-run the job later: ${rerun}`,
      );
  }
}

/** The `errors` of a 422 answer, e.g. "A pull request already exists for …". */
export function validationDetails(error: unknown): string {
  const errors = (error as { response?: { data?: { errors?: unknown } } }).response?.data?.errors;
  if (!Array.isArray(errors)) return '';
  const parts = errors
    .map((entry: unknown) =>
      typeof entry === 'string'
        ? entry
        : typeof entry === 'object' && entry !== null
          ? String(
              (entry as { message?: unknown; code?: unknown }).message ??
                (entry as { code?: unknown }).code ??
                '',
            )
          : '',
    )
    .filter((part) => part !== '');
  return parts.length === 0 ? '' : `: ${parts.join('; ')}`;
}
