import {
  deployedUses,
  legacyOnlyReferences,
  readsAsPlainString,
  type DeployedUse,
  type ImageUse,
} from '@hub-image-actions/deploy-config';
import { tagKind } from '@hub-image-actions/image-history';
import type {
  Behind,
  BranchFacts,
  BumpPull,
  DriftAge,
  ImageFacts,
  Listing,
  Newest,
  ReposFacts,
} from './facts.js';
import { imageShortName, repoOfImage } from './repos-file.js';

// The report's decisions: which place of which hub runs what on each branch, and what is wrong with it, most
// severe first. Pure: every fact comes in as data.

/** Problem kinds, most severe first. */
export const PROBLEM_KINDS = [
  'missing',
  'unreadable-file',
  'placeholder',
  'numeric-tag',
  'digest-pin',
  'legacy-only',
  'not-editable',
  'drift',
  'not-in-repos-file',
  'unused-repo',
] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

/** `broken`: the hub cannot start a server with it. */
export type Severity = 'broken' | 'warning' | 'notice';

const SEVERITY: Record<ProblemKind, Severity> = {
  missing: 'broken',
  'unreadable-file': 'warning',
  placeholder: 'warning',
  'numeric-tag': 'warning',
  'digest-pin': 'notice',
  'legacy-only': 'warning',
  'not-editable': 'notice',
  drift: 'warning',
  'not-in-repos-file': 'notice',
  'unused-repo': 'notice',
};

export const PROBLEM_TITLES: Record<ProblemKind, string> = {
  missing: 'missing from the registry',
  'unreadable-file': 'file does not parse',
  placeholder: 'placeholder tag',
  'numeric-tag': 'unquoted numeric tag',
  'digest-pin': 'pinned by digest',
  'legacy-only': 'set only in a legacy hubploy.yaml',
  'not-editable': 'not editable by a bump',
  drift: 'staging ≠ prod',
  'not-in-repos-file': 'not in repos.txt',
  'unused-repo': 'unused repo',
};

export interface Problem {
  kind: ProblemKind;
  severity: Severity;
  hub: string | undefined;
  image: string | undefined;
  /** Branches where it is so. */
  branches: string[];
  file: string | undefined;
  line: number | undefined;
  message: string;
  fix: string;
}

/** What one branch deploys at one place of one hub. */
export interface Cell {
  tag: string;
  digest: string | undefined;
  file: string;
  line: number;
  /** Whether the registry holds it; undefined when that is not known. */
  exists: boolean | undefined;
  /** The manifest digest the registry holds for it. */
  imageDigest: string | undefined;
  behind: Behind | undefined;
  /** `config/<branch>.yaml` overrides the hub's common.yaml here. */
  overridden: boolean;
}

export interface Row {
  hub: string;
  image: string;
  /** Where in the hub's values, e.g. `jupyterhub.singleuser.image`. */
  key: string;
  /** One per branch, in the order of the `branches` input; undefined where the branch sets nothing here. */
  cells: Array<Cell | undefined>;
  legacy: boolean;
  newest: Newest | undefined;
  bumpPull: BumpPull | undefined;
  drift: DriftAge | undefined;
  problems: Problem[];
}

export interface Report {
  branches: string[];
  rows: Row[];
  /** Each problem once, most severe first. */
  problems: Problem[];
  counts: Record<ProblemKind, number>;
  broken: number;
  hubs: number;
  images: number;
  /** Images whose registry state or history is not known, and why. */
  unknown: Array<{ image: string; why: string }>;
}

export interface ReportInput {
  branches: readonly BranchFacts[];
  images: ReadonlyMap<string, ImageFacts>;
  repos: ReposFacts;
  drift: ReadonlyMap<string, DriftAge>;
  driftDays: number;
}

const code = (text: string) => `\`${text}\``;

export function rowId(hub: string, image: string, key: string): string {
  return `${hub}\0${image}\0${key}`;
}

export function severityOf(kind: ProblemKind): Severity {
  return SEVERITY[kind];
}

function rank(kind: ProblemKind): number {
  return PROBLEM_KINDS.indexOf(kind);
}

