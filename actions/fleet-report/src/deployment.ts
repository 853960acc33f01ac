import { ConfigurationError } from '@hub-image-actions/action-io';
import {
  decodeFile,
  deployedUses,
  findFleetUses,
  hubOf,
  imageNamesIn,
  scanFile,
  selectFiles,
  type ScannedFile,
} from '@hub-image-actions/deploy-config';
import type { DeploymentClone } from '@hub-image-actions/deployment-repo';
import type { Inputs } from './context.js';
import type { BranchFacts, DriftAge, ReposFacts } from './facts.js';
import { parseReposList } from './repos-file.js';
import { rowId, type Row } from './report.js';

// The deployment repo read through one shallow, partial, sparse clone: each deploy branch's tip (the first one
// with the commits of the last `drift-days` days), only the selected files' contents, fetched in one batch per
// branch.

const DAY_MS = 86_400_000;
/** A repos file larger than this is not a list of repositories. */
const MAX_REPOS_FILE = 1 << 20;

export interface DeploymentRead {
  branches: BranchFacts[];
  repos: ReposFacts;
  /** The first branch's history reaches back to the drift window ('fetched'), or its tip is older ('quiet'). */
  history: 'fetched' | 'quiet';
  windowStart: Date;
  log: string[];
}

function selection(inputs: Pick<Inputs, 'paths' | 'exclude'>) {
  return { include: inputs.paths, exclude: inputs.exclude };
}

async function missingBranches(clone: DeploymentClone, inputs: Inputs): Promise<never> {
  const all = [...(await clone.remoteHeads([])).keys()].sort();
  const heads = await clone.remoteHeads(inputs.branches);
  const missing = inputs.branches.filter((branch) => !heads.has(branch));
  const some = all.slice(0, 10).join(', ');
  throw new ConfigurationError(
    `input "branches" names ${missing.map((b) => `"${b}"`).join(', ')}, which ${inputs.deploymentRepo.owner}/${inputs.deploymentRepo.repo} does not have (${all.length === 0 ? 'it has no branch' : `its branches: ${some}${all.length > 10 ? ', …' : ''}`})`,
    'Name the deploy branches, first the one changes land on (e.g. staging, then prod)',
  );
}

async function readRepos(clone: DeploymentClone, sha: string, inputs: Inputs): Promise<ReposFacts> {
  const path = inputs.reposFile;
  const mode = await clone.entryMode(sha, path);
  if (mode === undefined) return { state: 'missing', path };
  if (!/^100(644|755)$/.test(mode)) {
    const what =
      mode === '120000' ? 'a symbolic link' : mode === '040000' ? 'a folder' : 'not a regular file';
    return { state: 'unreadable', path, why: `it is ${what}` };
  }
  const bytes = await clone.readFile(path);
  if (bytes.length > MAX_REPOS_FILE)
    return { state: 'unreadable', path, why: `it is ${bytes.length} bytes long` };
  try {
    return { state: 'read', path, list: parseReposList(decodeFile(bytes)) };
  } catch {
    return { state: 'unreadable', path, why: 'it is not UTF-8 text' };
  }
}

/** Reads every deploy branch: the references to the covered images, and the repos file of the first branch. */
export async function readDeployment(
  clone: DeploymentClone,
  inputs: Inputs,
  covered: (image: string) => boolean,
  now: Date,
): Promise<DeploymentRead> {
  const log: string[] = [];
  const heads = await clone.remoteHeads(inputs.branches);
  if (inputs.branches.some((branch) => !heads.has(branch))) await missingBranches(clone, inputs);
  const [first = '', ...others] = inputs.branches;
  const windowStart = new Date(now.getTime() - inputs.driftDays * DAY_MS);
  if ((await clone.fetch(others)) === 'missing') {
    throw new ConfigurationError('a deploy branch was deleted while this run read it', 'Re-run the job');
  }
  const history = await clone.fetchSince(first, windowStart);
  if (history === 'missing') {
    throw new ConfigurationError(`${first} was deleted while this run read it`, 'Re-run the job');
  }
  const branches: BranchFacts[] = [];
  let repos: ReposFacts = { state: 'missing', path: inputs.reposFile };
  for (const name of inputs.branches) {
    const sha = await clone.resolve(`refs/remotes/origin/${name}`);
    const tree = await clone.listFiles(sha);
    const selected = selectFiles(tree, selection(inputs));
    const wantsRepos = name === first;
    await clone.checkout(sha, wantsRepos ? [...selected, inputs.reposFile] : selected);
    const files: ScannedFile[] = await Promise.all(
      selected.map(async (path) => scanFile(path, await clone.readFile(path))),
    );
    if (wantsRepos) repos = await readRepos(clone, sha, inputs);
    const search = findFleetUses(files, covered);
    branches.push({
      name,
      sha,
      uses: search.images,
      mentioned: imageNamesIn(files),
      unsafe: search.unsafe,
      unreadable: search.unreadable,
    });
    const references = [...search.images.values()].reduce((sum, uses) => sum + uses.length, 0);
    log.push(
      `${name} (${sha.slice(0, 12)}): ${selected.length} file(s) read, ${references} reference(s) to ${search.images.size} image(s)`,
    );
  }
  return { branches, repos, history: history === 'fetched' ? 'fetched' : 'quiet', windowStart, log };
}

/**
 * How long the first branch has run its tag at each place where another branch runs another image: the tag it
 * had at the start of the drift window decides whether that is longer than `drift-days`; a younger one gets the
 * date of the commit that wrote it.
 */
export async function driftAges(
  clone: DeploymentClone,
  inputs: Inputs,
  read: Pick<DeploymentRead, 'history' | 'windowStart'>,
  candidates: readonly Row[],
  covered: (image: string) => boolean,
): Promise<Map<string, DriftAge>> {
  const ages = new Map<string, DriftAge>();
  if (candidates.length === 0) return ages;
  const first = inputs.branches[0] ?? '';
  const ref = `refs/remotes/origin/${first}`;
  const then =
    read.history === 'quiet'
      ? { sha: await clone.resolve(ref), date: await clone.commitDate(ref) }
      : await clone.commitAt(ref, read.windowStart);
  const tagsThen = new Map<string, { tag: string; digest: string | undefined }>();
  if (then !== undefined) {
    const hubs = new Set(candidates.map((row) => row.hub));
    const files = selectFiles(await clone.listFiles(then.sha), selection(inputs)).filter((path) =>
      hubs.has(hubOf(path) ?? ''),
    );
    await clone.checkout(then.sha, files);
    const scanned = await Promise.all(files.map(async (path) => scanFile(path, await clone.readFile(path))));
    for (const [image, uses] of findFleetUses(scanned, covered).images) {
      for (const deployed of deployedUses(uses, first)) {
        tagsThen.set(rowId(deployed.hub, image, deployed.key), {
          tag: deployed.use.tag,
          digest: deployed.use.digest,
        });
      }
    }
  }
  for (const row of candidates) {
    const cell = row.cells[0];
    if (cell === undefined) continue;
    const id = rowId(row.hub, row.image, row.key);
    const before = tagsThen.get(id);
    if (then !== undefined && before?.tag === cell.tag && before.digest === cell.digest) {
      ages.set(id, { since: undefined, atLeastSince: then.date, olderThanLimit: true });
      continue;
    }
    const change = await clone.lastChange(ref, cell.file, cell.digest ?? cell.tag);
    ages.set(id, { since: change?.date, atLeastSince: undefined, olderThanLimit: false });
  }
  return ages;
}
