// Bundles the actions whose bundle may have changed. An action is rebuilt unless its inputs (its sources, the
// workspace packages it depends on, the lockfile and the build settings) and its dist/ are exactly as they were
// after its last build here. The record lives in node_modules/.cache, so a fresh clone builds everything.
// `pnpm run build` still rebuilds every action.
//   node scripts/build-changed.ts
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const SHARED_INPUTS = [
  'pnpm-lock.yaml',
  'package.json',
  'tsconfig.base.json',
  '.node-version',
  'scripts/bundle-action.mjs',
];
/** Never part of a bundle. */
const NOT_INPUTS = new Set(['dist', 'node_modules', '__tests__', 'bench', 'README.md']);

export interface BuildState {
  inputs: string;
  dist: string;
}

function filesUnder(dir: string, skip: ReadonlySet<string> = NOT_INPUTS): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !skip.has(entry.name))
    .flatMap((entry) =>
      entry.isDirectory()
        ? filesUnder(join(dir, entry.name), skip)
        : entry.isFile()
          ? [join(dir, entry.name)]
          : [],
    );
}

function digest(root: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** The workspace packages a package depends on, transitively, by directory. */
function workspaceDependencies(root: string, packageDir: string, seen = new Set<string>()): Set<string> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const [name, version] of Object.entries(manifest.dependencies ?? {})) {
    if (!version.startsWith('workspace:')) continue;
    const dir = join(root, 'packages', name.replace(/^@hub-image-actions\//, ''));
    if (seen.has(dir)) continue;
    seen.add(dir);
    workspaceDependencies(root, dir, seen);
  }
  return seen;
}

export function actionState(root: string, name: string): BuildState {
  const actionDir = join(root, 'actions', name);
  const inputs = [
    ...filesUnder(actionDir),
    ...[...workspaceDependencies(root, actionDir)].flatMap((dir) => filesUnder(dir)),
    ...SHARED_INPUTS.map((path) => join(root, path)).filter((path) => existsSync(path)),
  ];
  return { inputs: digest(root, inputs), dist: digest(root, filesUnder(join(actionDir, 'dist'), new Set())) };
}

const recordOf = (root: string, name: string) =>
  join(root, 'node_modules', '.cache', 'hia-build', `${name}.json`);

/** The actions to build: those with no record of a build here, or whose inputs or dist/ differ from it. */
export function staleActions(root: string): string[] {
  return readdirSync(join(root, 'actions'))
    .filter((name) => existsSync(join(root, 'actions', name, 'package.json')))
    .sort()
    .filter((name) => {
      const file = recordOf(root, name);
      const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BuildState) : undefined;
      const now = actionState(root, name);
      return before?.inputs !== now.inputs || before.dist !== now.dist;
    });
}

export function recordBuilt(root: string, names: readonly string[]): void {
  for (const name of names) {
    mkdirSync(join(recordOf(root, name), '..'), { recursive: true });
    writeFileSync(recordOf(root, name), JSON.stringify(actionState(root, name)));
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const root = resolve(import.meta.dirname, '..');
  const stale = staleActions(root);
  const fresh = readdirSync(join(root, 'actions')).filter((name) => !stale.includes(name));
  if (fresh.length > 0)
    console.log(`build: unchanged since their last build here, not rebuilt: ${fresh.sort().join(', ')}`);
  if (stale.length > 0) {
    const filters = stale.flatMap((name) => ['--filter', `./actions/${name}`]);
    const build = spawnSync('pnpm', [...filters, 'run', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
    recordBuilt(root, stale);
  }
}
