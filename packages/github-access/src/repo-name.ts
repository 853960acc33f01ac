import type { Repo } from './installation.js';

const REPO = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

/** `OWNER/NAME` as a repository input takes it; the error says what was expected (the caller names the input). */
export function parseRepo(value: string): Repo {
  const match = REPO.exec(value);
  if (!match || match[2]?.endsWith('.git'))
    throw new Error('expected OWNER/NAME, e.g. cal-icor/cal-icor-hubs');
  return { owner: match[1] ?? '', repo: match[2] ?? '' };
}

export function repoName(repo: Repo): string {
  return `${repo.owner}/${repo.repo}`;
}
