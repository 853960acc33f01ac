// `.dockerignore` / `.containerignore` matching with the semantics of moby's patternmatcher (which docker-py,
// and so repo2docker, copies): the last matching pattern wins, `!` re-includes, a pattern also matches
// everything under a directory it matches, `**` spans directories.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** Patterns from the ignore files of `dir`, .dockerignore first, as repo2docker reads them. */
export function readIgnorePatterns(dir) {
  const patterns = [];
  for (const name of ['.dockerignore', '.containerignore']) {
    const file = join(dir, name);
    if (existsSync(file)) patterns.push(...parseIgnoreFile(readFileSync(file, 'utf8')));
  }
  return patterns;
}

export function parseIgnoreFile(text) {
  const patterns = [];
  for (const rawLine of text.split('\n')) {
    if (rawLine.startsWith('#')) continue;
    let pattern = rawLine.trim();
    if (pattern === '') continue;
    const exclusion = pattern.startsWith('!');
    if (exclusion) pattern = pattern.slice(1).trim();
    if (pattern !== '') {
      pattern = posix.normalize(pattern).replace(/\/+$/, '');
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
      if (pattern === '') pattern = '.';
    }
    patterns.push({ exclusion, source: pattern, regex: compile(pattern) });
  }
  return patterns;
}

function compile(pattern) {
  let source = '^';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i];
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
      i += 1;
      source += i < pattern.length ? `\\${pattern[i]}` : '\\\\';
    } else if ('.+()|{}$^'.includes(ch)) {
      source += `\\${ch}`;
    } else {
      source += ch;
    }
  }
  try {
    return new RegExp(`${source}$`);
  } catch {
    return /(?!)/;
  }
}

export class IgnoreMatcher {
  constructor(patterns) {
    this.patterns = patterns;
    this.hasExclusions = patterns.some((pattern) => pattern.exclusion);
  }

  /** Whether `relPath` (slash-separated, relative to the context root) is left out of the context. */
  ignores(relPath) {
    const parents = relPath.split('/').slice(0, -1);
    let matched = false;
    for (const pattern of this.patterns) {
      if (pattern.exclusion !== matched) continue;
      let match = pattern.regex.test(relPath);
      for (let i = 1; !match && i <= parents.length; i += 1) {
        match = pattern.regex.test(parents.slice(0, i).join('/'));
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}
