// The `hub: <name>` labels of the bump pull request: one per hub the bump moves, and no stale ones.

/** GitHub refuses label names longer than this (422). */
export const MAX_LABEL_LENGTH = 50;
const PREFIX = 'hub: ';

export interface LabelChanges {
  add: string[];
  remove: string[];
  /** Hubs whose label would be too long for GitHub. */
  tooLong: string[];
}

/** What to add and remove so the pull request carries exactly the labels of `hubs`; other labels stay. */
export function labelChanges(hubs: readonly string[], current: readonly string[]): LabelChanges {
  const named = hubs.map((hub) => ({ hub, label: `${PREFIX}${hub}` }));
  const tooLong = named.filter(({ label }) => label.length > MAX_LABEL_LENGTH).map(({ hub }) => hub);
  const wanted = named.filter(({ label }) => label.length <= MAX_LABEL_LENGTH).map(({ label }) => label);
  return {
    add: wanted.filter((label) => !current.includes(label)),
    remove: current.filter((label) => label.startsWith(PREFIX) && !wanted.includes(label)),
    tooLong,
  };
}
