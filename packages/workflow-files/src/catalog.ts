// What each `uses:` target accepts and gives: inputs (required or not), outputs, secrets. Our own actions and
// reusable workflows are read from their files; third-party actions from their action.yml at the pinned commit,
// copied into THIRD_PARTY below when the pin is added or moved.
import { parseInternalUses } from './internal-refs.ts';
import type { Repository, WorkflowFile, YamlFile } from './repository.ts';

export interface InputSpec {
  required: boolean;
  hasDefault: boolean;
}

export interface ActionSpec {
  kind: 'action';
  /** Where it comes from, for messages: `actions/build-image`, `actions/checkout@<sha>`. */
  id: string;
  inputs: Map<string, InputSpec>;
  outputs: Set<string>;
  using: string | undefined;
}

export interface ReusableWorkflowSpec {
  kind: 'workflow';
  id: string;
  inputs: Map<string, InputSpec>;
  secrets: Map<string, InputSpec>;
  outputs: Set<string>;
  /** Some job of it asks for `id-token: write`: a caller must grant it. */
  needsIdToken: boolean;
  /** It sets `concurrency` for the whole workflow or for every job. */
  hasConcurrency: boolean;
  /** A job of it runs build-image. */
  buildsImage: boolean;
}

export type UsesSpec = ActionSpec | ReusableWorkflowSpec;

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function inputSpecs(value: unknown): Map<string, InputSpec> {
  return new Map(
    Object.entries(asRecord(value)).map(([name, spec]) => {
      const fields = asRecord(spec);
      return [name, { required: fields.required === true, hasDefault: fields.default !== undefined }];
    }),
  );
}

export function actionSpec(id: string, metadata: unknown): ActionSpec {
  const data = asRecord(metadata);
  const using = asRecord(data.runs).using;
  return {
    kind: 'action',
    id,
    inputs: inputSpecs(data.inputs),
    outputs: new Set(Object.keys(asRecord(data.outputs))),
    using: typeof using === 'string' ? using : undefined,
  };
}

/** The `on:` of a workflow as a map of event name to its configuration (null when it has none). */
export function triggers(workflow: unknown): Record<string, unknown> {
  const on = asRecord(workflow).on;
  if (typeof on === 'string') return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((event) => [String(event), null]));
  return asRecord(on);
}

export function jobsOf(workflow: unknown): [string, Record<string, unknown>][] {
  return Object.entries(asRecord(asRecord(workflow).jobs)).map(([id, job]) => [id, asRecord(job)]);
}

export function stepsOf(job: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(job.steps) ? job.steps.map(asRecord) : [];
}

export function grantsIdToken(permissions: unknown): boolean {
  return permissions === 'write-all' || asRecord(permissions)['id-token'] === 'write';
}

function reusableWorkflowSpec(file: WorkflowFile): ReusableWorkflowSpec | undefined {
  const call = triggers(file.data).workflow_call;
  if (call === undefined) return undefined;
  const spec = asRecord(call);
  const jobs = jobsOf(file.data);
  const workflowConcurrency = asRecord(file.data).concurrency !== undefined;
  return {
    kind: 'workflow',
    id: file.path,
    inputs: inputSpecs(spec.inputs),
    secrets: inputSpecs(spec.secrets),
    outputs: new Set(Object.keys(asRecord(spec.outputs))),
    needsIdToken: jobs.some(([, job]) => grantsIdToken(job.permissions)),
    hasConcurrency:
      workflowConcurrency || (jobs.length > 0 && jobs.every(([, job]) => job.concurrency !== undefined)),
    buildsImage: jobs.some(([, job]) =>
      stepsOf(job).some((step) => {
        const uses = typeof step.uses === 'string' ? parseInternalUses(step.uses) : undefined;
        return uses?.target === 'actions/build-image' || step.uses === './actions/build-image';
      }),
    ),
  };
}

// actions/checkout v7.0.1 (node24), from its action.yml at that commit.
const CHECKOUT_V7_0_1 = {
  inputs: Object.fromEntries(
    [
      'repository',
      'ref',
      'token',
      'ssh-key',
      'ssh-known-hosts',
      'ssh-strict',
      'ssh-user',
      'persist-credentials',
      'path',
      'clean',
      'filter',
      'sparse-checkout',
      'sparse-checkout-cone-mode',
      'fetch-depth',
      'fetch-tags',
      'show-progress',
      'lfs',
      'submodules',
      'set-safe-directory',
      'github-server-url',
      'allow-unsafe-pr-checkout',
    ].map((name) => [name, { required: false }]),
  ),
  outputs: { ref: {}, commit: {} },
  runs: { using: 'node24' },
};

const CHECKOUT_PIN = 'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1';

/** Third-party actions we pin, by `owner/repo[/path]@sha`. A new pin needs its metadata here. */
export const THIRD_PARTY: ReadonlyMap<string, ActionSpec> = new Map([
  [CHECKOUT_PIN, actionSpec(CHECKOUT_PIN, CHECKOUT_V7_0_1)],
]);

/** Resolves `uses:` values to what they accept and give. */
export class Catalog {
  private readonly actions = new Map<string, ActionSpec>();
  private readonly workflows = new Map<string, ReusableWorkflowSpec>();

  /**
   * Our actions and reusable workflows, from each repository in order (later ones win: fixtures over the real repo),
   * and the metadata of the third-party actions we pin.
   */
  constructor(
    repositories: Repository[],
    private readonly thirdParty: ReadonlyMap<string, ActionSpec> = THIRD_PARTY,
  ) {
    for (const repository of repositories) this.add(repository);
  }

  private add(repository: Repository): void {
    for (const file of repository.actions) this.addAction(file);
    for (const file of repository.workflows) {
      if (file.set !== 'repo') continue;
      const spec = reusableWorkflowSpec(file);
      if (spec !== undefined) this.workflows.set(file.path, spec);
    }
  }

  private addAction(file: YamlFile): void {
    const dir = file.path.replace(/\/action\.ya?ml$/, '');
    this.actions.set(dir, actionSpec(dir, file.data));
  }

  /** Every one of our actions, by folder (`actions/<name>`). */
  ownActions(): ActionSpec[] {
    return [...this.actions.values()];
  }

  /** The action a step's `uses:` names; undefined when we know nothing about it. */
  action(uses: string): ActionSpec | undefined {
    const internal = parseInternalUses(uses);
    if (internal !== undefined)
      return internal.kind === 'action' ? this.actions.get(internal.target) : undefined;
    if (uses.startsWith('./')) return this.actions.get(uses.slice(2).replace(/\/$/, ''));
    return this.thirdParty.get(uses);
  }

  /** The reusable workflow a job's `uses:` names; undefined when we know nothing about it. */
  workflow(uses: string): ReusableWorkflowSpec | undefined {
    const internal = parseInternalUses(uses);
    if (internal !== undefined)
      return internal.kind === 'workflow' ? this.workflows.get(internal.target) : undefined;
    if (uses.startsWith('./')) return this.workflows.get(uses.slice(2));
    return undefined;
  }
}
