import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ApiRequestRecord } from './fake-github.js';

// GitHub's published description of its REST API (@octokit/openapi), to check the fake GitHub's answers against:
// code that trusts the types must not pass on the fake and fail on GitHub.

interface Operation {
  method: string;
  template: string;
  pattern: RegExp;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

export interface SpecCheck {
  /** Each answer that GitHub would not give: an unknown call, an undocumented status, a body off the schema. */
  problems: string[];
  /** The operations called, as `METHOD /template`, e.g. `GET /repos/{owner}/{repo}/pulls`. */
  called: string[];
}

let loaded: { operations: Operation[]; ajv: Ajv } | undefined;

function load(): { operations: Operation[]; ajv: Ajv } {
  if (loaded !== undefined) return loaded;
  const require = createRequire(import.meta.url);
  const spec = JSON.parse(
    readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'),
  ) as { paths: Record<string, Record<string, unknown>> };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(withNulls(spec) as object, 'github');
  const operations = Object.entries(spec.paths).flatMap(([template, methods]) =>
    Object.entries(methods).flatMap(([method, operation]) => {
      const responses = (operation as { responses?: Operation['responses'] }).responses;
      if (responses === undefined) return [];
      // A path parameter is one segment, except basehead (x-multi-segment), which holds "...".
      const source = template
        .split('/')
        .map((part) => (/^\{\w+\}$/.test(part) ? (part === '{basehead}' ? '.+' : '[^/]+') : part))
        .join('/');
      return [{ method: method.toUpperCase(), template, pattern: new RegExp(`^${source}$`), responses }];
    }),
  );
  loaded = { operations, ajv };
  return loaded;
}

/** OpenAPI 3.0's `nullable: true` written as JSON Schema, which ajv reads: `null` is one more allowed type. */
function withNulls(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withNulls);
  if (typeof node !== 'object' || node === null) return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const converted = Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, withNulls(value)]));
  if (nullable !== true) return converted;
  // An enum that may be null (e.g. an open issue's state_reason) lists the values other than null.
  if (Array.isArray(converted['enum']) && !converted['enum'].includes(null)) {
    converted['enum'] = [...(converted['enum'] as unknown[]), null];
  }
  if (typeof converted['type'] === 'string') return { ...converted, type: [converted['type'], 'null'] };
  return { anyOf: [converted, { type: 'null' }] };
}

/** The operation a request is: the most literal matching template wins (…/commits/{ref} vs …/commits/{sha}/pulls). */
function operationOf(operations: Operation[], request: ApiRequestRecord): Operation | undefined {
  const literal = (op: Operation) => op.template.replace(/\{\w+\}/g, '').length;
  return operations
    .filter((op) => op.method === request.method && op.pattern.test(request.path))
    .sort((a, b) => literal(b) - literal(a))[0];
}

const validators = new Map<string, ValidateFunction | undefined>();

function validatorFor(ajv: Ajv, operation: Operation, status: number): ValidateFunction | undefined {
  const key = `${operation.method} ${operation.template} ${status}`;
  if (!validators.has(key)) {
    const schema = operation.responses[String(status)]?.content?.['application/json']?.schema;
    const pointer = [
      'paths',
      operation.template,
      operation.method.toLowerCase(),
      'responses',
      String(status),
      'content',
      'application/json',
      'schema',
    ]
      .map((token) => encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1')))
      .join('/');
    validators.set(key, schema === undefined ? undefined : ajv.compile({ $ref: `github#/${pointer}` }));
  }
  return validators.get(key);
}

/** Checks recorded answers of the fake GitHub (their `response` bodies) against GitHub's API description. */
export function checkAgainstGitHubSpec(requests: readonly ApiRequestRecord[]): SpecCheck {
  const { operations, ajv } = load();
  const problems = new Set<string>();
  const called = new Set<string>();
  for (const request of requests) {
    const operation = operationOf(operations, request);
    if (operation === undefined) {
      problems.add(`${request.method} ${request.path}: no such operation in GitHub's API`);
      continue;
    }
    const name = `${operation.method} ${operation.template}`;
    called.add(name);
    if (!(String(request.status) in operation.responses)) {
      problems.add(`${name}: status ${request.status} is not one GitHub documents for it`);
    }
    if (request.status >= 300) continue;
    const validate = validatorFor(ajv, operation, request.status);
    if (validate === undefined) {
      if (request.response !== undefined)
        problems.add(`${name} ${request.status}: a body where GitHub sends none`);
      continue;
    }
    if (!validate(request.response)) {
      const errors = [
        ...new Set((validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`)),
      ];
      problems.add(`${name} ${request.status}: ${errors.slice(0, 10).join('; ')}`);
    }
  }
  return { problems: [...problems], called: [...called].sort() };
}
