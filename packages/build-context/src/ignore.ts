// `.dockerignore` / `.containerignore` rules with the semantics of moby's patternmatcher, which the docker CLI,
// BuildKit and docker-py (so repo2docker) follow: the last matching pattern wins, `!` re-includes, a pattern that
// matches a directory also excludes everything below it, `*` and `?` stop at "/", `**` spans directories.
// Matching is @balena/dockerignore's; what is ours is the parse into patterns and the walk's `mayReincludeBelow`.
import dockerignore, { type Ignore } from '@balena/dockerignore';

export interface IgnorePattern {
  /** The cleaned pattern, without its `!`. */
  readonly pattern: string;
  /** `!pattern`: re-includes what earlier patterns excluded. */
  readonly exclusion: boolean;
  /** The line of the file it came from, as the matcher reads it. */
  readonly line: string;
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
    patterns.push({ pattern, exclusion, line });
  }
  return patterns;
}

export class IgnoreMatcher {
  readonly patterns: readonly IgnorePattern[];
  readonly hasExclusions: boolean;
  readonly #rules: Ignore;

  constructor(patterns: readonly IgnorePattern[]) {
    this.patterns = patterns;
    this.hasExclusions = patterns.some((p) => p.exclusion);
    // docker matches case-sensitively; the library's default is not to.
    this.#rules = dockerignore({ ignorecase: false }).add(patterns.map((p) => p.line));
  }

  static fromText(...texts: string[]): IgnoreMatcher {
    return new IgnoreMatcher(texts.flatMap(parseIgnoreFile));
  }

  /** Whether `path` (relative to the context root, "/"-separated) is left out of the context. */
  ignores(path: string): boolean {
    return this.#rules.ignores(path);
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
