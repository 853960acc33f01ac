/** The two commits a pull request compares: its base branch tip and its head, as the event payload names them. */
export interface PullRequestRange {
  base: string;
  head: string;
  number: number | undefined;
}

/** Why there is no range to diff: the event is not a pull request, or its payload lacks the commits. */
export interface NoRange {
  reason: string;
}

const SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

function field(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Reads base and head from a `pull_request` event payload (`pull_request.base.sha`, `pull_request.head.sha`).
 * Other events have no pull request to compare, and `pull_request_target` runs on the base branch's files, so
 * its changed files are not the ones in the workspace.
 */
export function pullRequestRange(eventName: string, payload: unknown): PullRequestRange | NoRange {
  if (eventName !== 'pull_request') {
    return { reason: `the event is ${eventName || 'unknown'}, not pull_request` };
  }
  const base = field(payload, 'pull_request', 'base', 'sha');
  const head = field(payload, 'pull_request', 'head', 'sha');
  const number = field(payload, 'pull_request', 'number');
  for (const [name, value] of [
    ['base', base],
    ['head', head],
  ] as const) {
    if (typeof value !== 'string' || !SHA.test(value)) {
      return {
        reason: `the pull_request event payload has no valid pull_request.${name}.sha (got ${JSON.stringify(value) ?? 'nothing'})`,
      };
    }
  }
  return {
    base: base as string,
    head: head as string,
    number: typeof number === 'number' ? number : undefined,
  };
}

/** `git diff --name-only -z` output → paths, as the bytes git gave (a name need not be UTF-8). */
export function parseNulSeparated(output: Buffer): Buffer[] {
  const paths: Buffer[] = [];
  for (let start = 0; start < output.length;) {
    const end = output.indexOf(0, start);
    const stop = end < 0 ? output.length : end;
    if (stop > start) paths.push(output.subarray(start, stop));
    start = stop + 1;
  }
  return paths;
}
