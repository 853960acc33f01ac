// Loads what the policy checks read: every workflow of the repository and of the templates, and every action.yml,
// parsed, with a way back to the line of any key.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

export type Path = readonly (string | number)[];

/** A parsed YAML file: its value as plain data, and the line of any path in it. */
export interface YamlFile {
  /** Relative to the repository root, with `/`. */
  path: string;
  text: string;
  data: unknown;
  lineOf(path: Path): number;
}

/** `repo`: this repository's `.github/workflows/`; `template`: a template's `.github/workflows/`. */
export type WorkflowSet = 'repo' | 'template';

export interface WorkflowFile extends YamlFile {
  set: WorkflowSet;
}

export interface Repository {
  root: string;
  workflows: WorkflowFile[];
  /** `actions/<name>/action.yml` files. */
  actions: YamlFile[];
}

export function parseYamlFile(path: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new Error(`${path}: not valid YAML: ${doc.errors.map((error) => error.message).join('; ')}`);
  }
  return { path, text, data: doc.toJS(), lineOf: (at) => lineOf(doc, lineCounter, at) };
}

function lineOf(doc: Document, lineCounter: LineCounter, path: Path): number {
  let node: unknown = doc.contents;
  let offset = 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (pair === undefined) break;
      if (isScalar(pair.key) && pair.key.range) offset = pair.key.range[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      const range = (item as { range?: [number, number, number] }).range;
      if (range) offset = range[0];
      node = item;
    } else {
      break;
    }
  }
  return lineCounter.linePos(offset).line;
}

function yamlFilesIn(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => `${dir}/${entry.name}`)
    .sort();
}

function subdirectories(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

function load(root: string, path: string): YamlFile {
  return parseYamlFile(path, readFileSync(join(root, path), 'utf8'));
}

/** Reads a repository laid out like this one (also a fixture laid out the same way). */
export function loadRepository(root: string): Repository {
  const workflows: WorkflowFile[] = [
    ...yamlFilesIn(root, '.github/workflows').map((path) => ({ ...load(root, path), set: 'repo' as const })),
    ...subdirectories(root, 'templates').flatMap((template) =>
      yamlFilesIn(root, `templates/${template}/.github/workflows`).map((path) => ({
        ...load(root, path),
        set: 'template' as const,
      })),
    ),
  ];
  const actions = subdirectories(root, 'actions')
    .map((name) => `actions/${name}/action.yml`)
    .filter((path) => existsSync(join(root, path)))
    .map((path) => load(root, path));
  return { root, workflows, actions };
}
