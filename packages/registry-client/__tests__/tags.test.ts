import { describe, expect, it } from '@jest/globals';
import { listTags, nextPageOf, RegistryClient, RegistryError } from '../src/index.js';

// A registry's tag listing as the OCI distribution spec describes it: `n` tags after `last`, in lexical order, and
// a Link to the next page while more remain.
function registry(
  repos: Record<string, string[]>,
  options: { ignoreN?: boolean; link?: (next: string) => string } = {},
) {
  const requests: string[] = [];
  const fetchImpl = (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    requests.push(`${url.pathname}${url.search}`);
    const match = /^\/v2\/(.+)\/tags\/list$/.exec(url.pathname);
    const tags = match === null ? undefined : repos[match[1] ?? ''];
    if (tags === undefined) {
      return new Response(
        JSON.stringify({
          errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }],
        }),
        {
          status: 404,
        },
      );
    }
    const sorted = [...tags].sort();
    const last = url.searchParams.get('last');
    const n = options.ignoreN ? Infinity : Number(url.searchParams.get('n') ?? Infinity);
    const from = last === null ? 0 : sorted.findIndex((tag) => tag > last);
    const page = from < 0 ? [] : sorted.slice(from, from + n);
    const more = from >= 0 && from + n < sorted.length;
    const next = `/v2/${match?.[1]}/tags/list?last=${page[page.length - 1]}&n=${n}`;
    const headers: Record<string, string> = more
      ? { link: options.link?.(next) ?? `<${next}>; rel="next"` }
      : {};
    return new Response(JSON.stringify({ name: match?.[1], tags: page }), { status: 200, headers });
  }) as typeof fetch;
  const client = new RegistryClient({ registry: '127.0.0.1:5000', fetch: fetchImpl });
  return { client, requests };
}

const many = (count: number) => Array.from({ length: count }, (_, i) => `t${String(i).padStart(4, '0')}`);

describe('listTags', () => {
  it('follows the Link header page by page and returns every tag once', async () => {
    const { client, requests } = registry({ 'p/r/img': many(25) });
    const listing = await listTags(client, 'p/r/img', { pageSize: 10 });
    expect(listing).toEqual({ found: true, tags: many(25), pages: 3 });
    expect(requests).toEqual([
      '/v2/p/r/img/tags/list?n=10',
      '/v2/p/r/img/tags/list?last=t0009&n=10',
      '/v2/p/r/img/tags/list?last=t0019&n=10',
    ]);
  });

  it('takes everything at once from a registry that ignores n', async () => {
    const { client, requests } = registry({ 'p/r/img': many(25) }, { ignoreN: true });
    expect(await listTags(client, 'p/r/img', { pageSize: 10 })).toEqual({
      found: true,
      tags: many(25),
      pages: 1,
    });
    expect(requests).toHaveLength(1);
  });

  it('says when the registry does not know the repository', async () => {
    const { client } = registry({});
    expect(await listTags(client, 'p/r/none')).toEqual({ found: false, pages: 1 });
  });

  it('follows an absolute Link on the same origin, with other links beside it', async () => {
    const { client } = registry(
      { 'p/r/img': many(5) },
      {
        link: (next) =>
          `<http://127.0.0.1:5000/v2/x>; rel="prev", <http://127.0.0.1:5000${next}>; rel="next"`,
      },
    );
    expect((await listTags(client, 'p/r/img', { pageSize: 2 })).pages).toBe(3);
  });

  it('never follows a Link to another origin (the credential would go there)', async () => {
    const { client } = registry(
      { 'p/r/img': many(5) },
      { link: (next) => `<https://elsewhere.example${next}>; rel="next"` },
    );
    await expect(listTags(client, 'p/r/img', { pageSize: 2 })).rejects.toThrow(
      /another origin \(https:\/\/elsewhere\.example\)/,
    );
  });

  it('stops a listing that goes on beyond maxPages', async () => {
    const { client } = registry({ 'p/r/img': many(50) });
    await expect(listTags(client, 'p/r/img', { pageSize: 2, maxPages: 5 })).rejects.toThrow(RegistryError);
  });

  it('hands each page to eachPage, e.g. to retry that page alone', async () => {
    const { client } = registry({ 'p/r/img': many(5) });
    const pages: number[] = [];
    await listTags(client, 'p/r/img', {
      pageSize: 2,
      eachPage: async (page, fetchPage) => {
        pages.push(page);
        return fetchPage();
      },
    });
    expect(pages).toEqual([1, 2, 3]);
  });
});

describe('nextPageOf', () => {
  const here = new URL('http://127.0.0.1:5000/v2/a/tags/list?n=2');
  it.each([
    [null, undefined],
    ['</v2/a/tags/list?last=b&n=2>; rel="next"', '/v2/a/tags/list?last=b&n=2'],
    ['</v2/a/tags/list?last=b&n=2>; rel=next', '/v2/a/tags/list?last=b&n=2'],
    ['</v2/a/tags/list?last=a&n=2>; rel="prev"', undefined],
  ])('%j → %j', (link, next) => {
    expect(nextPageOf(link, here)).toBe(next);
  });
});
