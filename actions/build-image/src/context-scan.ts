// The build context as repo2docker will copy it: which files, their hashes, and any credential among them.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
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
  /** Files repo2docker reads or executes outside what it copies (config files left out by the ignore rules, its
   * `repo2docker_config.py`), relative to the context; they are in `hashed` too. */
  readDirectly: string[];
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

/** repo2docker executes this file from its working directory (its `--config` default), whatever it copies. */
export const REPO2DOCKER_CONFIG_FILE = 'repo2docker_config.py';

/**
 * The ignore files that decide what the build copies. A generated build copies what repo2docker's own tarball
 * holds: it reads `.dockerignore` and `.containerignore` from the binder folder when there is one. A Dockerfile
 * build is BuildKit's: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the root `.dockerignore`.
 */
async function ignoreFileNames(
  contextDir: string,
  buildKind: ContextScan['buildKind'],
  inBinder: (name: string) => string,
) {
  if (buildKind === 'generated') return [inBinder('.dockerignore'), inBinder('.containerignore')];
  const own = `${inBinder('Dockerfile')}.dockerignore`;
  return (await isFile(join(contextDir, own))) ? [own] : ['.dockerignore'];
}

/**
 * Scans the build context. `workingDir` is where repo2docker runs: its `repo2docker_config.py` is build input too.
 */
export async function scanContext(contextDir: string, workingDir: string = contextDir): Promise<ContextScan> {
  const binderDir = (await isDir(join(contextDir, '.binder')))
    ? '.binder'
    : (await isDir(join(contextDir, 'binder')))
      ? 'binder'
      : '';
  const inBinder = (name: string) => (binderDir === '' ? name : `${binderDir}/${name}`);
  const buildKind = (await isFile(join(contextDir, inBinder('Dockerfile')))) ? 'dockerfile' : 'generated';
  const listing = await listContext(contextDir, await ignoreFileNames(contextDir, buildKind, inBinder));

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
  const readDirectly: string[] = [];
  const hashDirectly = async (absolute: string, label: string) => {
    const stats = await lstat(absolute);
    hashed.push({
      path: label,
      kind: 'file',
      executable: (stats.mode & 0o111) !== 0,
      digest: sha256(await readFile(absolute)),
    });
  };
  for (const name of CONFIG_FILES) {
    const path = inBinder(name);
    if (listed.has(path) || !(await isFile(join(contextDir, path)))) continue;
    await hashDirectly(join(contextDir, path), `${path} (read by repo2docker, ignored for the copy)`);
    readDirectly.push(path);
  }
  const configFile = join(workingDir, REPO2DOCKER_CONFIG_FILE);
  if (await isFile(configFile)) {
    await hashDirectly(
      configFile,
      `${REPO2DOCKER_CONFIG_FILE} (executed by repo2docker from its working directory)`,
    );
    readDirectly.push(relative(contextDir, configFile) || REPO2DOCKER_CONFIG_FILE);
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
    readDirectly,
    findings,
    present,
    excludedTestDirs,
  };
}

/** One log line: what kind of build, how much it copies, and what the ignore rules left out. */
export function describeContext(context: ContextScan): string {
  const binder = context.binderDir ? `${context.binderDir}/` : '';
  const kind =
    context.buildKind === 'dockerfile' ? `${binder}Dockerfile build` : 'repo2docker buildpack build';
  return (
    `${kind}${binder ? ` (configuration in ${binder})` : ''}: ` +
    `${context.files} files in ${context.directories} folders (${context.bytes} bytes) in the build context` +
    (context.ignoreFiles.length > 0
      ? `; ${context.ignoreFiles.join(' and ')} left out ${context.ignoredCount} paths`
      : '; no ignore file') +
    (context.readDirectly.length > 0
      ? `; also read by repo2docker and hashed: ${context.readDirectly.join(', ')}`
      : '')
  );
}
