// Which of two image tags is newer. Tags are the first 12 hex characters of the image repo's commit, so their
// order is the commits' order in the image repo, which the GitHub API answers (compare OLD...NEW).

export type TagKind = 'placeholder' | 'commit' | 'other';

/** `PLACEHOLDER` (any case) marks a hub whose first image does not exist yet: always older than any tag. */
export function tagKind(tag: string): TagKind {
  if (/^placeholder$/i.test(tag)) return 'placeholder';
  if (/^[0-9a-f]{7,40}$/.test(tag)) return 'commit';
  return 'other';
}

/** How the commit behind a hub's current tag relates to the commit the new tag was built from. */
export type CommitOrder =
  | { kind: 'older' }
  | { kind: 'same' }
  | { kind: 'newer'; aheadBy: number }
  | { kind: 'diverged'; currentIsLater: boolean }
  | { kind: 'unknown'; why: string };

export type CompareStatus = 'ahead' | 'behind' | 'identical' | 'diverged';

/**
 * From GitHub's compare of CURRENT...NEW: `ahead` means NEW contains CURRENT (an upgrade), `behind` means CURRENT
 * contains NEW (a downgrade). Diverged histories (a rebuilt branch, a rewritten main) are ordered by commit date.
 */
export function orderFromCompare(
  status: CompareStatus,
  behindBy: number,
  dates: { current: string | undefined; next: string | undefined },
): CommitOrder {
  switch (status) {
    case 'ahead':
      return { kind: 'older' };
    case 'identical':
      return { kind: 'same' };
    case 'behind':
      return { kind: 'newer', aheadBy: behindBy };
    case 'diverged': {
      const current = Date.parse(dates.current ?? '');
      const next = Date.parse(dates.next ?? '');
      return {
        kind: 'diverged',
        currentIsLater: !Number.isNaN(current) && !Number.isNaN(next) && current > next,
      };
    }
  }
}
