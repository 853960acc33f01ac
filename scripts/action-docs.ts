// Keeps each action README's inputs and outputs tables generated from its action.yml.
//   node scripts/action-docs.ts           rewrite the tables
//   node scripts/action-docs.ts --check   exit 1 when a README is out of date
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

interface ActionMetadata {
  inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description?: string }>;
}

const cell = (text: string): string =>
  text
    .trim()
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');

function code(value: string): string {
  return value.includes('`') ? `\`\` ${value} \`\`` : `\`${value}\``;
}

export function inputsTable(metadata: ActionMetadata): string {
  const rows = Object.entries(metadata.inputs ?? {}).map(([name, input]) => {
    const fallback = input.default ?? '';
    const shown = fallback.trim() === '' ? '' : fallback.trim().split('\n').map(code).join('<br>');
    return `| \`${name}\` | ${input.required ? 'yes' : 'no'} | ${shown} | ${cell(input.description ?? '')} |`;
  });
  return ['| Input | Required | Default | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function outputsTable(metadata: ActionMetadata): string {
  const rows = Object.entries(metadata.outputs ?? {}).map(
    ([name, output]) => `| \`${name}\` | ${cell(output.description ?? '')} |`,
  );
  return ['| Output | Description |', '| --- | --- |', ...rows].join('\n');
}

const BLOCK = /(<!-- action-docs:(inputs|outputs) -->)[\s\S]*?(<!-- action-docs:end -->)/g;

/** The README with its generated blocks replaced; throws when a README lacks them. */
export function renderReadme(readme: string, metadata: ActionMetadata, label: string): string {
  const kinds = [...readme.matchAll(BLOCK)].map((match) => match[2]);
  for (const kind of ['inputs', 'outputs']) {
    if (!kinds.includes(kind)) {
      throw new Error(`${label} has no "<!-- action-docs:${kind} -->" … "<!-- action-docs:end -->" block`);
    }
  }
  return readme.replace(
    BLOCK,
    (_all, open: string, kind: string, close: string) =>
      `${open}\n${kind === 'inputs' ? inputsTable(metadata) : outputsTable(metadata)}\n${close}`,
  );
}

/** Returns the READMEs that are (or, with write, were) out of date. */
export function syncActionDocs(root: string, write: boolean): string[] {
  const stale: string[] = [];
  for (const entry of readdirSync(join(root, 'actions'), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = join(root, 'actions', entry.name);
    const metadata = parse(readFileSync(join(dir, 'action.yml'), 'utf8')) as ActionMetadata;
    const readmePath = join(dir, 'README.md');
    const readme = readFileSync(readmePath, 'utf8');
    const rendered = renderReadme(readme, metadata, `actions/${entry.name}/README.md`);
    if (rendered !== readme) {
      stale.push(`actions/${entry.name}/README.md`);
      if (write) writeFileSync(readmePath, rendered);
    }
  }
  return stale;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const check = process.argv.includes('--check');
  const stale = syncActionDocs(resolve(import.meta.dirname, '..'), !check);
  if (check && stale.length > 0) {
    console.error(`Out of date with action.yml: ${stale.join(', ')}. Run: node scripts/action-docs.ts`);
    process.exit(1);
  }
  console.log(stale.length === 0 ? 'action READMEs are up to date' : `updated ${stale.join(', ')}`);
}
