// Releases the current commit: a release commit on top of it that sets every internal ref (the reusable workflows'
// refs to our actions, to vX.Y.Z; the template's refs to our workflows, to vX), tagged vX.Y.Z, with vX moved to it.
// The release commit is reachable from the tags only, so main needs no push and keeps its development refs.
//
//   node scripts/release.ts X.Y.Z            make the commit and the tags locally
//   node scripts/release.ts X.Y.Z --push     and push both tags in one atomic push (RELEASE_PUSH_TOKEN, if set,
//                                            reaches git in its environment, never argv or .git/config)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  findInternalRefs,
  majorOf,
  rewriteInternalRefs,
  VERSION,
} from '../packages/workflow-files/src/internal-refs.ts';

export class ReleaseError extends Error {}

export interface WorkflowText {
  /** Relative to the repository root. */
  path: string;
  text: string;
}

export interface ReleasePlan {
  version: string;
  tag: string;
  majorTag: string;
  /** The files whose text changes, with their new text. */
  changes: WorkflowText[];
}

/** Which files hold internal refs: this repository's workflows, and each template's workflows. */
export function isTemplateWorkflow(path: string): boolean {
  return path.startsWith('templates/');
}

function compareVersions(a: number[], b: number[]): number {
  for (let index = 0; index < 3; index += 1) {
    const difference = (a[index] ?? 0) - (b[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function parseVersion(version: string): number[] | undefined {
  const match = VERSION.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** What a release of `version` changes, given the existing tags and the workflow files; refuses what must not be. */
export function planRelease(
  version: string,
  existingTags: readonly string[],
  files: readonly WorkflowText[],
): ReleasePlan {
  const parts = parseVersion(version);
  if (parts === undefined) {
    throw new ReleaseError(`version "${version}" is not X.Y.Z (three numbers, no leading v), e.g. 1.4.0`);
  }
  const tag = `v${version}`;
  const majorTag = `v${parts[0]}`;
  if (existingTags.includes(tag)) throw new ReleaseError(`${tag} exists already: release a newer version`);
  const sameMajor = existingTags
    .filter((existing) => existing.startsWith(`${majorTag}.`))
    .flatMap((existing) => {
      const existingParts = parseVersion(existing.slice(1));
      return existingParts === undefined ? [] : [{ existing, existingParts }];
    })
    .sort((a, b) => compareVersions(b.existingParts, a.existingParts));
  const newest = sameMajor[0];
  if (newest !== undefined && compareVersions(parts, newest.existingParts) < 0) {
    throw new ReleaseError(`${tag} is older than ${newest.existing}: ${majorTag} must only move forward`);
  }
  const refs = files.flatMap((file) => findInternalRefs(file.text).map((found) => ({ file, found })));
  if (refs.length === 0)
    throw new ReleaseError('no internal refs found in the workflows: nothing to release');
  for (const { file, found } of refs) {
    if (majorOf(found.uses.ref) !== majorTag) {
      throw new ReleaseError(
        `${file.path}:${found.line} refers to @${found.uses.ref}, not major ${majorTag}: for a new major version, ` +
          `first move main to @${majorTag} everywhere (workflows, template, README, MIGRATION.md) in a pull request`,
      );
    }
  }
  const changes = files
    .map((file) => ({
      path: file.path,
      text: rewriteInternalRefs(file.text, isTemplateWorkflow(file.path) ? majorTag : tag),
    }))
    .filter((file, index) => file.text !== files[index]?.text);
  return { version, tag, majorTag, changes };
}

/** The release commit's files say what they should: each internal ref at its release ref, nothing else changed. */
export function verifyRelease(
  plan: ReleasePlan,
  before: readonly WorkflowText[],
  after: readonly WorkflowText[],
): void {
  for (const file of after) {
    const expected = isTemplateWorkflow(file.path) ? plan.majorTag : plan.tag;
    for (const found of findInternalRefs(file.text)) {
      if (found.uses.ref !== expected) {
        throw new ReleaseError(
          `${file.path}:${found.line} is at @${found.uses.ref} after the rewrite, not @${expected}`,
        );
      }
    }
    const original = before.find((candidate) => candidate.path === file.path);
    const oldLines = (original?.text ?? '').split('\n');
    const newLines = file.text.split('\n');
    const internalLines = new Set(findInternalRefs(file.text).map((found) => found.line));
    const changedOther = newLines.some(
      (line, index) => line !== oldLines[index] && !internalLines.has(index + 1),
    );
    if (oldLines.length !== newLines.length || changedOther) {
      throw new ReleaseError(`${file.path}: the rewrite changed more than the internal refs`);
    }
  }
}

interface GitResult {
  status: number;
  stdout: string;
  stderr: string;
}

type GitOptions = { input?: string; extraEnv?: NodeJS.ProcessEnv; network?: boolean };

/**
 * Runs git with argv only. `RELEASE_PUSH_TOKEN`, when set, reaches git for network operations as an HTTP header in
 * git's environment configuration (GIT_CONFIG_COUNT), as actions/checkout sends it: never argv or .git/config.
 */
export class Git {
  // Plain fields: Node runs this file by stripping types, which cannot handle parameter properties.
  private readonly cwd: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(cwd: string, env: NodeJS.ProcessEnv = process.env) {
    this.cwd = cwd;
    this.env = env;
  }

  private credentialEnv(): NodeJS.ProcessEnv {
    const token = this.env.RELEASE_PUSH_TOKEN ?? '';
    if (token === '') return {};
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    return {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    };
  }

  run(args: string[], options: GitOptions = {}): GitResult {
    const credentials = options.network ? this.credentialEnv() : {};
    const result = spawnSync('git', args, {
      cwd: this.cwd,
      input: options.input,
      encoding: 'utf8',
      env: { ...this.env, GIT_TERMINAL_PROMPT: '0', ...credentials, ...options.extraEnv },
    });
    if (result.error !== undefined) throw new ReleaseError(`git could not run: ${result.error.message}`);
    return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
  }

  checked(args: string[], options: GitOptions = {}): string {
    const result = this.run(args, options);
    if (result.status !== 0) throw new ReleaseError(this.failure(args, result, options));
    return result.stdout;
  }

  failure(args: string[], result: GitResult, options: GitOptions = {}): string {
    const hint =
      options.network && (this.env.RELEASE_PUSH_TOKEN ?? '') === ''
        ? ' (RELEASE_PUSH_TOKEN is not set: give a token that may push tags, or git credentials of your own)'
        : '';
    return `git ${args[0]} failed (exit ${result.status}): ${result.stderr.trim() || result.stdout.trim()}${hint}`;
  }
}

/** The workflow files whose internal refs a release sets: this repository's, and each template's. */
export const WORKFLOW_FILE = /^(?:\.github\/workflows|templates\/[^/]+\/\.github\/workflows)\/[^/]+\.ya?ml$/;

export interface ReleaseOptions {
  root: string;
  version: string;
  push: boolean;
  remote: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface ReleaseResult {
  commit: string;
  tag: string;
  majorTag: string;
  pushed: boolean;
}

/** Makes the release commit and tags (and pushes them); on a failed push the local tags are put back as they were. */
export function release(options: ReleaseOptions): ReleaseResult {
  const log = options.log ?? ((line: string) => console.log(line));
  const git = new Git(options.root, options.env);
  if (git.checked(['status', '--porcelain', '--untracked-files=no']).trim() !== '') {
    throw new ReleaseError(
      'the working tree has uncommitted changes: release a commit, not a work in progress',
    );
  }
  const head = git.checked(['rev-parse', 'HEAD']).trim();
  const localTags = git.checked(['tag', '--list', 'v*']).split('\n').filter(Boolean);
  const remoteTags = options.push
    ? git
        .checked(['ls-remote', '--tags', '--refs', options.remote, 'refs/tags/v*'], { network: true })
        .split('\n')
        .filter(Boolean)
        .map((line) => line.replace(/^\S+\s+refs\/tags\//, ''))
    : [];
  // Read from HEAD, not the working tree: the release is of the commit.
  const files = git
    .checked(['ls-tree', '-r', '--name-only', head, '--', '.github/workflows', 'templates'])
    .split('\n')
    .filter((path) => WORKFLOW_FILE.test(path))
    .map((path) => ({ path, text: git.checked(['show', `${head}:${path}`]) }));
  const plan = planRelease(options.version, [...new Set([...localTags, ...remoteTags])], files);

  // The release commit is built in a temporary index, so the working tree and the branch stay untouched.
  const scratch = mkdtempSync(join(tmpdir(), 'hia-release-'));
  let commit: string;
  try {
    const index = { GIT_INDEX_FILE: join(scratch, 'index') };
    git.checked(['read-tree', head], { extraEnv: index });
    for (const change of plan.changes) {
      const mode =
        git.checked(['ls-files', '--stage', '--', change.path], { extraEnv: index }).split(' ')[0] ||
        '100644';
      const blob = git.checked(['hash-object', '-w', '--stdin'], { input: change.text }).trim();
      git.checked(['update-index', '--cacheinfo', `${mode},${blob},${change.path}`], { extraEnv: index });
    }
    const tree = git.checked(['write-tree'], { extraEnv: index }).trim();
    const message = `Release ${plan.tag}\n\nInternal refs: the workflows use our actions at @${plan.tag}; the template calls the workflows at @${plan.majorTag}.\n`;
    commit = git.checked(['commit-tree', tree, '-p', head], { input: message }).trim();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const released = files.map((file) => ({
    path: file.path,
    text: git.checked(['show', `${commit}:${file.path}`]),
  }));
  verifyRelease(plan, files, released);

  const previousMajor = git
    .run(['rev-parse', '--verify', '--quiet', `refs/tags/${plan.majorTag}`])
    .stdout.trim();
  git.checked(['tag', '-a', plan.tag, commit, '-m', `hub-image-actions ${plan.tag}`]);
  git.checked([
    'tag',
    '-f',
    '-a',
    plan.majorTag,
    commit,
    '-m',
    `hub-image-actions ${plan.majorTag} (${plan.tag})`,
  ]);
  log(`release commit ${commit} on top of ${head}`);
  for (const change of plan.changes) log(`  ${change.path}`);
  log(`tagged ${plan.tag}; ${plan.majorTag} moved to it`);

  if (!options.push) {
    log(
      `not pushed; to publish: git push --atomic ${options.remote} refs/tags/${plan.tag} +refs/tags/${plan.majorTag}`,
    );
    return { commit, tag: plan.tag, majorTag: plan.majorTag, pushed: false };
  }
  const pushArgs = [
    'push',
    '--atomic',
    options.remote,
    `refs/tags/${plan.tag}`,
    `+refs/tags/${plan.majorTag}`,
  ];
  const pushed = git.run(pushArgs, { network: true });
  if (pushed.status !== 0) {
    git.run(['tag', '-d', plan.tag]);
    if (previousMajor === '') git.run(['tag', '-d', plan.majorTag]);
    else git.run(['update-ref', `refs/tags/${plan.majorTag}`, previousMajor]);
    throw new ReleaseError(
      `pushing ${plan.tag} and ${plan.majorTag} to ${options.remote} failed; nothing was published and the local ` +
        `tags are as before. ${git.failure(pushArgs, pushed, { network: true })}`,
    );
  }
  log(`pushed ${plan.tag} and ${plan.majorTag} to ${options.remote}`);
  return { commit, tag: plan.tag, majorTag: plan.majorTag, pushed: true };
}

function usage(): never {
  console.error('usage: node scripts/release.ts X.Y.Z [--push] [--remote NAME]');
  process.exit(2);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const version = args.find((arg) => !arg.startsWith('--') && args[args.indexOf(arg) - 1] !== '--remote');
  const remoteIndex = args.indexOf('--remote');
  const remote = remoteIndex === -1 ? 'origin' : args[remoteIndex + 1];
  if (version === undefined || remote === undefined) usage();
  try {
    release({ root: resolve(import.meta.dirname, '..'), version, push: args.includes('--push'), remote });
  } catch (error) {
    if (!(error instanceof ReleaseError)) throw error;
    console.error(`release: ${error.message}`);
    process.exit(1);
  }
}
