// What GitHub works out before a reusable workflow's first step runs: the caller's `with:` and `secrets:` turned
// into the called workflow's typed inputs and secrets, the order of its jobs, and the permissions each job gets.
// Pure functions over the parsed YAML; the demo evaluates the workflow files themselves, so it cannot drift from them.
import { asRecord, jobsOf, triggers } from '@hub-image-actions/workflow-files';
import { asString, evaluateValue, type Contexts, type Value } from './expressions.ts';

export class WorkflowError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'WorkflowError';
  }
}

export type Access = 'read' | 'write' | 'none';
/** Scope (`contents`, `pull-requests`, `id-token`, …) → access. */
export type Permissions = Record<string, Access>;

export interface CallerJob {
  id: string;
  /** `with:` evaluated in the caller's contexts. */
  with: Record<string, Value>;
  /** `secrets:` evaluated in the caller's contexts; unset secrets are ''. */
  secrets: Record<string, string>;
  permissions: Permissions;
}

/** The caller's job that runs `reusable` (matched by the path after `owner/repo/` in its `uses:`). */
export function readCallerJob(
  file: string,
  caller: unknown,
  reusable: string,
  contexts: Contexts,
): CallerJob {
  const found = jobsOf(caller).find(([, job]) => {
    const uses = typeof job['uses'] === 'string' ? job['uses'] : '';
    return uses.replace(/@.*$/, '').endsWith(`/${reusable}`);
  });
  if (found === undefined) throw new WorkflowError(file, `no job calls ${reusable}`);
  const [id, job] = found;
  if (job['secrets'] === 'inherit') throw new WorkflowError(file, `job ${id} passes secrets: inherit`);
  const evaluated = (entries: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, evaluateValue(value, contexts)]));
  return {
    id,
    with: evaluated(asRecord(job['with'])),
    secrets: Object.fromEntries(
      Object.entries(evaluated(asRecord(job['secrets']))).map(([key, value]) => [key, asString(value)]),
    ),
    permissions: readPermissions(file, job['permissions']),
  };
}

function readPermissions(file: string, value: unknown): Permissions {
  if (value === undefined || value === null) return {};
  if (value === 'read-all' || value === 'write-all') {
    throw new WorkflowError(file, `permissions: ${value} is not followed by the demo; list the scopes`);
  }
  const permissions: Permissions = {};
  for (const [scope, access] of Object.entries(asRecord(value))) {
    if (access !== 'read' && access !== 'write' && access !== 'none') {
      throw new WorkflowError(file, `permission ${scope}: ${String(access)} is not read, write or none`);
    }
    permissions[scope] = access;
  }
  return permissions;
}

const RANK: Record<Access, number> = { none: 0, read: 1, write: 2 };

/**
 * What a called workflow's job gets: its own permissions, which GitHub refuses when they exceed the caller's
 * (https://docs.github.com/actions/using-workflows/reusing-workflows#access-and-permissions).
 */
export function jobPermissions(
  file: string,
  jobId: string,
  caller: Permissions,
  requested: unknown,
): Permissions {
  const wanted = requested === undefined ? caller : readPermissions(file, requested);
  for (const [scope, access] of Object.entries(wanted)) {
    const allowed = caller[scope] ?? 'none';
    if (RANK[access] > RANK[allowed]) {
      throw new WorkflowError(
        file,
        `the nested job '${jobId}' is requesting '${scope}: ${access}', but is only allowed '${scope}: ${allowed}'`,
      );
    }
  }
  return wanted;
}

/** The called workflow's inputs from the caller's `with:`: defaults applied, types checked as GitHub does. */
export function reusableInputs(
  file: string,
  workflow: unknown,
  given: Record<string, Value>,
): Record<string, Value> {
  const declared = asRecord(asRecord(triggers(workflow)['workflow_call'])['inputs']);
  const problems: string[] = [];
  for (const name of Object.keys(given)) {
    if (!(name in declared)) problems.push(`the caller gives the input ${name}, which it does not declare`);
  }
  const inputs: Record<string, Value> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const { type, required, default: fallback } = asRecord(spec);
    const supplied = name in given;
    if (!supplied && required === true) {
      problems.push(`the required input ${name} is not given`);
      continue;
    }
    const value = supplied ? (given[name] ?? null) : evaluateValue(fallback ?? defaultOf(type), {});
    const typed = typedInput(type, value);
    if (typed === undefined) {
      problems.push(`the input ${name} is a ${String(type)}, but the caller gives ${JSON.stringify(value)}`);
    } else {
      inputs[name] = typed;
    }
  }
  if (problems.length > 0) throw new WorkflowError(file, problems.join('; '));
  return inputs;
}

function defaultOf(type: unknown): Value {
  return type === 'boolean' ? false : type === 'number' ? 0 : '';
}

function typedInput(type: unknown, value: Value): Value | undefined {
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return undefined;
  }
  if (type === 'number') {
    const number = typeof value === 'number' ? value : Number(asString(value));
    return Number.isFinite(number) ? number : undefined;
  }
  return typeof value === 'object' && value !== null ? undefined : asString(value);
}

/** The secrets the called workflow declares, from the caller's `secrets:`; one it does not declare is an error. */
export function reusableSecrets(
  file: string,
  workflow: unknown,
  given: Record<string, string>,
): Record<string, string> {
  const declared = asRecord(asRecord(triggers(workflow)['workflow_call'])['secrets']);
  const unknown = Object.keys(given).filter((name) => !(name in declared));
  if (unknown.length > 0) {
    throw new WorkflowError(file, `the caller passes secrets it does not declare: ${unknown.join(', ')}`);
  }
  const missing = Object.entries(declared)
    .filter(([name, spec]) => asRecord(spec)['required'] === true && (given[name] ?? '') === '')
    .map(([name]) => name);
  if (missing.length > 0)
    throw new WorkflowError(file, `required secrets are not passed: ${missing.join(', ')}`);
  return Object.fromEntries(Object.keys(declared).map((name) => [name, given[name] ?? '']));
}

/** Jobs in an order that runs each after everything it `needs`. */
export function jobOrder(file: string, workflow: unknown): string[] {
  const jobs = new Map(jobsOf(workflow));
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (id: string) => {
    if (order.includes(id)) return;
    if (visiting.has(id)) throw new WorkflowError(file, `jobs need each other in a cycle through ${id}`);
    const job = jobs.get(id);
    if (job === undefined) throw new WorkflowError(file, `a job needs ${id}, which does not exist`);
    visiting.add(id);
    for (const need of needsOf(job)) visit(need);
    visiting.delete(id);
    order.push(id);
  };
  for (const id of jobs.keys()) visit(id);
  return order;
}

export function needsOf(job: Record<string, unknown>): string[] {
  const needs = job['needs'];
  if (needs === undefined) return [];
  return (Array.isArray(needs) ? needs : [needs]).map(String);
}

/** The parts of a job the demo does not emulate: a workflow using them is refused rather than run differently. */
export function unsupportedJobKeys(job: Record<string, unknown>): string[] {
  return ['strategy', 'services', 'container', 'uses', 'environment', 'defaults', 'continue-on-error'].filter(
    (key) => key in job,
  );
}
