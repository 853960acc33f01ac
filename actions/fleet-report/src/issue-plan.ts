import { contentOf } from './markdown.js';

// One issue per deployment repo, edited in place: what to do with it this run.

export interface ExistingIssue {
  number: number;
  url: string;
  state: 'open' | 'closed';
  title: string;
  body: string;
}

export type IssuePlan =
  | { action: 'none'; reason: string }
  | { action: 'create'; title: string; body: string }
  | { action: 'update'; number: number; title: string; body: string }
  | { action: 'reopen'; number: number; title: string; body: string }
  | { action: 'close'; number: number; comment: string };

export function planIssue(
  existing: ExistingIssue | undefined,
  wanted: { problems: number; title: string; content: string; body: string; runUrl: string | undefined },
): IssuePlan {
  if (wanted.problems === 0) {
    if (existing === undefined || existing.state === 'closed') {
      return { action: 'none', reason: 'no problem, and no open report issue' };
    }
    const run = wanted.runUrl === undefined ? '' : ` ([run](${wanted.runUrl}))`;
    return { action: 'close', number: existing.number, comment: `No problem remains${run}: closing.` };
  }
  if (existing === undefined) return { action: 'create', title: wanted.title, body: wanted.body };
  if (existing.state === 'closed') {
    return { action: 'reopen', number: existing.number, title: wanted.title, body: wanted.body };
  }
  if (existing.title === wanted.title && contentOf(existing.body) === wanted.content) {
    return { action: 'none', reason: `#${existing.number} already says this` };
  }
  return { action: 'update', number: existing.number, title: wanted.title, body: wanted.body };
}

/** The report's issue among those found: the open one first, then the newest closed one. */
export function chooseIssue(found: readonly ExistingIssue[]): {
  issue: ExistingIssue | undefined;
  others: number[];
} {
  const sorted = [...found].sort(
    (a, b) =>
      Number(b.state === 'open') - Number(a.state === 'open') ||
      (a.state === 'open' ? a.number - b.number : b.number - a.number),
  );
  const [issue, ...rest] = sorted;
  return { issue, others: rest.filter((other) => other.state === 'open').map((other) => other.number) };
}
