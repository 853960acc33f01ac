// What a failed git command means: worth another look, the user's to fix, or a bug.

export type GitFailure = 'not-found' | 'unauthorized' | 'forbidden' | 'unreachable' | 'missing-ref' | 'other';

export function classifyGitFailure(stderr: string): GitFailure {
  if (/Repository not found|returned error: 404/i.test(stderr)) return 'not-found';
  if (/returned error: 403|Permission to \S+ denied/i.test(stderr)) return 'forbidden';
  if (
    /Authentication failed|returned error: 401|could not read (Username|Password)|terminal prompts disabled/i.test(
      stderr,
    )
  ) {
    return 'unauthorized';
  }
  if (
    /Could not resolve host|Failed to connect|Connection refused|Connection reset|timed out|Empty reply/i.test(
      stderr,
    )
  ) {
    return 'unreachable';
  }
  if (/couldn't find remote ref/i.test(stderr)) return 'missing-ref';
  return 'other';
}

export type PushOutcome =
  | { status: 'pushed' }
  /** The branch moved since we looked (the lease failed) or the server lost a race on the ref: look again. */
  | { status: 'moved'; detail: string }
  /** The server refused for good (a hook, branch protection): a re-run will not help without a change. */
  | { status: 'refused'; detail: string };

const MOVED =
  /stale info|fetch first|non-fast-forward|failed to update ref|cannot lock ref|incorrect old value|failed to lock/i;

/** Reads `git push --porcelain` (one `FLAG\tFROM:TO\tSUMMARY (REASON)` line per ref) and its stderr. */
export function parsePushOutcome(stdout: string, stderr: string, exitCode: number): PushOutcome {
  const refLine = stdout.split('\n').find((line) => /^[ +\-*!=]\t/.test(line));
  const remote = stderr
    .split('\n')
    .filter((line) => line.startsWith('remote:'))
    .map((line) => line.replace(/^remote:\s?/, '').trim())
    .filter((line) => line !== '');
  if (exitCode === 0 && refLine !== undefined && !refLine.startsWith('!')) return { status: 'pushed' };
  const summary = refLine?.split('\t')[2] ?? stderr.trim().split('\n').pop() ?? '';
  const detail = [summary, ...remote].filter((line) => line !== '').join('; ');
  return MOVED.test(summary) || MOVED.test(stderr)
    ? { status: 'moved', detail }
    : { status: 'refused', detail };
}
