import { tagKind, type CommitOrder } from '@hub-image-actions/image-history';

// Whether a hub's reference may move to the new tag, from the order of their commits in the image repo.

export {
  orderFromCompare,
  tagKind,
  type CommitOrder,
  type CompareStatus,
} from '@hub-image-actions/image-history';

export type Move =
  { action: 'bump'; note?: string } | { action: 'keep'; reason: string } | { action: 'current' };

/**
 * Whether a reference at `current` may move to `next`. Only a provable downgrade is refused: a tag that is not a
 * commit of the image repo (a hand-made tag such as `v2`, or a commit the repo no longer has) cannot be ordered,
 * so the bump goes ahead and the pull request says the order was not checked.
 */
export function decideMove(current: string, next: string, order: CommitOrder | undefined): Move {
  if (current === next) return { action: 'current' };
  const kind = tagKind(current);
  if (kind === 'placeholder') return { action: 'bump' };
  if (kind === 'other' || order === undefined) {
    return {
      action: 'bump',
      note: `\`${current}\` is not a commit of the image repository; order not checked`,
    };
  }
  switch (order.kind) {
    case 'older':
    case 'same':
      return { action: 'bump' };
    case 'newer':
      return {
        action: 'keep',
        reason: `runs \`${current}\`, ${order.aheadBy} commit${order.aheadBy === 1 ? '' : 's'} newer than \`${next}\``,
      };
    case 'diverged':
      return order.currentIsLater
        ? {
            action: 'keep',
            reason: `runs \`${current}\`, a later commit on another line of history than \`${next}\``,
          }
        : {
            action: 'bump',
            note: `\`${current}\` is on another line of history; \`${next}\` is the later commit`,
          };
    case 'unknown':
      return { action: 'bump', note: `\`${current}\`: ${order.why}; order not checked` };
  }
}