/** The places each branch deploys (and legacy-only stanzas), keyed by rowId. */
export function placesOf(
  branches: readonly BranchFacts[],
  image: string,
): Map<string, { hub: string; key: string; legacy: boolean; uses: Array<DeployedUse | undefined> }> {
  const places = new Map<
    string,
    { hub: string; key: string; legacy: boolean; uses: Array<DeployedUse | undefined> }
  >();
  branches.forEach((branch, index) => {
    const uses = branch.uses.get(image) ?? [];
    const add = (deployed: DeployedUse, legacy: boolean) => {
      const id = rowId(deployed.hub, image, deployed.key);
      const place = places.get(id) ?? {
        hub: deployed.hub,
        key: deployed.key,
        legacy,
        uses: branches.map(() => undefined),
      };
      place.uses[index] = deployed;
      places.set(id, place);
    };
    for (const deployed of deployedUses(uses, branch.name)) add(deployed, false);
    for (const legacy of legacyOnlyReferences(uses)) {
      const use = uses.find((candidate) => candidate.file === legacy.file && candidate.line === legacy.line);
      if (use !== undefined) add({ hub: legacy.hub ?? legacy.file, key: 'hubploy.yaml images', use }, true);
    }
  });
  return places;
}

function existsIn(
  listing: Listing,
  use: ImageUse,
  digests: ReadonlyMap<string, string | null>,
): boolean | undefined {
  if (use.digest !== undefined) {
    const found = digests.get(use.digest);
    return found === undefined ? undefined : found !== null;
  }
  if (tagKind(use.tag) === 'placeholder') return false;
  if (listing.kind === 'absent') return false;
  if (listing.kind === 'unknown') return undefined;
  return listing.tags.has(use.tag);
}

function cellOf(facts: ImageFacts, deployed: DeployedUse): Cell {
  const { use } = deployed;
  const exists = existsIn(facts.listing, use, facts.digests);
  const ref = use.digest ?? use.tag;
  return {
    tag: use.tag,
    digest: use.digest,
    file: use.file,
    line: use.line,
    exists,
    imageDigest: facts.digests.get(ref) ?? undefined,
    behind: use.digest === undefined ? facts.behind.get(use.tag) : undefined,
    overridden: deployed.overrides !== undefined,
  };
}

/** Same image on two branches: the same tag, or tags the registry holds the same digest under. */
export function sameImage(a: Cell, b: Cell): boolean {
  if (a.tag === b.tag && a.digest === b.digest) return true;
  return a.imageDigest !== undefined && a.imageDigest === b.imageDigest;
}

/** Places where the first branch runs another image than a later one: candidates for the drift check. */
export function driftCandidates(rows: readonly Row[]): Row[] {
  return rows.filter((row) => {
    const [first, ...others] = row.cells;
    return (
      !row.legacy &&
      first !== undefined &&
      others.some((cell) => cell !== undefined && !sameImage(first, cell))
    );
  });
}

/** Rows before drift ages and problems are known: what each branch deploys where. */
export function buildRows(branches: readonly BranchFacts[], images: ReadonlyMap<string, ImageFacts>): Row[] {
  return placedRows(branches, images).map(({ row }) => row);
}

function placedRows(
  branches: readonly BranchFacts[],
  images: ReadonlyMap<string, ImageFacts>,
): Array<{ row: Row; uses: Array<DeployedUse | undefined> }> {
  const rows: Array<{ row: Row; uses: Array<DeployedUse | undefined> }> = [];
  for (const [image, facts] of images) {
    for (const place of placesOf(branches, image).values()) {
      const row: Row = {
        hub: place.hub,
        image,
        key: place.key,
        cells: place.uses.map((deployed) => (deployed === undefined ? undefined : cellOf(facts, deployed))),
        legacy: place.legacy,
        newest: facts.newest,
        bumpPull: facts.bumpPull,
        drift: undefined,
        problems: [],
      };
      rows.push({ row, uses: place.uses });
    }
  }
  return rows;
}

class ProblemSet {
  private readonly byKey = new Map<string, Problem>();

  add(key: string, problem: Omit<Problem, 'severity'>): Problem {
    const known = this.byKey.get(key);
    if (known !== undefined) {
      for (const branch of problem.branches)
        if (!known.branches.includes(branch)) known.branches.push(branch);
      return known;
    }
    const added = { ...problem, severity: SEVERITY[problem.kind] };
    this.byKey.set(key, added);
    return added;
  }

  sorted(): Problem[] {
    return [...this.byKey.values()].sort(
      (a, b) =>
        rank(a.kind) - rank(b.kind) ||
        (a.hub ?? '').localeCompare(b.hub ?? '') ||
        (a.file ?? '').localeCompare(b.file ?? '') ||
        (a.line ?? 0) - (b.line ?? 0),
    );
  }
}

function shown(image: string): string {
  return code(image);
}

