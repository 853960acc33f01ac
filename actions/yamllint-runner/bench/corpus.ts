/**
 * A deterministic corpus of YAML files shaped like a hub deployment repo (helm values, hubploy files, workflows),
 * with the problems yamllint finds in real ones: trailing spaces, long lines, truthy values, bad indentation,
 * duplicated keys, missing document starts, comment spacing and the odd syntax error. Used by the conformance
 * tests and the benchmark. Plain erasable TypeScript, so `node` runs it without a build.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** mulberry32: a small seeded generator, so every run writes the same corpus. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'hub',
  'image',
  'staging',
  'prod',
  'singleuser',
  'profile',
  'notebook',
  'kernel',
  'course',
  'data',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** One YAML document of roughly `blocks` blocks; `flaw` in 0..1 is the chance of each kind of problem. */
export function yamlDocument(random: () => number, blocks: number, flaw: number): string {
  const lines: string[] = [];
  const maybe = (p: number): boolean => random() < p * flaw;
  if (!maybe(0.6)) lines.push('---');
  lines.push(maybe(0.3) ? '#no space after the hash' : '# Deployment values, edited by the image bump');
  for (let b = 0; b < blocks; b += 1) {
    const name = `${pick(random, WORDS)}${b}`;
    lines.push(`${name}:`);
    const indent = maybe(0.15) ? '   ' : '  ';
    lines.push(`${indent}image:`);
    lines.push(
      `${indent}  name: us-central1-docker.pkg.dev/cal-icor-hubs/user-images/${pick(random, WORDS)}-image`,
    );
    lines.push(
      `${indent}  tag: "${Math.floor(random() * 0xffffffffffff)
        .toString(16)
        .padStart(12, '0')}"`,
    );
    lines.push(`${indent}enabled: ${maybe(0.4) ? 'yes' : 'true'}`);
    if (maybe(0.3)) lines.push(`${indent}enabled: false`);
    lines.push(
      `${indent}memory:${maybe(0.3) ? '  ' : ' '}${Math.floor(random() * 16) + 1}G${maybe(0.3) ? '  ' : ''}`,
    );
    lines.push(
      `${indent}description: ${'a long description of the profile '.repeat(maybe(0.4) ? 4 : 1).trim()}`,
    );
    lines.push(`${indent}profiles:`);
    for (let p = 0; p < 3; p += 1) {
      lines.push(
        `${indent}  - display_name: ${pick(random, WORDS)} ${p}${maybe(0.1) ? '   # trailing' : ''}`,
      );
      lines.push(`${indent}    cpu: ${p + 1}`);
      if (maybe(0.2)) lines.push(`${indent}    tags: [ ${pick(random, WORDS)},${pick(random, WORDS)} ]`);
    }
    if (maybe(0.2)) lines.push('');
    if (maybe(0.1)) lines.push('', '', '');
  }
  if (maybe(0.05)) lines.push('broken: [unclosed, sequence');
  return `${lines.join('\n')}${maybe(0.1) ? '' : '\n'}`;
}

export interface CorpusOptions {
  files: number;
  seed?: number;
  /** 0: clean files; 1: problems at the rates above. Default 1. */
  flaw?: number;
  /** Blocks per file: each file gets 1..maxBlocks, so sizes vary like a real repo. Default 12. */
  maxBlocks?: number;
}

/**
 * Writes the corpus under `root` and returns the relative paths written, in creation order. Files go into
 * nested folders (deployments/<hub>/config/…, .github/workflows/…), with a few `.yml` files, and a few files
 * that yamllint does not lint by default (`.txt`, `.json`) so yaml-files and ignore patterns matter.
 */
export async function writeCorpus(root: string, options: CorpusOptions): Promise<string[]> {
  const random = seeded(options.seed ?? 1);
  const flaw = options.flaw ?? 1;
  const maxBlocks = options.maxBlocks ?? 12;
  const written: string[] = [];
  for (let i = 0; i < options.files; i += 1) {
    const hub = `hub-${String(Math.floor(i / 10)).padStart(3, '0')}`;
    const kind = i % 10;
    const path =
      kind === 9
        ? join('.github', 'workflows', `${hub}.yml`)
        : kind === 8
          ? join('deployments', hub, 'hubploy.yaml')
          : join(
              'deployments',
              hub,
              'config',
              `${['common', 'staging', 'prod', 'values'][kind % 4]}-${kind}.yaml`,
            );
    await mkdir(join(root, dirname(path)), { recursive: true });
    await writeFile(join(root, path), yamlDocument(random, 1 + Math.floor(random() * maxBlocks), flaw));
    written.push(path);
    if (i % 50 === 0) {
      await writeFile(join(root, 'deployments', hub, 'notes.txt'), 'not: yaml: at all: [\n');
      await writeFile(join(root, 'deployments', hub, 'secrets.json'), '{"key": "value"}\n');
    }
  }
  return written;
}
