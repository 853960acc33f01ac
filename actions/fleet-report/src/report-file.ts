import type { Inputs } from './context.js';
import type { DeploymentRead } from './deployment.js';
import type { ImageFacts } from './facts.js';
import type { Report } from './report.js';

// The whole report as JSON, for other tools (the `report-file` output). Version 1; fields are only ever added.

export function reportJson(
  report: Report,
  inputs: Pick<Inputs, 'deploymentRepo' | 'registry' | 'driftDays'>,
  read: Pick<DeploymentRead, 'branches' | 'repos'>,
  images: ReadonlyMap<string, ImageFacts>,
  now: Date,
): unknown {
  return {
    version: 1,
    generatedAt: now.toISOString(),
    deploymentRepo: `${inputs.deploymentRepo.owner}/${inputs.deploymentRepo.repo}`,
    registry: inputs.registry,
    driftDays: inputs.driftDays,
    branches: read.branches.map((branch) => ({ name: branch.name, sha: branch.sha })),
    reposFile: {
      path: read.repos.path,
      state: read.repos.state,
      ...(read.repos.state === 'unreadable' ? { why: read.repos.why } : {}),
    },
    summary: {
      broken: report.broken,
      problems: report.problems.length,
      unknown: report.unknown.length,
      hubs: report.hubs,
      images: report.images,
      counts: report.counts,
    },
    images: [...images.values()].map((facts) => ({
      image: facts.image,
      registry:
        facts.listing.kind === 'listed'
          ? { state: 'listed', tags: facts.listing.tags.size }
          : facts.listing.kind === 'absent'
            ? { state: 'absent' }
            : { state: 'unknown', why: facts.listing.why },
      repo: facts.repo === undefined ? null : `${facts.repo.owner}/${facts.repo.repo}`,
      newest: facts.newest,
      bumpPull: facts.bumpPull ?? null,
    })),
    rows: report.rows.map((row) => ({
      hub: row.hub,
      image: row.image,
      key: row.key,
      legacy: row.legacy,
      branches: Object.fromEntries(
        report.branches.map((branch, index) => {
          const cell = row.cells[index];
          return [
            branch,
            cell === undefined
              ? null
              : {
                  tag: cell.tag,
                  digest: cell.digest ?? null,
                  file: cell.file,
                  line: cell.line,
                  exists: cell.exists ?? null,
                  imageDigest: cell.imageDigest ?? null,
                  behind: cell.behind ?? null,
                  overridden: cell.overridden,
                },
          ];
        }),
      ),
      drift:
        row.drift === undefined
          ? null
          : {
              since: row.drift.since ?? null,
              atLeastSince: row.drift.atLeastSince ?? null,
              olderThanLimit: row.drift.olderThanLimit,
            },
      problems: row.problems.map((problem) => problem.kind),
    })),
    problems: report.problems.map((problem) => ({
      ...problem,
      hub: problem.hub ?? null,
      image: problem.image ?? null,
      file: problem.file ?? null,
      line: problem.line ?? null,
    })),
    unknown: report.unknown,
  };
}