function referenceProblems(set: ProblemSet, row: Row, branches: readonly string[]): void {
  const attach = (problem: Problem) => {
    if (!row.problems.includes(problem)) row.problems.push(problem);
  };
  row.cells.forEach((cell, index) => {
    if (cell === undefined) return;
    const branch = branches[index] ?? '';
    const where = { hub: row.hub, image: row.image, branches: [branch], file: cell.file, line: cell.line };
    const key = (kind: ProblemKind) => `${kind}\0${cell.file}\0${cell.line}\0${cell.digest ?? cell.tag}`;
    const placeholder = cell.digest === undefined && tagKind(cell.tag) === 'placeholder';
    if (row.legacy) {
      attach(
        set.add(key('legacy-only'), {
          kind: 'legacy-only',
          ...where,
          message: `hub ${row.hub} sets ${shown(row.image)} only in the "images:" stanza of ${cell.file}, which hubploy dropped in 1.0 (2025-10): the hub deploys the chart's default image`,
          fix: "Set the image in the hub's helm values (jupyterhub.singleuser.image in config/common.yaml)",
        }),
      );
      return;
    }
    if (placeholder) {
      attach(
        set.add(key('placeholder'), {
          kind: 'placeholder',
          ...where,
          message: `hub ${row.hub} runs ${shown(row.image)} at the placeholder tag ${code(cell.tag)}: no image exists yet`,
          fix: "Merge the image repo's first change (its bump pull request sets the tag), or set a pushed tag by hand",
        }),
      );
    } else if (cell.exists === false) {
      const what = cell.digest === undefined ? `tag ${code(cell.tag)}` : `digest ${code(cell.digest)}`;
      attach(
        set.add(key('missing'), {
          kind: 'missing',
          ...where,
          message: `hub ${row.hub} runs ${shown(row.image)} at ${what}, which the registry does not hold: the hub cannot start a server`,
          fix: 'Point it at a pushed tag (the newest is in the report), or push that image again',
        }),
      );
    }
    if (cell.digest !== undefined) {
      attach(
        set.add(key('digest-pin'), {
          kind: 'digest-pin',
          ...where,
          message: `hub ${row.hub} pins ${shown(row.image)} by digest (${code(cell.digest.slice(0, 19))}…): bumps leave it alone`,
          fix: 'Replace the digest with a tag if the hub should follow new images',
        }),
      );
    }
  });
}

function numericProblems(
  set: ProblemSet,
  row: Row,
  uses: Array<DeployedUse | undefined>,
  branches: readonly string[],
) {
  uses.forEach((deployed, index) => {
    const use = deployed?.use;
    if (use === undefined || row.legacy || use.kind === 'inline' || use.spot?.style !== 'plain') return;
    if (readsAsPlainString(use.tag)) return;
    const problem = set.add(`numeric-tag\0${use.file}\0${use.line}\0${use.tag}`, {
      kind: 'numeric-tag',
      hub: row.hub,
      image: row.image,
      branches: [branches[index] ?? ''],
      file: use.file,
      line: use.line,
      message: `hub ${row.hub} has the unquoted tag ${code(use.tag)}, which YAML reads as a number: Helm renders it in another form and the hub cannot pull its image`,
      fix: `Quote it: tag: "${use.tag}" (bump-hubploy writes such tags quoted)`,
    });
    if (!row.problems.includes(problem)) row.problems.push(problem);
  });
}

function describeDrift(row: Row, branches: readonly string[], age: DriftAge): string {
  const [first, ...others] = row.cells;
  const differing = others
    .map((cell, index) => ({ cell, branch: branches[index + 1] ?? '' }))
    .filter(({ cell }) => cell !== undefined && first !== undefined && !sameImage(first, cell))
    .map(({ cell, branch }) => `${branch} runs ${code(cell?.digest ?? cell?.tag ?? '')}`);
  const since =
    age.since !== undefined
      ? ` since ${age.since.slice(0, 10)}`
      : age.atLeastSince !== undefined
        ? ` since ${age.atLeastSince.slice(0, 10)} or earlier`
        : '';
  return `hub ${row.hub}: ${branches[0]} has run ${code(first?.digest ?? first?.tag ?? '')}${since}, ${differing.join(', ')}`;
}

