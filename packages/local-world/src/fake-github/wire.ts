import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { GitHubApiError, type Access, type RouteRequest, type RouteResponse } from './types.js';

// The wire: paths, headers, bodies, pagination and GitHub's error shapes.

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function requestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(2)}:${hex(3)}:${hex(3)}:${hex(4)}`;
}

export function allows(granted: Access | undefined, needed: Access): boolean {
  return granted === 'write' || (granted === 'read' && needed === 'read');
}

/** '/repos/:owner/:repo/compare/:basehead+' → regex; a `+` param may span slashes. */
export function compilePattern(pattern: string): { regex: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      const param = /^:(\w+)(\+?)$/.exec(segment);
      if (param === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      keys.push(param[1] ?? '');
      return param[2] === '+' ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), keys };
}

export function base64UrlJson(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

export function parseAuthorization(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export function looksLikeJwt(credential: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential);
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function validationFailed(error: Record<string, unknown>): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', { errors: [error] });
}

export function requireObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new GitHubApiError(400, 'Problems parsing JSON');
  }
  return body as Record<string, unknown>;
}

export function requireString(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string')
    throw new GitHubApiError(422, `Invalid request.\n\n"${field}" wasn't supplied.`);
  return value;
}

/** `{labels: ['a']}`, `{labels: [{name: 'a'}]}` or `['a']`, as GitHub accepts. */
export function labelNames(body: unknown): string[] {
  const list = Array.isArray(body) ? body : (requireObject(body)['labels'] as unknown);
  if (!Array.isArray(list)) throw new GitHubApiError(422, `Invalid request.\n\n"labels" wasn't supplied.`);
  return list.map((entry: unknown) => {
    if (typeof entry === 'string') return entry;
    if (
      typeof entry === 'object' &&
      entry !== null &&
      typeof (entry as { name?: unknown }).name === 'string'
    ) {
      return (entry as { name: string }).name;
    }
    throw new GitHubApiError(422, 'Validation Failed', {
      errors: [{ resource: 'Label', code: 'invalid', field: 'name' }],
    });
  });
}

export function repoOf(request: RouteRequest): string {
  return `${request.params['owner']}/${request.params['repo']}`;
}

export function compareStatus(
  aheadBy: number,
  behindBy: number,
): 'identical' | 'ahead' | 'behind' | 'diverged' {
  if (aheadBy === 0) return behindBy === 0 ? 'identical' : 'behind';
  return behindBy === 0 ? 'ahead' : 'diverged';
}

export function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** GitHub's Link header for page `page` of `last`, each link keeping the request's query. */
export function linkHeader(
  url: string,
  request: RouteRequest,
  page: number,
  last: number,
  perPage: number,
): Record<string, string> {
  const link = (target: number, rel: string) => {
    const query = new URLSearchParams(request.query);
    query.set('per_page', String(perPage));
    query.set('page', String(target));
    return `<${url}${request.path}?${query.toString()}>; rel="${rel}"`;
  };
  const links = [
    ...(page > 1 ? [link(page - 1, 'prev'), link(1, 'first')] : []),
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
  ];
  return links.length > 0 ? { link: links.join(', ') } : {};
}

/** The page and page size a request asks for: `per_page` (default `fallback`, at most 100) and `page` (from 1). */
export function pageOf(request: RouteRequest, fallback = 30): { perPage: number; page: number } {
  const asked = request.query.get('per_page');
  return {
    perPage: asked === null ? fallback : Math.min(100, Math.max(1, Number(asked) || 30)),
    page: Math.max(1, Number(request.query.get('page') ?? 1) || 1),
  };
}

/** GitHub's page/per_page pagination with a Link header; `url` is the API root. */
export function page(url: string, request: RouteRequest, items: unknown[]): RouteResponse {
  const { perPage, page } = pageOf(request);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  return {
    status: 200,
    body: items.slice((page - 1) * perPage, page * perPage),
    headers: linkHeader(url, request, page, last, perPage),
  };
}
