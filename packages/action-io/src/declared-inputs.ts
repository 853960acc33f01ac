import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The names under `inputs:` in an action.yml, read line by line: our action.yml files are block YAML, one
 * input name per line at the mapping's indentation (a unit test checks this against a YAML parser).
 */
export function declaredInputs(actionYml: string): string[] {
  const names: string[] = [];
  let inInputs = false;
  let indent: number | undefined;
  for (const line of actionYml.split(/\r?\n/)) {
    if (/^\s*(#.*)?$/.test(line)) continue;
    const lead = line.length - line.trimStart().length;
    if (lead === 0) {
      inInputs = /^inputs\s*:\s*(#.*)?$/.test(line);
      indent = undefined;
      continue;
    }
    if (!inInputs) continue;
    indent ??= lead;
    if (lead !== indent) continue;
    const match = /^\s*(?:'([^']*)'|"([^"]*)"|([^\s:#'"][^:#]*?))\s*:(\s|$)/.exec(line);
    const name = match?.[1] ?? match?.[2] ?? match?.[3];
    if (name !== undefined) names.push(name);
  }
  return names;
}

/** The runner's variable for an input: INPUT_, the name upper-cased, spaces as "_" (hyphens stay). */
function variableOf(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Equal once "_", "-" and spaces are one character and case is ignored: `config_file` is `config-file`. */
const folded = (name: string): string => name.toLowerCase().replace(/[-_ ]/g, '-');

export interface UnknownInput {
  /** As the step's `with:` gave it, lower-cased (the runner upper-cases it in the variable's name). */
  given: string;
  /** The declared input it is closest to. */
  meant: string;
}

/**
 * INPUT_* variables that no declared input accounts for but that are close to one (the same but for "-"/"_" or
 * case, or at most two edits away): most likely a misspelt input, which the runner passes on with a mere
 * "Unexpected input" warning. Variables close to no input are left alone (they may be another step's).
 */
export function unknownInputs(env: NodeJS.ProcessEnv, declared: readonly string[]): UnknownInput[] {
  const known = new Set(declared.map(variableOf));
  const found: UnknownInput[] = [];
  for (const variable of Object.keys(env).sort()) {
    if (!variable.startsWith('INPUT_') || known.has(variable)) continue;
    const given = variable.slice('INPUT_'.length).toLowerCase();
    if (given === '') continue;
    let best: { name: string; distance: number } | undefined;
    for (const name of declared) {
      const distance = folded(name) === folded(given) ? 0 : editDistance(name.toLowerCase(), given);
      if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
    }
    if (best !== undefined) found.push({ given, meant: best.name });
  }
  return found;
}

/** The inputs the running action declares: its action.yml, one folder above the bundle (`dist/index.js`). */
export function declaredInputsOfBundle(entry: string | undefined = process.argv[1]): string[] | undefined {
  if (entry === undefined) return undefined;
  for (const name of ['action.yml', 'action.yaml']) {
    try {
      return declaredInputs(readFileSync(join(dirname(entry), '..', name), 'utf8'));
    } catch {
      // try the other name
    }
  }
  return undefined;
}