/** Every problem of the fleet, attached to the rows they concern; the rows sorted problems first. */
export function buildReport(input: ReportInput): Report {
  const branches = input.branches.map((branch) => branch.name);
  const placed = placedRows(input.branches, input.images);
  const rows = placed.map(({ row }) => row);
  const set = new ProblemSet();
  const reposPath = input.repos.path;
  const entries = input.repos.state === 'read' ? input.repos.list.entries : [];

  for (const { row, uses } of placed) {
    const facts = input.images.get(row.image);
    referenceProblems(set, row, branches);
    numericProblems(set, row, uses, branches);
    const age = input.drift.get(rowId(row.hub, row.image, row.key));
    row.drift = age;
    if (age?.olderThanLimit === true) {
      const first = row.cells[0];
      const problem = set.add(`drift\0${rowId(row.hub, row.image, row.key)}`, {
        kind: 'drift',
        hub: row.hub,
        image: row.image,
        branches: [...branches],
        file: first?.file,
        line: first?.line,
        message: `${describeDrift(row, branches, age)}: more than ${input.driftDays} day${input.driftDays === 1 ? '' : 's'}`,
        fix: `Promote it (merge ${branches[0]} into ${branches.slice(1).join(', ')}), or move ${branches[0]} back`,
      });
      row.problems.push(problem);
    }
    if (input.repos.state === 'read' && facts !== undefined && facts.repo === undefined) {
      const problem = set.add(`not-in-repos-file\0${row.image}`, {
        kind: 'not-in-repos-file',
        hub: undefined,
        image: row.image,
        branches: branches.slice(0, 1),
        file: reposPath,
        line: undefined,
        message: `${shown(row.image)} is used by hubs but no repository named ${code(imageShortName(row.image))} is listed in ${reposPath}`,
        fix: `Add its image repository (OWNER/${imageShortName(row.image)}) to ${reposPath}`,
      });
      row.problems.push(problem);
    }
  }

  input.branches.forEach((branch) => {
    for (const file of branch.unreadable) {
      set.add(`unreadable-file\0${file.file}`, {
        kind: 'unreadable-file',
        hub: file.hub,
        image: undefined,
        branches: [branch.name],
        file: file.file,
        line:
          /at line (\d+)/.exec(file.reason)?.[1] === undefined
            ? undefined
            : Number(/at line (\d+)/.exec(file.reason)?.[1]),
        message: `${file.file} ${file.reason}: hubploy cannot deploy ${file.hub === undefined ? 'it' : `hub ${file.hub}`}, and nothing in it is in this report`,
        fix: 'Fix the YAML (yamllint-runner finds such errors in pull requests)',
      });
    }
    for (const unsafe of branch.unsafe) {
      set.add(`not-editable\0${unsafe.file}\0${unsafe.line ?? 0}\0${unsafe.image}`, {
        kind: 'not-editable',
        hub: unsafe.hub,
        image: unsafe.image,
        branches: [branch.name],
        file: unsafe.file,
        line: unsafe.line,
        message: `${unsafe.file}${unsafe.line === undefined ? '' : ` line ${unsafe.line}`}: ${unsafe.reason}; bump-hubploy refuses to edit it, and it is not in this report`,
        fix: 'Write the reference as a plain name and tag (no alias, no block scalar)',
      });
    }
  });

  if (input.repos.state === 'read') {
    const mentioned = input.branches.flatMap((branch) => branch.mentioned);
    for (const entry of entries) {
      if (mentioned.some((image) => repoOfImage(image, [entry]) !== undefined)) continue;
      const name = `${entry.repo.owner}/${entry.repo.repo}`;
      set.add(`unused-repo\0${name.toLowerCase()}`, {
        kind: 'unused-repo',
        hub: undefined,
        image: undefined,
        branches: branches.slice(0, 1),
        file: reposPath,
        line: entry.line,
        message: `${reposPath} lists ${name}, but no hub uses an image named ${code(entry.repo.repo.toLowerCase())}`,
        fix: `Point a hub at its image, or remove the line from ${reposPath}`,
      });
    }
  }

  const problems = set.sorted();
  const worst = (row: Row) =>
    Math.min(...row.problems.map((problem) => rank(problem.kind)), PROBLEM_KINDS.length);
  rows.forEach((row) => row.problems.sort((a, b) => rank(a.kind) - rank(b.kind)));
  rows.sort(
    (a, b) =>
      worst(a) - worst(b) ||
      a.hub.localeCompare(b.hub) ||
      a.image.localeCompare(b.image) ||
      a.key.localeCompare(b.key),
  );
  const counts = Object.fromEntries(PROBLEM_KINDS.map((kind) => [kind, 0])) as Record<ProblemKind, number>;
  for (const problem of problems) counts[problem.kind] += 1;
  const unknown: Report['unknown'] = [];
  for (const [image, facts] of input.images) {
    if (facts.listing.kind === 'unknown') unknown.push({ image, why: facts.listing.why });
    else if (facts.newest.kind === 'unknown') unknown.push({ image, why: facts.newest.why });
  }
  return {
    branches,
    rows,
    problems,
    counts,
    broken: problems.filter((problem) => problem.severity === 'broken').length,
    hubs: new Set(rows.map((row) => row.hub)).size,
    images: input.images.size,
    unknown,
  };
}

/** Whether the run fails, by `fail-on`. */
export function failsOn(
  report: Pick<Report, 'broken' | 'problems'>,
  failOn: 'broken' | 'any' | 'none',
): boolean {
  if (failOn === 'none') return false;
  return failOn === 'broken' ? report.broken > 0 : report.problems.length > 0;
}
