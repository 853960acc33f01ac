import type { ImageName } from '@hub-image-actions/image-ref';
import type { BumpPlan } from './plan.js';
import type { LegacyOnlyReference } from '@hub-image-actions/deploy-config';
import { changesTable, keptTable, legacyNote } from './report.js';

export type BranchResult =
  | {
      kind: 'nothing';
      reason: string;
      plan?: BumpPlan;
      /** The bump branch exists and holds only our commits. */ closable: boolean;
    }
  | { kind: 'superseded'; branchTag: string }
  | { kind: 'planned'; plan: BumpPlan }
  | { kind: 'current'; plan: BumpPlan; sha: string }
  | { kind: 'pushed'; plan: BumpPlan; previousTag: string | undefined; sha: string };

/** Another job of the same image replaced (or deleted) the commit this run pushed, before the PR was written. */
export interface Overtaken {
  kind: 'overtaken';
  /** This run's commit. */
  sha: string;
  /** The branch's head now; undefined when the branch is gone. */
  head: string | undefined;
}

export type Operation = 'created' | 'updated' | 'unchanged' | 'none';

export type Outcome = (BranchResult | Overtaken) & {
  operation: Operation;
  pull?: { number: number; url: string };
};

function planOf(outcome: Outcome): BumpPlan | undefined {
  return 'plan' in outcome ? outcome.plan : undefined;
}

export function outputsFor(outcome: Outcome): Record<string, string> {
  const plan = planOf(outcome);
  const changed =
    outcome.kind === 'pushed' || (outcome.kind === 'planned' && outcome.plan.changes.length > 0);
  return {
    changed: String(changed),
    operation: outcome.operation,
    'pull-request-number': outcome.pull === undefined ? '' : String(outcome.pull.number),
    'pull-request-url': outcome.pull?.url ?? '',
    'changed-files': outcome.kind === 'nothing' ? '' : (plan?.files.join('\n') ?? ''),
    hubs: outcome.kind === 'nothing' ? '' : (plan?.hubs.join('\n') ?? ''),
    'skipped-hubs': plan?.skipped.join('\n') ?? '',
  };
}

export function headline(outcome: Outcome, tag: string): string {
  const pull = outcome.pull === undefined ? '' : ` #${outcome.pull.number}`;
  const plan = planOf(outcome);
  const count =
    plan === undefined ? '' : `${plan.changes.length} reference(s) in ${plan.files.length} file(s)`;
  switch (outcome.kind) {
    case 'nothing':
      return `Nothing to do: ${outcome.reason}.`;
    case 'superseded':
      return `Nothing to do: the bump branch already carries ${outcome.branchTag}, newer than ${tag}.`;
    case 'overtaken':
      return `Another run ${outcome.head === undefined ? 'deleted the bump branch' : `replaced this run's commit ${outcome.sha.slice(0, 12)} with ${outcome.head.slice(0, 12)}`} before this run reached the pull request${pull}; left it to that run.`;
    case 'planned':
      return `Dry run: would move ${count} to ${tag}; nothing was pushed.`;
    case 'current':
    case 'pushed':
      return outcome.operation === 'created'
        ? `Opened pull request${pull} moving ${count} to ${tag}.`
        : outcome.operation === 'updated'
          ? `Updated pull request${pull}: ${count} now move to ${tag}.`
          : `Pull request${pull} already moves ${count} to ${tag}.`;
  }
}

/** What the summary says besides the outcome: warnings a user should act on. */
export interface SummaryNotes {
  nothingSelected?: string;
  legacy?: readonly LegacyOnlyReference[];
}

export function summaryFor(
  image: ImageName,
  tag: string,
  outcome: Outcome,
  notes: SummaryNotes = {},
): string {
  const plan = planOf(outcome);
  const parts = [`### bump-hubploy: \`${image.full}\` → \`${tag}\``, headline(outcome, tag)];
  if (notes.nothingSelected !== undefined) parts.push(`> [!WARNING]\n> ${notes.nothingSelected}`);
  const legacy = legacyNote(notes.legacy ?? []);
  if (legacy !== '') parts.push(legacy);
  if (outcome.pull !== undefined) parts.push(`Pull request: ${outcome.pull.url}`);
  if (plan !== undefined && plan.changes.length > 0) parts.push(changesTable(plan));
  if (plan !== undefined && plan.kept.length > 0) parts.push('**Left alone**', keptTable(plan));
  return `${parts.join('\n\n')}\n`;
}
