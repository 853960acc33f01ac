import { compare as pep440Compare, parse as pep440Parse } from '@renovatebot/pep440';

/** How each package manager orders its versions. */
export type Ecosystem = 'conda' | 'pip' | 'dpkg' | 'r' | 'jupyterlab' | 'runtime';

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const plain = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------------------
// Debian (deb-version(7)): epoch, then upstream and revision compared by alternating non-digit and digit runs;
// in non-digit runs `~` sorts before everything, even the end, then letters, then other characters.

const isDigit = (text: string, at: number) => {
  const code = text.charCodeAt(at);
  return code >= 48 && code <= 57;
};

function debianCharOrder(text: string, at: number): number {
  if (at >= text.length || isDigit(text, at)) return 0;
  const code = text.charCodeAt(at);
  if (code === 126) return -1; // ~
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code;
  return code + 256;
}

function debianPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a, i)) || (j < b.length && !isDigit(b, j))) {
      const diff = debianCharOrder(a, i) - debianCharOrder(b, j);
      if (diff !== 0) return sign(diff);
      i += 1;
      j += 1;
    }
    while (a.charCodeAt(i) === 48) i += 1;
    while (b.charCodeAt(j) === 48) j += 1;
    while (isDigit(a, i) && isDigit(b, j)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i += 1;
      j += 1;
    }
    if (isDigit(a, i)) return 1;
    if (isDigit(b, j)) return -1;
    if (firstDiff !== 0) return sign(firstDiff);
  }
  return 0;
}

function splitDebian(version: string): { epoch: number; upstream: string; revision: string } {
  const colon = version.indexOf(':');
  const epoch = colon > 0 ? Number.parseInt(version.slice(0, colon), 10) || 0 : 0;
  const rest = colon > 0 ? version.slice(colon + 1) : version;
  const dash = rest.lastIndexOf('-');
  return dash === -1
    ? { epoch, upstream: rest, revision: '' }
    : { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

export function compareDebian(a: string, b: string): number {
  const x = splitDebian(a);
  const y = splitDebian(b);
  return sign(x.epoch - y.epoch) || debianPart(x.upstream, y.upstream) || debianPart(x.revision, y.revision);
}

// ---------------------------------------------------------------------------------------------------------
// conda (conda.models.version.VersionOrder): epoch `N!`, local part after `+`; components split at `.` and `_`,
// each into number and letter runs; a component starting with a letter gets a 0 in front ("1.1.a1" == "1.1.0a1");
// missing components are 0; `dev` sorts before any other string, `post` after everything, strings before numbers.

type CondaAtom = number | string;
const POST = Number.POSITIVE_INFINITY;

function condaComponents(part: string): CondaAtom[][] {
  return part.split(/[._]/).map((component) => {
    const atoms: CondaAtom[] = [];
    for (const run of component.match(/[0-9]+|[^0-9]+/g) ?? []) {
      if (/^[0-9]+$/.test(run)) atoms.push(Number.parseInt(run, 10));
      else if (run === 'post') atoms.push(POST);
      else atoms.push(run === 'dev' ? 'DEV' : run);
    }
    if (typeof atoms[0] === 'string') atoms.unshift(0);
    return atoms.length === 0 ? [0] : atoms;
  });
}

function compareCondaAtom(a: CondaAtom, b: CondaAtom): number {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') return plain(a, b); // 'DEV' < lowercase letters
  return typeof a === 'string' ? -1 : 1;
}

function compareCondaParts(a: CondaAtom[][], b: CondaAtom[][]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const x = a[i] ?? [0];
    const y = b[i] ?? [0];
    for (let k = 0; k < Math.max(x.length, y.length); k += 1) {
      const result = compareCondaAtom(x[k] ?? 0, y[k] ?? 0);
      if (result !== 0) return result;
    }
  }
  return 0;
}

function splitConda(version: string): { epoch: number; main: CondaAtom[][]; local: CondaAtom[][] } {
  const lower = version.trim().toLowerCase();
  const bang = lower.indexOf('!');
  const epoch = bang > 0 ? Number.parseInt(lower.slice(0, bang), 10) || 0 : 0;
  const rest = bang > 0 ? lower.slice(bang + 1) : lower;
  const plus = rest.indexOf('+');
  const main = plus === -1 ? rest : rest.slice(0, plus);
  return {
    epoch,
    main: condaComponents(main),
    local: plus === -1 ? [] : condaComponents(rest.slice(plus + 1)),
  };
}

export function compareConda(a: string, b: string): number {
  const x = splitConda(a);
  const y = splitConda(b);
  return sign(x.epoch - y.epoch) || compareCondaParts(x.main, y.main) || compareCondaParts(x.local, y.local);
}

// ---------------------------------------------------------------------------------------------------------
// R (package_version): non-negative integers separated by `.` or `-`, compared numerically.

function rNumbers(version: string): number[] | undefined {
  return /^[0-9]+([.-][0-9]+)*$/.test(version.trim())
    ? version
        .trim()
        .split(/[.-]/)
        .map((n) => Number.parseInt(n, 10))
    : undefined;
}

export function compareR(a: string, b: string): number {
  const x = rNumbers(a);
  const y = rNumbers(b);
  if (x === undefined || y === undefined) return compareConda(a, b);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const diff = (x[i] ?? -1) - (y[i] ?? -1); // R: 1.0 < 1.0.0
    if (diff !== 0) return sign(diff);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------

/** PEP 440; versions it cannot parse are ordered like conda's (close enough for legacy strings). */
export function comparePep440(a: string, b: string): number {
  if (pep440Parse(a) !== null && pep440Parse(b) !== null) return sign(pep440Compare(a, b));
  return compareConda(a, b);
}

export function compareVersions(ecosystem: Ecosystem, a: string, b: string): number {
  switch (ecosystem) {
    case 'dpkg':
      return compareDebian(a, b);
    case 'pip':
      return comparePep440(a, b);
    case 'r':
      return compareR(a, b);
    default:
      // conda's order also suits runtimes (3.11.9 < 3.12.0) and npm-style extension versions well enough.
      return compareConda(a, b);
  }
}

/** The part of a version whose change is a major change: epoch and first number (Debian: of the upstream part). */
export function majorOf(ecosystem: Ecosystem, version: string): string {
  if (ecosystem === 'dpkg') {
    const { epoch, upstream } = splitDebian(version);
    return `${epoch}:${/^[0-9]+/.exec(upstream)?.[0] ?? upstream}`;
  }
  if (ecosystem === 'pip') {
    const parsed = pep440Parse(version);
    if (parsed !== null) return `${parsed.epoch}!${parsed.release[0] ?? 0}`;
  }
  const bang = version.indexOf('!');
  const epoch = bang > 0 ? version.slice(0, bang) : '0';
  const rest = bang > 0 ? version.slice(bang + 1) : version;
  return `${epoch}!${/^[0-9]+/.exec(rest.trim())?.[0] ?? rest}`;
}
