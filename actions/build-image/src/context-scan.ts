// The build context as repo2docker will copy it: which files, their hashes, and any credential among them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listContext, type ContextEntry } from '@hub-image-actions/build-context';
import {
  credentialByContent,
  credentialByPath,
  wantsContent,
  type CredentialFinding,
} from './credentials.js';
import type { HashedEntry } from './inputs-hash.js';
import { BROWSER_TESTS_DIR, IMAGE_TESTS_DIR, type SuitePresence } from './test-plan.js';

/** The files repo2docker reads to pick and configure a buildpack (relative to the binder folder, if any). */
export const CONFIG_FILES = [
  'environment.yml',
  'requirements.txt',
  'apt.txt',
  'postBuild',
  'start',
  'runtime.txt',
  'install.R',
  'DESCRIPTION',
  'Project.toml',
  'REQUIRE',
  'Pipfile',
  'Pipfile.lock',
  'setup.py',
  'pyproject.toml',
  'default.nix',
  'Dockerfile',
];

export interface ContextScan {
  contextDir: string;
  /** `Dockerfile`: repo2docker hands the repository to docker as is; `generated`: repo2docker writes the Dockerfile. */
  buildKind: 'dockerfile' | 'generated';
  /** `binder`, `.binder` or ''. */
  binderDir: string;
  ignoreFiles: string[];
  ignoredCount: number;
  files: number;
  directories: number;
  bytes: number;
  /** What the inputs hash covers (`.git` left out: it changes with every commit). */
  hashed: HashedEntry[];
  findings: CredentialFinding[];
  present: SuitePresence;
  /** Test folders that exist but that the ignore rules keep out of the image. */
  excludedTestDirs: string[];
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isFile();
  } catch {
    return false;
  }
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function streamHash(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Runs `work` over `items` with at most `limit` running at once. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  });
  await Promise.all(workers);
}

function isGitInternal(path: string): boolean {
  return path === '.git' || path.startsWith('.git/');
}

export async function scanContext(contextDir: string): Promise<ContextScan> {
  const binderDir = (await isDir(join(contextDir, '.binder')))
    ? '.binder'
    : (await isDir(join(contextDir, 'binder')))
      ? 'binder'
      : '';
  const inBinder = (name: string) => (binderDir === '' ? name : `${binderDir}/${name}`);
  const buildKind = (await isFile(join(contextDir, inBinder('Dockerfile')))) ? 'dockerfile' : 'generated';
  // docker reads .dockerignore only; repo2docker's own tarball for generated builds honours .containerignore too.
  const listing = await listContext(
    contextDir,
    buildKind === 'dockerfile' ? ['.dockerignore'] : ['.dockerignore', '.containerignore'],
  );

  const hashed: HashedEntry[] = [];
  const findings: CredentialFinding[] = [];
  let files = 0;
  let directories = 0;
  let bytes = 0;

  const visit = async (entry: ContextEntry): Promise<void> => {
    const byPath = credentialByPath(entry.path);
    if (byPath !== undefined) findings.push(byPath);
    const absolute = join(contextDir, entry.path);
    if (entry.kind === 'dir') {
      directories += 1;
      if (!isGitInternal(entry.path))
        hashed.push({ path: entry.path, kind: 'dir', executable: false, digest: '' });
      return;
    }
    if (entry.kind === 'symlink') {
      files += 1;
      if (!isGitInternal(entry.path)) {
        hashed.push({
          path: entry.path,
          kind: 'symlink',
          executable: false,
          digest: sha256(entry.target ?? ''),
        });
      }
      return;
    }
    files += 1;
    bytes += entry.size;
    const executable = (entry.mode & 0o111) !== 0;
    if (wantsContent(entry.path, entry.size)) {
      const content = await readFile(absolute);
      if (byPath === undefined) {
        const byContent = credentialByContent(entry.path, content);
        if (byContent !== undefined) findings.push(byContent);
      }
      if (!isGitInternal(entry.path))
        hashed.push({ path: entry.path, kind: 'file', executable, digest: sha256(content) });
    } else if (!isGitInternal(entry.path)) {
      hashed.push({ path: entry.path, kind: 'file', executable, digest: await streamHash(absolute) });
    }
  };
  await eachLimited(listing.entries, 16, visit);

  // What repo2docker reads directly, whatever the ignore rules say, is part of the inputs too.
  const listed = new Set(hashed.map((entry) => entry.path));
  for (const name of CONFIG_FILES) {
    const path = inBinder(name);
    if (listed.has(path) || !(await isFile(join(contextDir, path)))) continue;
    const stats = await lstat(join(contextDir, path));
    hashed.push({
      path: `${path} (read by repo2docker, ignored for the copy)`,
      kind: 'file',
      executable: (stats.mode & 0o111) !== 0,
      digest: sha256(await readFile(join(contextDir, path))),
    });
  }
  findings.sort((a, b) => (a.path < b.path ? -1 : 1));

  const present: SuitePresence = {
    imageTests: await isDir(join(contextDir, IMAGE_TESTS_DIR)),
    imageTestRequirements: await isFile(join(contextDir, IMAGE_TESTS_DIR, 'requirements.txt')),
    browserTests: await isDir(join(contextDir, BROWSER_TESTS_DIR)),
    browserTestRequirements: await isFile(join(contextDir, BROWSER_TESTS_DIR, 'requirements.txt')),
  };
  const excludedTestDirs =
    present.imageTests && listing.matcher.ignores(IMAGE_TESTS_DIR) ? [IMAGE_TESTS_DIR] : [];

  return {
    contextDir,
    buildKind,
    binderDir,
    ignoreFiles: listing.ignoreFiles,
    ignoredCount: listing.ignoredCount,
    files,
    directories,
    bytes,
    hashed,
    findings,
    present,
    excludedTestDirs,
  };
}
