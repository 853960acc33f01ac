// `.dockerignore` / `.containerignore` rules with the semantics of moby's patternmatcher, which the docker CLI,
// BuildKit and docker-py (so repo2docker) follow: the last matching pattern wins, `!` re-includes, a pattern that
// matches a directory also excludes everything below it, `*` and `?` stop at "/", `**` spans directories.

export interface IgnorePattern {
  /** The cleaned pattern, without its `!`. */
  readonly pattern: string;
  /** `!pattern`: re-includes what earlier patterns excluded. */
  readonly exclusion: boolean;
  readonly regex: RegExp;
}

/** Go's path.Clean: the shortest equivalent path; "" becomes ".", no trailing "/". */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

const REGEX_SPECIAL = new Set(['.', '+', '(', ')', '|', '{', '}', '$', '^']);

/** Translates one pattern to an anchored regular expression, as moby's `Pattern.compile` does. */
export function compilePattern(pattern: string): RegExp {
  let source = '^';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i] ?? '';
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i += 1;
        if (pattern[i + 1] === '/') i += 1;
        source += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        source += '[^/]*';
      }
    } else if (ch === '?') {
      source += '[^/]';
    } else if (ch === '\\') {
      if (i + 1 < pattern.length) {
        i += 1;
        source += `\\${pattern[i]}`;
      } else {
        source += '\\\\';
      }
    } else if (REGEX_SPECIAL.has(ch)) {
      source += `\\${ch}`;
    } else {
      source += ch;
    }
  }
  try {
    return new RegExp(`${source}$`, 'u');
  } catch {
    // moby fails the whole build on a bad pattern; we match nothing with it and let the build report it.
    return /(?!)/;
  }
}

/** Parses an ignore file the way the docker CLI reads one (`ignorefile.ReadAll`). */
export function parseIgnoreFile(text: string): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const exclusion = pattern.startsWith('!');
    if (exclusion) pattern = pattern.slice(1).trim();
    if (pattern !== '') {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push({ pattern, exclusion, regex: compilePattern(pattern) });
  }
  return patterns;
}

export class IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[];
  readonly hasExclusions: boolean;

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
    this.hasExclusions = patterns.some((p) => p.exclusion);
  }

  static fromText(...texts: string[]): IgnoreMatcher {
    return new IgnoreMatcher(texts.flatMap(parseIgnoreFile));
  }

  /** Whether `path` (relative to the context root, "/"-separated) is left out of the context. */
  ignores(path: string): boolean {
    const parents = path.split('/').slice(0, -1);
    let matched = false;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.regex.test(path);
      for (let i = 1; !match && i <= parents.length; i += 1) {
        match = pattern.regex.test(parents.slice(0, i).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }

  /**
   * Whether the walk must still enter an ignored directory: only when an exclusion pattern starts with it,
   * as the docker CLI decides (so `!**\/keep` does not reach into an ignored directory, in docker either).
   */
  mayReincludeBelow(dir: string): boolean {
    const prefix = `${dir}/`;
    return this.patterns.some((p) => p.exclusion && `${p.pattern}/`.startsWith(prefix));
  }
}
