import { formatPath, planTagEdit, type ImageUse } from '@hub-image-actions/deploy-config';
import type { Move } from './order.js';

export interface Change {
  use: ImageUse;
  from: string;
  note?: string;
}

export interface Kept {
  use: ImageUse;
  reason: string;
}

export interface BumpPlan {
  tag: string;
  changes: Change[];
  /** Already at the tag, written as wanted. */
  current: ImageUse[];
  /** Left alone: a newer commit runs there, or a digest pins it. */
  kept: Kept[];
  /** Files with changes, sorted. */
  files: string[];
  /** Hubs with changes, sorted. */
  hubs: string[];
  /** One line per hub (or file outside a hub) with a reference left alone: `hub: reason`. */
  skipped: string[];
}

export function hubLabel(use: ImageUse): string {
  return use.hub ?? use.file;
}

/** Decides, for each reference, whether it moves to `tag`, is already there, or is left alone, and why. */
export function planBump(
  uses: readonly ImageUse[],
  texts: ReadonlyMap<string, string>,
  tag: string,
  move: (current: string) => Move,
): BumpPlan {
  const changes: Change[] = [];
  const current: ImageUse[] = [];
  const kept: Kept[] = [];
  for (const use of uses) {
    if (use.digest !== undefined) {
      kept.push({ use, reason: `pinned by digest ${use.digest.slice(0, 19)}…; edit it by hand` });
      continue;
    }
    const decision = move(use.tag);
    if (decision.action === 'keep') {
      kept.push({ use, reason: decision.reason });
      continue;
    }
    const edit = planTagEdit(texts.get(use.file) ?? '', use, tag);
    if (edit === undefined) {
      current.push(use);
    } else if (decision.action === 'current') {
      changes.push({
        use,
        from: use.tag,
        note: `quoted: unquoted, \`${use.tag}\` reads as a number or boolean`,
      });
    } else {
      changes.push({ use, from: use.tag, ...(decision.note === undefined ? {} : { note: decision.note }) });
    }
  }
  const skipped = new Map<string, string>();
  for (const { use, reason } of kept) {
    const hub = hubLabel(use);
    if (!skipped.has(hub)) skipped.set(hub, `${reason} (${use.file}, ${formatPath(use.path)})`);
  }
  return {
    tag,
    changes,
    current,
    kept,
    files: [...new Set(changes.map((change) => change.use.file))].sort(),
    hubs: [
      ...new Set(changes.flatMap((change) => (change.use.hub === undefined ? [] : [change.use.hub]))),
    ].sort(),
    skipped: [...skipped].map(([hub, reason]) => `${hub}: ${reason}`),
  };
}
