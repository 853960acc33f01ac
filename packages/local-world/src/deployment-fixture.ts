// The fixture deployment repository (fourteen hubs in every format the bump edits), as files to seed a git repo
// with: the bump-hubploy tests and the demo start from the same one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'deploy-config',
  '__tests__',
  'fixtures',
);

export function listFiles(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix)).flatMap((name) => {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    return statSync(join(root, path)).isDirectory() ? listFiles(root, path) : [path];
  });
}

/** The fixture deployment repo's files, with each `[from, to]` substitution applied to their bytes. */
export function fixtureFiles(
  root: string,
  substitutions: Array<[string, string]> = [],
): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const path of listFiles(root)) {
    let text = readFileSync(join(root, path), 'latin1');
    for (const [from, to] of substitutions) text = text.split(from).join(to);
    files[path] = Buffer.from(text, 'latin1');
  }
  return files;
}
