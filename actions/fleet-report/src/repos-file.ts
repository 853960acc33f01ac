import type { Repo } from '@hub-image-actions/github-access';

// The deployment repo's list of image repositories (`configs/repos.txt`): one git URL or OWNER/NAME a line.

export interface RepoEntry {
  repo: Repo;
  line: number;
}

export interface ReposList {
  entries: RepoEntry[];
  /** Lines that name no repository, with why. */
  invalid: Array<{ line: number; text: string }>;
}

const NAME = '[A-Za-z0-9_.-]+';
const FORMS = [
  new RegExp(`^(${NAME})/(${NAME})$`),
  new RegExp(`^(?:https?|ssh|git)://(?:[^@/]+@)?[^/]+/(${NAME})/(${NAME})/?$`),
  new RegExp(`^[^@/\\s]+@[^:/\\s]+:(${NAME})/(${NAME})$`),
];

/** One line of the file as a repository; undefined for a line that is not one. */
export function parseRepoLine(text: string): Repo | undefined {
  for (const form of FORMS) {
    const match = form.exec(text);
    if (match === null) continue;
    const repo = (match[2] ?? '').replace(/\.git$/, '');
    if (repo === '' || repo === '.' || repo === '..') return undefined;
    return { owner: match[1] ?? '', repo };
  }
  return undefined;
}

export function parseReposList(text: string): ReposList {
  const entries: RepoEntry[] = [];
  const invalid: ReposList['invalid'] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw
      .replace(/^\uFEFF/, '')
      .replace(/\s+#.*$/, '')
      .trim();
    if (line === '' || line.startsWith('#')) return;
    const repo = parseRepoLine(line);
    if (repo === undefined) {
      invalid.push({ line: index + 1, text: line });
      return;
    }
    const key = `${repo.owner}/${repo.repo}`.toLowerCase();
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ repo, line: index + 1 });
  });
  return { entries, invalid };
}

/** The last path component of an image name: image repos push `…/<repo name>` (the `IMAGE` variable). */
export function imageShortName(image: string): string {
  return image.slice(image.lastIndexOf('/') + 1).toLowerCase();
}

/** The repository an image is built from, by name: `…/base-user-image` ← `OWNER/base-user-image`. */
export function repoOfImage(image: string, entries: readonly RepoEntry[]): RepoEntry | undefined {
  const name = imageShortName(image);
  return entries.find((entry) => entry.repo.repo.toLowerCase() === name);
}
