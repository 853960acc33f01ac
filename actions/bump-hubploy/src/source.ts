import * as core from '@actions/core';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { type Repo } from '@hub-image-actions/github-access';
import type { Inputs } from './context.js';
import * as gh from './github.js';
import { decideMove, orderFromCompare, tagKind, type CommitOrder, type Move } from './order.js';
import type { SourceFacts } from './report.js';

/** What the image repository says about commits: which tags are older than the new one, and where it came from. */
export class ImageHistory {
  private readonly orders = new Map<string, CommitOrder | undefined>();
  private commit: gh.SourceCommit | undefined;
  private facts: SourceFacts | undefined;

  constructor(
    private readonly api: gh.Api | undefined,
    private readonly inputs: Pick<Inputs, 'sourceRepo' | 'sourceSha' | 'tag'>,
    private readonly serverUrl: string,
  ) {}

  /** Orders every commit-like tag against the new tag's commit (cached across push attempts). */
  async learn(tags: Iterable<string>): Promise<void> {
    const wanted = [...new Set(tags)].filter(
      (tag) => tag !== this.inputs.tag && tagKind(tag) === 'commit' && !this.orders.has(tag),
    );
    if (wanted.length === 0) return;
    const { api, source } = this.readable(wanted);
    const next = await this.sourceCommit(api, source);
    for (const tag of wanted) {
      const comparison = await gh.compareSource(api, source.repo, tag, next.sha);
      const order: CommitOrder = comparison.found
        ? orderFromCompare(comparison.status, comparison.behindBy, {
            current: comparison.baseDate,
            next: next.date,
          })
        : { kind: 'unknown', why: `not a commit of ${source.repo.owner}/${source.repo.repo}` };
      this.orders.set(tag, order);
      core.info(`  ${tag}: ${describeOrder(order, next.sha.slice(0, 12))}`);
    }
  }

  move(current: string): Move {
    return decideMove(current, this.inputs.tag, this.orders.get(current));
  }

  /** Links for the pull request: the source commit and the merged pull request behind it. */
  async describe(): Promise<SourceFacts | undefined> {
    const { sourceRepo, sourceSha } = this.inputs;
    if (this.facts !== undefined || sourceRepo === undefined || sourceSha === undefined) return this.facts;
    const name = `${sourceRepo.owner}/${sourceRepo.repo}`;
    let commitUrl = `${this.serverUrl}/${name}/commit/${sourceSha}`;
    let pull: SourceFacts['pull'];
    if (this.api !== undefined) {
      const commit = await this.sourceCommit(this.api, { repo: sourceRepo, sha: sourceSha });
      commitUrl = commit.htmlUrl;
      try {
        pull = await gh.mergedPullFor(this.api, sourceRepo, commit.sha);
      } catch (error) {
        core.warning(
          `Could not look up the pull request that merged ${sourceSha.slice(0, 12)}: ${String(error)}`,
        );
      }
    }
    this.facts = { repo: name, sha: sourceSha, commitUrl, ...(pull === undefined ? {} : { pull }) };
    return this.facts;
  }

  private readable(tags: string[]): { api: gh.Api; source: { repo: Repo; sha: string } } {
    const { sourceRepo, sourceSha } = this.inputs;
    if (this.api === undefined || sourceRepo === undefined || sourceSha === undefined) {
      throw new ConfigurationError(
        `cannot check that ${tags.join(', ')} ${tags.length === 1 ? 'is' : 'are'} older than ${this.inputs.tag}: ${this.api === undefined ? '"source-token" is empty' : '"source-repo" and "source-sha" are needed'}`,
        'Give "source-repo", "source-sha" and a "source-token" that can read the image repository',
      );
    }
    return { api: this.api, source: { repo: sourceRepo, sha: sourceSha } };
  }

  private async sourceCommit(api: gh.Api, source: { repo: Repo; sha: string }): Promise<gh.SourceCommit> {
    this.commit ??= await gh.sourceCommit(api, source.repo, source.sha);
    return this.commit;
  }
}

export function describeOrder(order: CommitOrder, next: string): string {
  switch (order.kind) {
    case 'older':
      return `older than ${next}`;
    case 'same':
      return `the same commit as ${next}`;
    case 'newer':
      return `${order.aheadBy} commit(s) newer than ${next}`;
    case 'diverged':
      return `on another line of history than ${next}, ${order.currentIsLater ? 'later' : 'earlier'}`;
    case 'unknown':
      return `${order.why}, so its order is unknown`;
  }
}
