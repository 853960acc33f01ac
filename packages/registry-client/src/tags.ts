import { RegistryError, type RegistryClient } from './client.js';

// Listing a repository's tags: `GET /v2/<name>/tags/list?n=N`, then the `Link: <…?last=…&n=N>; rel="next"` the
// registry sends while more remain (OCI distribution spec, "Listing Tags"). Registries that ignore `n` answer
// everything at once, without a Link.

export interface TagListOptions {
  /** Tags asked for per page (`n`). */
  pageSize?: number;
  /** A listing longer than this many pages is refused (a registry that keeps linking to itself). */
  maxPages?: number;
  /** Wraps each page's request, e.g. to retry a 5xx or 429 of that page alone. */
  eachPage?: <T>(page: number, fetchPage: () => Promise<T>) => Promise<T>;
}

export type TagListing =
  | { found: true; tags: string[]; pages: number }
  /** NAME_UNKNOWN: the registry does not know the repository (nothing was ever pushed there). */
  | { found: false; pages: number };

/** The path and query of the next page, from a Link header; undefined when there is none. */
export function nextPageOf(link: string | null, current: URL): string | undefined {
  if (link === null) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match === null || !/(^|;)\s*rel="?next"?\s*(;|$)/i.test(match[2] ?? '')) continue;
    const next = new URL(match[1] ?? '', current);
    // The credential goes only where the listing started: a link to another origin is not followed.
    if (next.origin !== current.origin) {
      throw new Error(`the registry's Link header points at another origin (${next.origin})`);
    }
    return `${next.pathname}${next.search}`;
  }
  return undefined;
}

/** Every tag of a repository, following the registry's pagination. */
export async function listTags(
  client: RegistryClient,
  repository: string,
  options: TagListOptions = {},
): Promise<TagListing> {
  const pageSize = options.pageSize ?? 1000;
  const maxPages = options.maxPages ?? 1000;
  const eachPage = options.eachPage ?? ((_page, fetchPage) => fetchPage());
  const tags: string[] = [];
  const seen = new Set<string>();
  let path: string | undefined = `/v2/${repository}/tags/list?n=${pageSize}`;
  let pages = 0;
  while (path !== undefined) {
    if (pages >= maxPages) {
      throw new RegistryError(
        'GET',
        `${client.baseUrl}${path}`,
        200,
        undefined,
        `the tag listing goes on beyond ${maxPages} pages of ${pageSize}`,
        undefined,
      );
    }
    pages += 1;
    const current: string = path;
    const page = await eachPage(pages, async () => {
      const response = await client.send('GET', repository, current, { scope: 'pull', allow404: true });
      if (response.status === 404) {
        const text = await response.text().catch(() => '');
        if (/NAME_UNKNOWN/.test(text)) return { unknown: true as const };
        throw new RegistryError('GET', `${client.baseUrl}${current}`, 404, undefined, text.trim(), undefined);
      }
      const body = (await response.json()) as { tags?: unknown };
      const link = nextPageOf(response.headers.get('link'), new URL(current, client.baseUrl));
      return { tags: Array.isArray(body.tags) ? body.tags.map(String) : [], next: link };
    });
    if ('unknown' in page) return { found: false, pages };
    for (const tag of page.tags) {
      if (!seen.has(tag)) {
        seen.add(tag);
        tags.push(tag);
      }
    }
    if (page.next === current) break;
    path = page.next;
  }
  return { found: true, tags, pages };
}
