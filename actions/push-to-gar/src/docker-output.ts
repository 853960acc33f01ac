// What `docker push` prints, as dockerd 20.10 and the docker CLI print it: the digest line of a success, and the
// one error line of a failure. dockerd retries only layer uploads (5 tries, waiting 5, 10, 15, 20 s); every other
// failure ends the push at once, and the HTTP status survives only in the text of that line.

export type PushFailureKind =
  /** 5xx, or a registry's "unknown"/"unavailable" error: worth another attempt. */
  | 'server'
  /** 429 / toomanyrequests. dockerd does not pass on Retry-After. */
  | 'rate-limited'
  /** The connection dropped, was reset or timed out before an answer. */
  | 'connection'
  /** 401: the token expired or was revoked. */
  | 'unauthorized'
  /** 403 / denied: a missing role, a repository that does not exist, or the wrong regional host. */
  | 'denied'
  /** 404 NAME_UNKNOWN: the repository does not exist. */
  | 'name-unknown'
  /** DNS has no such host: a mistyped or wrong regional host. */
  | 'unknown-host'
  /** Our own deadline stopped the push. */
  | 'timed-out'
  | 'other';

export interface PushFailure {
  kind: PushFailureKind;
  /** The HTTP status when docker's message shows it. */
  status?: number;
  /** Docker's error line, for the log. */
  message: string;
}

const RETRYABLE: ReadonlySet<PushFailureKind> = new Set(['server', 'rate-limited', 'connection']);

export function isRetryable(kind: PushFailureKind): boolean {
  return RETRYABLE.has(kind);
}

/** The last non-empty line of docker's stderr: the error docker exits with. */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines[lines.length - 1] ?? '';
}

const RULES: ReadonlyArray<{ test: RegExp; kind: PushFailureKind; status?: number }> = [
  { test: /^denied\b|\b403 Forbidden\b/i, kind: 'denied', status: 403 },
  {
    test: /^unauthorized\b|authentication required|\b401 Unauthorized\b/i,
    kind: 'unauthorized',
    status: 401,
  },
  { test: /^name unknown\b|NAME_UNKNOWN/i, kind: 'name-unknown', status: 404 },
  {
    test: /^toomanyrequests\b|\b429 Too Many Requests\b|HTTP 429 response/i,
    kind: 'rate-limited',
    status: 429,
  },
  { test: /\bno such host\b/i, kind: 'unknown-host' },
  // A resumable upload the registry forgot (GAR expires idle sessions): a new attempt starts a new one.
  { test: /^blob upload (unknown|invalid)\b/i, kind: 'server' },
  { test: /^(unknown|unavailable)\b/i, kind: 'server', status: 500 },
  {
    test: /: EOF$|unexpected EOF|connection reset|broken pipe|use of closed network connection|i\/o timeout|TLS handshake timeout|connection refused|request canceled|Client\.Timeout exceeded|server misbehaving|http2: /i,
    kind: 'connection',
  },
];

/** Classifies a failed `docker push` from its exit and stderr. */
export function classifyPushFailure(result: {
  stderr: string;
  stdout?: string;
  timedOut: boolean;
}): PushFailure {
  const line = errorLine(result.stderr);
  if (result.timedOut) {
    // Killed, docker printed no error: its last progress line says what dockerd was doing (often its own retries).
    const last = line || errorLine(result.stdout ?? '');
    return {
      kind: 'timed-out',
      message: `stopped when the retry-timeout passed${last ? ` (last output: ${last})` : ''}`,
    };
  }
  const message = line || '(docker push printed no error)';
  const status = /(?:HTTP status: |HTTP )([45][0-9]{2})\b/.exec(message);
  if (status !== null) {
    const code = Number(status[1]);
    if (code >= 500) return { kind: 'server', status: code, message };
    if (code === 408) return { kind: 'connection', status: code, message };
  }
  for (const rule of RULES) {
    if (rule.test.test(message)) {
      return { kind: rule.kind, message, ...(rule.status === undefined ? {} : { status: rule.status }) };
    }
  }
  return { kind: 'other', message };
}

/** A short reason for the log, e.g. "server error 503". */
export function describeFailure(failure: PushFailure): string {
  switch (failure.kind) {
    case 'server':
      return failure.status === undefined || failure.status === 500
        ? 'server error'
        : `server error ${failure.status}`;
    case 'rate-limited':
      return 'too many requests (429)';
    case 'connection':
      return 'connection dropped';
    case 'unauthorized':
      return 'token rejected (401)';
    case 'denied':
      return 'denied (403)';
    case 'name-unknown':
      return 'repository not found';
    case 'unknown-host':
      return 'no such host';
    case 'timed-out':
      return 'stopped at the retry-timeout';
    case 'other':
      return 'push failed';
  }
}

/** The digest `docker push` reports for `tag`: `TAG: digest: sha256:… size: N`. */
export function reportedDigest(stdout: string, tag: string): string | undefined {
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^(\S+): digest: (sha256:[0-9a-f]{64}) size: [0-9]+$/.exec(line.trim());
    if (match !== null && match[1] === tag) return match[2];
  }
  return undefined;
}

/**
 * Filters docker's progress lines for a log that people read: without a TTY docker prints one line per layer and
 * state, and while it waits between its own layer retries a "Retrying in N seconds" line every second. Only the
 * first line of each countdown is kept (a new countdown starts higher than the last number seen).
 */
export class ProgressFilter {
  private readonly countdown = new Map<string, number>();

  keep(line: string): boolean {
    const match = /^([0-9a-f]{12}): (.*)$/.exec(line.trim());
    if (match === null) return line.trim() !== '';
    const [, layer = '', status = ''] = match;
    const retry = /^Retrying in ([0-9]+) seconds?$/.exec(status);
    if (retry === null) {
      this.countdown.delete(layer);
      return true;
    }
    const seconds = Number(retry[1]);
    const last = this.countdown.get(layer);
    this.countdown.set(layer, seconds);
    return last === undefined || seconds >= last;
  }
}
