// The workflow files, read as GitHub reads them (@actions/workflow-parser, through workflow-files): the template's
// caller, whose `with:` and `secrets:` GitHub's parser checks against the reusable workflow it calls, and that reusable
// workflow. Then what GitHub works out before the first step runs and the parser does not: the caller's values turned
// into the called workflow's typed inputs, the order of its jobs, and the permissions each job gets.
import {
  asString,
  evaluateStrings,
  evaluateToken,
  keysOf,
  parseInternalUses,
  readWorkflowTemplate,
  tokenAt,
  WorkflowError,
  type Contexts,
  type TemplateToken,
  type Value,
  type WorkflowTemplateFile,
} from '@hub-image-actions/workflow-files';

export { WorkflowError };

export type Access = 'read' | 'write' | 'none';
/** Scope (`contents`, `pull-requests`, `id-token`, …) → access. */
export type Permissions = Record<string, Access>;

/** The caller workflow and the reusable workflow it calls, both read by GitHub's parser. */
export async function readWorkflows(
  read: (path: string) => Promise<string>,
  caller: string,
  reusable: string,
): Promise<{ caller: WorkflowTemplateFile; reusable: WorkflowTemplateFile }> {
  const reusableText = await read(reusable);
  const called = (uses: string) => (parseInternalUses(uses)?.target === reusable ? reusableText : undefined);
  return {
    caller: await readWorkflowTemplate(caller, await read(caller), called),
    reusable: await readWorkflowTemplate(reusable, reusableText),
  };
}

export interface CallerJob {
  id: string;
  /** `with:` evaluated in the caller's contexts. */
  with: Record<string, Value>;
  /** `secrets:` evaluated in the caller's contexts; unset secrets are ''. */
  secrets: Record<string, string>;
  permissions: Permissions;
}

/** The caller's job that runs `reusable` (a path of this repository, e.g. `.github/workflows/image-main.yml`). */
export function readCallerJob(caller: WorkflowTemplateFile, reusable: string, contexts: Contexts): CallerJob {
  const job = caller.template.jobs.find(
    (candidate) =>
      candidate.type === 'reusableWorkflowJob' && parseInternalUses(candidate.ref.value)?.target === reusable,
  );
  if (job === undefined || job.type !== 'reusableWorkflowJob') {
    throw new WorkflowError(caller.path, `no job calls ${reusable}`);
  }
  const id = job.id.value;
  if (job['inherit-secrets'] === true)
    throw new WorkflowError(caller.path, `job ${id} passes secrets: inherit`);
  const values = job['input-values'];
  const given = values === undefined ? {} : evaluateToken(values, contexts);
  return {
    id,
    with: given !== null && typeof given === 'object' && !Array.isArray(given) ? given : {},
    secrets: evaluateStrings(job['secret-values'], contexts),
    permissions: readPermissions(caller.path, tokenAt(caller.root, 'jobs', id, 'permissions')),
  };
}

export function readPermissions(file: string, token: TemplateToken | undefined): Permissions {
  if (token === undefined) return {};
  const value = evaluateToken(token, {});
  if (value === 'read-all' || value === 'write-all') {
    throw new WorkflowError(file, `permissions: ${value} is not followed by the demo; list the scopes`);
  }
  const permissions: Permissions = {};
  for (const [scope, access] of Object.entries(value !== null && typeof value === 'object' ? value : {})) {
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
  requested: Permissions | undefined,
): Permissions {
  const wanted = requested ?? caller;
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

/**
 * The called workflow's inputs from the caller's `with:` (and what the demo adds): defaults applied, and the types
 * checked as GitHub does when the run starts (the parser checks only which inputs are given).
 */
export function reusableInputs(
  workflow: WorkflowTemplateFile,
  given: Record<string, Value>,
): Record<string, Value> {
  const declared = tokenAt(workflow.root, 'on', 'workflow_call', 'inputs');
  const names = keysOf(declared);
  const problems = Object.keys(given)
    .filter((name) => !names.includes(name))
    .map((name) => `the input ${name} is given, but the workflow does not declare it`);
  const inputs: Record<string, Value> = {};
  for (const name of names) {
    const typeToken = tokenAt(declared, name, 'type');
    const type = typeToken === undefined ? 'string' : asString(evaluateToken(typeToken, {}));
    const fallback = tokenAt(declared, name, 'default');
    const value =
      name in given
        ? (given[name] ?? null)
        : fallback === undefined
          ? defaultOf(type)
          : evaluateToken(fallback, {});
    const typed = typedInput(type, value);
    if (typed === undefined) {
      problems.push(`the input ${name} is a ${type}, but the caller gives ${JSON.stringify(value)}`);
    } else {
      inputs[name] = typed;
    }
  }
  if (problems.length > 0) throw new WorkflowError(workflow.path, problems.join('; '));
  return inputs;
}

function defaultOf(type: string): Value {
  return type === 'boolean' ? false : type === 'number' ? 0 : '';
}

function typedInput(type: string, value: Value): Value | undefined {
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

/** Every secret the called workflow declares, from the caller's `secrets:` ('' when not passed). */
export function reusableSecrets(
  workflow: WorkflowTemplateFile,
  given: Record<string, string>,
): Record<string, string> {
  const declared = keysOf(tokenAt(workflow.root, 'on', 'workflow_call', 'secrets'));
  return Object.fromEntries(declared.map((name) => [name, given[name] ?? '']));
}

/** Jobs in an order that runs each after everything it `needs` (GitHub's parser refused cycles and unknown jobs). */
export function jobOrder(workflow: WorkflowTemplateFile): string[] {
  const needs = new Map(
    workflow.template.jobs.map((job) => [job.id.value, (job.needs ?? []).map((need) => need.value)]),
  );
  const order: string[] = [];
  const visit = (id: string): void => {
    if (order.includes(id)) return;
    for (const need of needs.get(id) ?? []) visit(need);
    order.push(id);
  };
  for (const id of needs.keys()) visit(id);
  return order;
}

/** The parts of a job the demo does not emulate: a workflow using them is refused rather than run differently. */
export function unsupportedJobKeys(workflow: WorkflowTemplateFile, jobId: string): string[] {
  const keys = keysOf(tokenAt(workflow.root, 'jobs', jobId));
  return ['strategy', 'services', 'container', 'uses', 'environment', 'defaults', 'continue-on-error'].filter(
    (key) => keys.includes(key),
  );
}
