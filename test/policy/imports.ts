// The import graph of the repository's own TypeScript: every relative and workspace-package import between its files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export type ImportGraph = Map<string, string[]>;

const WORKSPACE_SCOPE = '@hub-image-actions/';

function tsFilesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'fixtures') return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return tsFilesUnder(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** The files the policy covers: actions/*\/src, packages/*\/src, scripts/ and test/. */
export function sourceFiles(root: string): string[] {
  const sources = (group: string) =>
    readdirSync(join(root, group)).flatMap((name) => tsFilesUnder(join(root, group, name, 'src')));
  return [
    ...sources('actions'),
    ...sources('packages'),
    ...tsFilesUnder(join(root, 'scripts')),
    ...tsFilesUnder(join(root, 'test')),
  ].map((path) => relative(root, path));
}

function existing(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

/** A workspace package's export for `subpath` ('.' or './x'), from its package.json. */
function workspaceExport(root: string, name: string, subpath: string): string | undefined {
  for (const group of ['packages', 'actions']) {
    const dir = join(root, group, name);
    const manifest = existing(join(dir, 'package.json'));
    if (manifest === undefined) continue;
    const exports =
      (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, string> }).exports ?? {};
    if (exports[subpath] !== undefined) return join(dir, exports[subpath]);
    for (const [pattern, target] of Object.entries(exports)) {
      if (!pattern.endsWith('*')) continue;
      const prefix = pattern.slice(0, -1);
      if (subpath.startsWith(prefix)) return join(dir, target.replace('*', subpath.slice(prefix.length)));
    }
  }
  return undefined;
}

/** The file an import specifier names, or undefined when it leaves the repository's own code (a library). */
export function resolveImport(root: string, from: string, specifier: string): string | undefined {
  let target: string | undefined;
  if (specifier.startsWith('.')) {
    target = resolve(root, dirname(from), specifier);
  } else if (specifier.startsWith(WORKSPACE_SCOPE)) {
    const [name = '', ...rest] = specifier.slice(WORKSPACE_SCOPE.length).split('/');
    target = workspaceExport(root, name, rest.length === 0 ? '.' : `./${rest.join('/')}`);
  }
  if (target === undefined) return undefined;
  const candidates = [target, target.replace(/\.m?js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')];
  const found = candidates.map(existing).find((path) => path !== undefined && path.endsWith('.ts'));
  return found === undefined ? undefined : relative(root, found);
}

/** Every file's imports of the repository's own files (static, dynamic, type-only and re-exports alike). */
export function importGraph(root: string, files: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    const targets = importedFiles
      .map((imported) => resolveImport(root, file, imported.fileName))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The import cycles: each strongly connected set of files (Tarjan), and any file that imports itself. */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(target) ?? 0));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) ?? 0, index.get(target) ?? 0));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const members: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      members.push(member);
    } while (member !== file);
    if (members.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(members.sort());
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles;
}

/** Imports from one top-level folder into another that must not know it (scripts/ ↔ test/). */
export function crossings(graph: ImportGraph, from: string, into: string): string[] {
  return [...graph].flatMap(([file, targets]) =>
    file.startsWith(`${from}/`)
      ? targets.filter((target) => target.startsWith(`${into}/`)).map((target) => `${file} → ${target}`)
      : [],
  );
}
