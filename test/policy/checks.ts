// The workflow policy: pure functions from parsed files to violations. Each violation kind has a broken fixture in
// fixtures/<kind>/ that proves its check can fail.
import { isDeepStrictEqual } from 'node:util';
import { majorOf, parseInternalUses, RELEASE_REF } from '@hub-image-actions/workflow-files';
import {
  asRecord,
  Catalog,
  evaluateToken,
  grantsIdToken,
  isTruthy,
  jobsOf,
  parseWorkflowTokens,
  stepsOf,
  tokenAt,
  triggers,
  type ActionSpec,
  type Contexts,
  type InputSpec,
  type TemplateToken,
  type Value,
} from '@hub-image-actions/workflow-files';
import type { Path, Repository, WorkflowFile, WorkflowSet } from '@hub-image-actions/workflow-files';

export const VIOLATION_KINDS = [
  'top-level-permissions',
  'write-all-permissions',
  'id-token-unused',
  'id-token-missing',
  'unpinned-action',
  'expression-in-run',
  'pull-request-target',
  'workflow-run-checkout',
  'checkout-persists-credentials',
  'missing-timeout',
  'missing-concurrency',
  'mixed-runtime',
  'unknown-action',
  'unknown-input',
  'unknown-secret',
  'missing-required-input',
  'secrets-inherit',
  'unknown-step-output',
  'unknown-job-output',
  'internal-ref-mismatch',
  'path-filters-differ',
  'third-party-runtime',
  'fork-on-caller-runner',
  'cancels-other-callers',
  'write-without-environment',
] as const;

export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  kind: ViolationKind;
  file: string;
  line: number;
  message: string;
}

export function formatViolation(violation: Violation): string {
  return `${violation.file}:${violation.line}: [${violation.kind}] ${violation.message}`;
}

const SHA_PIN = /@[0-9a-f]{40}$/;
const DIGEST_PIN = /@sha256:[0-9a-f]{64}$/;
const CHECKOUT = /^actions\/checkout@/;
const KEYLESS_INPUT = 'workload-identity-provider';
/** The one caller input a fork's pull request may run on: the documented opt-in. */
const FORK_RUNNER_INPUT = 'fork-runner';

/** Everything a single workflow check needs. */
interface Context {
  file: WorkflowFile;
  catalog: Catalog;
  report(kind: ViolationKind, at: Path, message: string): void;
}

type WorkflowCheck = (context: Context) => void;

function isThirdParty(uses: string): boolean {
  return !uses.startsWith('./') && !uses.startsWith('docker://') && parseInternalUses(uses) === undefined;
}

function isEmptyValue(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** Top level: read-only or nothing. Write access is granted per job. */
const topLevelPermissions: WorkflowCheck = ({ file, report }) => {
  const permissions = asRecord(file.data).permissions;
  if (permissions === undefined) {
    report(
      'top-level-permissions',
      [],
      'no top-level `permissions`: set `permissions: {}` (or read-only) and widen per job',
    );
  } else if (permissions === 'write-all' || Object.values(asRecord(permissions)).includes('write')) {
    report(
      'top-level-permissions',
      ['permissions'],
      'top-level `permissions` grant write access to every job: grant it only to the job that needs it',
    );
  }
};

const jobPermissions: WorkflowCheck = ({ file, catalog, report }) => {
  for (const [id, job] of jobsOf(file.data)) {
    if (job.permissions === 'write-all') {
      report(
        'write-all-permissions',
        ['jobs', id, 'permissions'],
        `job ${id} has write-all: list the scopes it needs`,
      );
      continue;
    }
    const granted = grantsIdToken(job.permissions);
    let keyless: boolean;
    let why: string;
    if (typeof job.uses === 'string') {
      keyless = catalog.workflow(job.uses)?.needsIdToken === true;
      why = `the called workflow ${job.uses}`;
    } else {
      keyless = stepsOf(job).some(
        (step) =>
          typeof step.uses === 'string' &&
          catalog.action(step.uses)?.inputs.has(KEYLESS_INPUT) === true &&
          !isEmptyValue(asRecord(step.with)[KEYLESS_INPUT]),
      );
      why = `a step given \`${KEYLESS_INPUT}\``;
    }
    if (granted && !keyless) {
      report(
        'id-token-unused',
        ['jobs', id, 'permissions'],
        `job ${id} grants \`id-token: write\` but runs no keyless auth: remove it`,
      );
    } else if (!granted && keyless) {
      report('id-token-missing', ['jobs', id], `job ${id} needs \`id-token: write\` for ${why}`);
    }
  }
};

const pinnedActions: WorkflowCheck = ({ file, report }) => {
  const check = (uses: unknown, at: Path): void => {
    if (typeof uses !== 'string') return;
    if (uses.startsWith('docker://')) {
      if (!DIGEST_PIN.test(uses)) report('unpinned-action', at, `${uses} is not pinned to a sha256 digest`);
    } else if (isThirdParty(uses) && !SHA_PIN.test(uses)) {
      report('unpinned-action', at, `${uses} is not pinned to a full 40-character commit SHA`);
    }
  };
  for (const [id, job] of jobsOf(file.data)) {
    check(job.uses, ['jobs', id, 'uses']);
    stepsOf(job).forEach((step, index) => check(step.uses, ['jobs', id, 'steps', index, 'uses']));
  }
};

const noExpressionsInRun: WorkflowCheck = ({ file, report }) => {
  for (const [id, job] of jobsOf(file.data)) {
    stepsOf(job).forEach((step, index) => {
      if (typeof step.run === 'string' && step.run.includes('${{')) {
        report(
          'expression-in-run',
          ['jobs', id, 'steps', index, 'run'],
          `a \`run:\` script of job ${id} contains \${{ }}: pass the value through \`env:\` and use "$VARIABLE"`,
        );
      }
    });
  }
};

const untrustedTriggers: WorkflowCheck = ({ file, report }) => {
  const on = triggers(file.data);
  if ('pull_request_target' in on) {
    report(
      'pull-request-target',
      ['on'],
      '`pull_request_target` runs with secrets and write access on code from forks: use `pull_request`',
    );
  }
  if (!('workflow_run' in on)) return;
  for (const [id, job] of jobsOf(file.data)) {
    stepsOf(job).forEach((step, index) => {
      if (typeof step.uses !== 'string' || !CHECKOUT.test(step.uses)) return;
      const fields = asRecord(step.with);
      if (
        [fields.ref, fields.repository].some(
          (value) => typeof value === 'string' && value.includes('github.event'),
        )
      ) {
        report(
          'workflow-run-checkout',
          ['jobs', id, 'steps', index],
          `job ${id} checks out the triggering run's code in a \`workflow_run\` workflow, which holds secrets`,
        );
      }
    });
  }
};

const checkoutCredentials: WorkflowCheck = ({ file, report }) => {
  for (const [id, job] of jobsOf(file.data)) {
    stepsOf(job).forEach((step, index) => {
      if (typeof step.uses !== 'string' || !CHECKOUT.test(step.uses)) return;
      const persist = asRecord(step.with)['persist-credentials'];
      if (persist !== false && persist !== 'false') {
        report(
          'checkout-persists-credentials',
          ['jobs', id, 'steps', index],
          `checkout in job ${id} leaves the token in .git/config: set \`persist-credentials: false\``,
        );
      }
    });
  }
};

const timeouts: WorkflowCheck = ({ file, report }) => {
  for (const [id, job] of jobsOf(file.data)) {
    if (job.uses === undefined && job['timeout-minutes'] === undefined) {
      report(
        'missing-timeout',
        ['jobs', id],
        `job ${id} has no \`timeout-minutes\` (the default is 6 hours)`,
      );
    }
  }
};

const concurrency: WorkflowCheck = ({ file, catalog, report }) => {
  if (asRecord(file.data).concurrency !== undefined) return;
  for (const [id, job] of jobsOf(file.data)) {
    if (job.concurrency !== undefined) continue;
    if (typeof job.uses === 'string' && catalog.workflow(job.uses)?.hasConcurrency === true) continue;
    report(
      'missing-concurrency',
      ['jobs', id],
      `job ${id} runs without \`concurrency\` (neither the workflow, the job nor a called workflow sets it)`,
    );
  }
};

function checkWith(
  context: Context,
  at: Path,
  given: Record<string, unknown>,
  accepted: Map<string, InputSpec>,
  target: string,
  what: 'input' | 'secret',
): void {
  const kind: ViolationKind = what === 'input' ? 'unknown-input' : 'unknown-secret';
  for (const name of Object.keys(given)) {
    if (!accepted.has(name)) {
      const known = [...accepted.keys()].join(', ') || 'none';
      context.report(kind, [...at, name], `${target} has no ${what} \`${name}\` (its ${what}s: ${known})`);
    }
  }
  for (const [name, spec] of accepted) {
    if (spec.required && !spec.hasDefault && !(name in given)) {
      context.report('missing-required-input', at, `${target} needs the ${what} \`${name}\``);
    }
  }
}

const wiringOfCalls: WorkflowCheck = (context) => {
  const { file, catalog, report } = context;
  for (const [id, job] of jobsOf(file.data)) {
    if (typeof job.uses === 'string') {
      const called = catalog.workflow(job.uses);
      if (called === undefined) {
        if (!isThirdParty(job.uses) || SHA_PIN.test(job.uses)) {
          report('unknown-action', ['jobs', id, 'uses'], `no reusable workflow known as ${job.uses}`);
        }
        continue;
      }
      checkWith(context, ['jobs', id, 'with'], asRecord(job.with), called.inputs, job.uses, 'input');
      if (job.secrets === 'inherit') {
        report(
          'secrets-inherit',
          ['jobs', id, 'secrets'],
          `job ${id} passes every secret to ${job.uses}: declare them one by one`,
        );
      } else {
        checkWith(
          context,
          ['jobs', id, 'secrets'],
          asRecord(job.secrets),
          called.secrets,
          job.uses,
          'secret',
        );
      }
      continue;
    }
    stepsOf(job).forEach((step, index) => {
      if (typeof step.uses !== 'string' || step.uses.startsWith('docker://')) return;
      const action = catalog.action(step.uses);
      if (action === undefined) {
        // An unpinned third-party action is reported as such; anything else we cannot check is unknown.
        const at = ['jobs', id, 'steps', index, 'uses'];
        if (!isThirdParty(step.uses)) {
          report('unknown-action', at, `${step.uses} names no action of this repository`);
        } else if (SHA_PIN.test(step.uses)) {
          report(
            'unknown-action',
            at,
            `no metadata for ${step.uses}: add its inputs and outputs at that commit to THIRD_PARTY in packages/workflow-files/src/catalog.ts`,
          );
        }
        return;
      }
      checkWith(
        context,
        ['jobs', id, 'steps', index, 'with'],
        asRecord(step.with),
        action.inputs,
        step.uses,
        'input',
      );
    });
  }
};

/** Every string of a value with its path, except `run:` scripts (checked on their own). */
function stringsOf(value: unknown, at: Path): [string, Path][] {
  if (typeof value === 'string') return [[value, at]];
  if (Array.isArray(value)) return value.flatMap((item, index) => stringsOf(item, [...at, index]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, item]) =>
      key === 'run' ? [] : stringsOf(item, [...at, key]),
    );
  }
  return [];
}

const STEP_OUTPUT = /\bsteps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const NEEDS_OUTPUT = /\bneeds\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const JOB_OUTPUT = /\bjobs\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g;
const RUN_OUTPUT = /(?:^|[\s;&|(])(?:echo|printf)\s+(?:-[a-z]+\s+)*["']?([A-Za-z_][\w-]*)(?:=|<<)/;

const GROUP_TO_OUTPUT = /\{([^{}]*)\}\s*>>\s*"?\$\{?GITHUB_OUTPUT/g;

/** Outputs a `run:` step writes to $GITHUB_OUTPUT: `echo "name=…" >> …`, or echoes in a `{ …; } >> …` group. */
export function runStepOutputs(script: string): Set<string> {
  const names = new Set<string>();
  const add = (line: string): void => {
    const match = RUN_OUTPUT.exec(line);
    if (match !== null) names.add(match[1] as string);
  };
  for (const line of script.split('\n')) if (line.includes('GITHUB_OUTPUT')) add(line);
  for (const [, group] of script.matchAll(GROUP_TO_OUTPUT)) (group as string).split('\n').forEach(add);
  return names;
}

function stepOutputs(step: Record<string, unknown>, catalog: Catalog): Set<string> | undefined {
  if (typeof step.run === 'string') return runStepOutputs(step.run);
  if (typeof step.uses === 'string') return catalog.action(step.uses)?.outputs;
  return undefined;
}

function jobOutputs(job: Record<string, unknown>, catalog: Catalog): Set<string> | undefined {
  if (typeof job.uses === 'string') return catalog.workflow(job.uses)?.outputs;
  return new Set(Object.keys(asRecord(job.outputs)));
}

const outputReferences: WorkflowCheck = ({ file, catalog, report }) => {
  const jobs = new Map(jobsOf(file.data));
  for (const [id, job] of jobs) {
    const steps = stepsOf(job);
    const stepIndex = new Map(
      steps.flatMap((step, index) => (typeof step.id === 'string' ? [[step.id, index]] : [])),
    );
    // Where a reference sits decides which steps it can see: a step sees the steps before it, job outputs see all.
    const check = (text: string, at: Path, visibleSteps: number): void => {
      for (const [, stepId, output] of text.matchAll(STEP_OUTPUT)) {
        const index = stepIndex.get(stepId as string);
        if (index === undefined || index >= visibleSteps) {
          report('unknown-step-output', at, `job ${id} has no step \`${stepId}\` before this point`);
          continue;
        }
        const outputs = stepOutputs(steps[index] as Record<string, unknown>, catalog);
        if (outputs !== undefined && !outputs.has(output as string)) {
          const known = [...outputs].join(', ') || 'none';
          report(
            'unknown-step-output',
            at,
            `step \`${stepId}\` has no output \`${output}\` (its outputs: ${known})`,
          );
        }
      }
      for (const [, needed, output] of text.matchAll(NEEDS_OUTPUT)) {
        const needs = typeof job.needs === 'string' ? [job.needs] : Array.isArray(job.needs) ? job.needs : [];
        const neededJob = jobs.get(needed as string);
        if (!needs.includes(needed) || neededJob === undefined) {
          report(
            'unknown-job-output',
            at,
            `job ${id} reads needs.${needed} but does not need job \`${needed}\``,
          );
          continue;
        }
        const outputs = jobOutputs(neededJob, catalog);
        if (outputs !== undefined && !outputs.has(output as string)) {
          const known = [...outputs].join(', ') || 'none';
          report(
            'unknown-job-output',
            at,
            `job \`${needed}\` has no output \`${output}\` (its outputs: ${known})`,
          );
        }
      }
    };
    for (const [key, value] of Object.entries(job)) {
      if (key === 'steps') continue;
      for (const [text, at] of stringsOf(value, ['jobs', id, key]))
        check(text, at, key === 'outputs' ? steps.length : 0);
    }
    steps.forEach((step, index) => {
      for (const [text, at] of stringsOf(step, ['jobs', id, 'steps', index])) check(text, at, index);
    });
  }
  // A reusable workflow's outputs come from its jobs' outputs.
  const outputs = asRecord(asRecord(triggers(file.data).workflow_call).outputs);
  for (const [name, spec] of Object.entries(outputs)) {
    const at = ['on', 'workflow_call', 'outputs', name, 'value'];
    const value = asRecord(spec).value;
    if (typeof value !== 'string') continue;
    for (const [, jobId, output] of value.matchAll(JOB_OUTPUT)) {
      const job = jobs.get(jobId as string);
      const known = job === undefined ? undefined : jobOutputs(job, catalog);
      if (job === undefined || (known !== undefined && !known.has(output as string))) {
        report(
          'unknown-job-output',
          at,
          `workflow output ${name} reads jobs.${jobId}.outputs.${output}, which does not exist`,
        );
      }
    }
  }
};

/** Can this workflow run for a pull request (its own trigger, or any caller's when it is reusable)? */
function runsForPullRequests(workflow: unknown): boolean {
  const on = triggers(workflow);
  return ['pull_request', 'pull_request_target', 'workflow_call'].some((event) => event in on);
}

/** A caller's inputs as markers (strings) or their defaults (booleans, numbers), to see where each one ends up. */
function callerInputs(workflow: unknown): Record<string, Value> {
  const declared = asRecord(asRecord(triggers(workflow).workflow_call).inputs);
  return Object.fromEntries(
    Object.entries(declared).map(([name, spec]) => {
      const { type, default: fallback } = asRecord(spec);
      if (type === 'boolean') return [name, fallback === true || fallback === 'true'];
      if (type === 'number') return [name, Number(fallback ?? 0)];
      return [name, `<caller input ${name}>`];
    }),
  );
}

/** The contexts of a `pull_request` run: from a fork when `fork`, else from a branch of the repository. */
function pullRequestContexts(workflow: unknown, fork: boolean, callerWorkflow = 'Caller'): Contexts {
  const repository = 'org/image-repo';
  return {
    github: {
      event_name: 'pull_request',
      repository,
      ref: 'refs/pull/7/merge',
      workflow: callerWorkflow,
      workflow_ref: `${repository}/.github/workflows/${callerWorkflow}.yml@refs/pull/7/merge`,
      event: {
        number: 7,
        pull_request: {
          number: 7,
          head: { ref: 'topic', repo: { full_name: fork ? 'someone/image-repo' : repository, fork } },
        },
      },
    },
    inputs: callerInputs(workflow),
    vars: {},
    needs: {},
    strategy: {},
    matrix: {},
  };
}

function strings(value: Value): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const parsedTokens = new WeakMap<WorkflowFile, TemplateToken>();

/** The GitHub parser's tokens of a workflow, once per file. */
function tokensOf(file: WorkflowFile): TemplateToken {
  let root = parsedTokens.get(file);
  if (root === undefined) {
    root = parseWorkflowTokens(file.path, file.text);
    parsedTokens.set(file, root);
  }
  return root;
}

function evaluated(token: TemplateToken, contexts: Contexts): Value | Error {
  try {
    return evaluateToken(token, contexts);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** A fork's pull request runs only on a GitHub-hosted label or on `fork-runner`, never on the caller's `runner`. */
const forkRunners: WorkflowCheck = ({ file, report }) => {
  if (!runsForPullRequests(file.data)) return;
  const contexts = pullRequestContexts(file.data, true);
  for (const [id] of jobsOf(file.data)) {
    const token = tokenAt(tokensOf(file), 'jobs', id, 'runs-on');
    if (token === undefined) continue;
    const at = ['jobs', id, 'runs-on'];
    const value = evaluated(token, contexts);
    if (value instanceof Error) {
      report(
        'fork-on-caller-runner',
        at,
        `job ${id}: runs-on cannot be worked out for a fork's pull request: ${value.message}`,
      );
      continue;
    }
    for (const label of strings(value)) {
      const input = /^<caller input (.+)>$/.exec(label)?.[1];
      if (input !== undefined && input !== FORK_RUNNER_INPUT) {
        report(
          'fork-on-caller-runner',
          at,
          `job ${id} runs a fork's pull request on the caller's \`${input}\` input, which may name a self-hosted runner: route forks to a GitHub-hosted label or the \`${FORK_RUNNER_INPUT}\` input`,
        );
      } else if (label === 'self-hosted') {
        report('fork-on-caller-runner', at, `job ${id} runs a fork's pull request on a self-hosted runner`);
      }
    }
  }
};

/** A reusable workflow that cancels runs in progress keeps its group apart for each calling workflow. */
const cancelGroups: WorkflowCheck = ({ file, report }) => {
  if (!('workflow_call' in triggers(file.data))) return;
  const places: Path[] = [
    ['concurrency'],
    ...jobsOf(file.data).map(([id]): Path => ['jobs', id, 'concurrency']),
  ];
  for (const at of places) {
    const concurrency = tokenAt(tokensOf(file), ...at);
    if (concurrency === undefined) continue;
    const group = tokenAt(concurrency, 'group') ?? concurrency;
    const cancels = tokenAt(concurrency, 'cancel-in-progress');
    const [first, second] = ['Lint', 'Build'].map((caller) =>
      pullRequestContexts(file.data, false, caller),
    ) as [Contexts, Contexts];
    if (cancels === undefined || !isTruthy(evaluateToken(cancels, first))) continue;
    const groups = [evaluated(group, first), evaluated(group, second)];
    if (groups.some((value) => value instanceof Error) || isDeepStrictEqual(groups[0], groups[1])) {
      report(
        'cancels-other-callers',
        at,
        `the concurrency group ${JSON.stringify(groups[0] instanceof Error ? groups[0].message : groups[0])} cancels in progress and is the same for every calling workflow: two workflows calling this one on one pull request cancel each other; add \${{ github.workflow }} to the group`,
      );
    }
  }
};

/** A job that can push to the repository waits for a protected environment. */
const writesBehindEnvironment: WorkflowCheck = ({ file, report }) => {
  for (const [id, job] of jobsOf(file.data)) {
    if (asRecord(job.permissions).contents === 'write' && job.environment === undefined) {
      report(
        'write-without-environment',
        ['jobs', id],
        `job ${id} has \`contents: write\` but no \`environment:\`: name one whose protection rules (branches, reviewers) the admin sets`,
      );
    }
  }
};

const WORKFLOW_CHECKS: WorkflowCheck[] = [
  topLevelPermissions,
  jobPermissions,
  pinnedActions,
  noExpressionsInRun,
  untrustedTriggers,
  checkoutCredentials,
  timeouts,
  concurrency,
  wiringOfCalls,
  outputReferences,
  forkRunners,
  cancelGroups,
  writesBehindEnvironment,
];

/** The violations of one workflow file. */
export function checkWorkflow(file: WorkflowFile, catalog: Catalog): Violation[] {
  const violations: Violation[] = [];
  const context: Context = {
    file,
    catalog,
    report: (kind, at, message) => violations.push({ kind, file: file.path, line: file.lineOf(at), message }),
  };
  for (const check of WORKFLOW_CHECKS) check(context);
  return violations;
}

/** Our actions all run on the same runtime. */
export function checkRuntimes(repository: Repository, catalog: Catalog): Violation[] {
  const actions = catalog.ownActions();
  const counts = new Map<string, number>();
  for (const action of actions) counts.set(String(action.using), (counts.get(String(action.using)) ?? 0) + 1);
  if (counts.size <= 1) return [];
  const [majority] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] as [string, number];
  const summary = [...counts.entries()].map(([using, count]) => `${using} ×${count}`).join(', ');
  return actions
    .filter((action: ActionSpec) => String(action.using) !== majority)
    .map((action) => {
      const file = repository.actions.find((candidate) => candidate.path.startsWith(`${action.id}/`));
      return {
        kind: 'mixed-runtime' as const,
        file: file?.path ?? `${action.id}/action.yml`,
        line: file?.lineOf(['runs', 'using']) ?? 1,
        message: `${action.id} runs on ${action.using}, the other actions on ${majority} (${summary})`,
      };
    });
}

/** The third-party actions we pin run on our actions' runtime (a release on the old one is a pin to move). */
export function checkThirdPartyRuntimes(repository: Repository, catalog: Catalog): Violation[] {
  const ours = new Set(catalog.ownActions().map((action) => action.using));
  if (ours.size !== 1) return [];
  const [runtime] = [...ours];
  const violations: Violation[] = [];
  for (const file of repository.workflows) {
    for (const [id, job] of jobsOf(file.data)) {
      stepsOf(job).forEach((step, index) => {
        if (typeof step.uses !== 'string' || !isThirdParty(step.uses)) return;
        const using = catalog.action(step.uses)?.using;
        if (using === undefined || !using.startsWith('node') || using === runtime) return;
        violations.push({
          kind: 'third-party-runtime',
          file: file.path,
          line: file.lineOf(['jobs', id, 'steps', index, 'uses']),
          message: `${step.uses} runs on ${using}, our actions on ${String(runtime)}: pin a release that runs on ${String(runtime)}`,
        });
      });
    }
  }
  return violations;
}

/**
 * Internal refs agree: this repository's workflows use one ref for all our actions and workflows (a release sets it
 * to vX.Y.Z), and the template's workflows one ref, the major tag of the first (vX).
 */
export function checkInternalRefs(repository: Repository): Violation[] {
  const violations: Violation[] = [];
  const refsBySet = new Map<WorkflowSet, { ref: string; file: string; line: number }[]>();
  for (const file of repository.workflows) {
    for (const [id, job] of jobsOf(file.data)) {
      const uses: [unknown, Path][] = [
        [job.uses, ['jobs', id, 'uses']],
        ...stepsOf(job).map((step, index): [unknown, Path] => [
          step.uses,
          ['jobs', id, 'steps', index, 'uses'],
        ]),
      ];
      for (const [value, at] of uses) {
        const internal = typeof value === 'string' ? parseInternalUses(value) : undefined;
        if (internal === undefined) continue;
        const list = refsBySet.get(file.set) ?? [];
        list.push({ ref: internal.ref, file: file.path, line: file.lineOf(at) });
        refsBySet.set(file.set, list);
      }
    }
  }
  const agreed = new Map<WorkflowSet, string>();
  for (const [set, refs] of refsBySet) {
    const first = refs[0] as { ref: string; file: string; line: number };
    for (const entry of refs) {
      if (!RELEASE_REF.test(entry.ref)) {
        violations.push({
          kind: 'internal-ref-mismatch',
          file: entry.file,
          line: entry.line,
          message: `internal ref @${entry.ref} is not a release tag (vX or vX.Y.Z)`,
        });
      } else if (entry.ref !== first.ref) {
        violations.push({
          kind: 'internal-ref-mismatch',
          file: entry.file,
          line: entry.line,
          message: `internal ref @${entry.ref} disagrees with @${first.ref} (${first.file}:${first.line}); scripts/release.ts sets them all`,
        });
      }
    }
    agreed.set(set, first.ref);
  }
  const repoRef = agreed.get('repo');
  const templateRef = agreed.get('template');
  if (repoRef !== undefined && templateRef !== undefined && majorOf(repoRef) !== templateRef) {
    const first = (refsBySet.get('template') ?? [])[0] as { file: string; line: number };
    violations.push({
      kind: 'internal-ref-mismatch',
      file: first.file,
      line: first.line,
      message: `the template calls @${templateRef}, but the workflows are at @${repoRef}: the template must use ${majorOf(repoRef) ?? 'its major tag'}`,
    });
  }
  return violations;
}

function filtersOf(trigger: unknown): { paths: unknown; pathsIgnore: unknown } {
  const fields = asRecord(trigger);
  return { paths: fields.paths, pathsIgnore: fields['paths-ignore'] };
}

/** The workflows that build an image (pull request and main) skip the same changes. */
export function checkPathFilters(repository: Repository, catalog: Catalog): Violation[] {
  const violations: Violation[] = [];
  const sets = new Set(repository.workflows.map((file) => file.set));
  for (const set of sets) {
    const building = repository.workflows.filter(
      (file) =>
        file.set === set &&
        jobsOf(file.data).some(([, job]) => {
          if (typeof job.uses === 'string') return catalog.workflow(job.uses)?.buildsImage === true;
          return stepsOf(job).some(
            (step) =>
              typeof step.uses === 'string' && catalog.action(step.uses)?.id === 'actions/build-image',
          );
        }),
    );
    const filters: { file: WorkflowFile; event: string; filter: { paths: unknown; pathsIgnore: unknown } }[] =
      [];
    for (const file of building) {
      const on = triggers(file.data);
      for (const event of ['pull_request', 'push']) {
        if (event in on) filters.push({ file, event, filter: filtersOf(on[event]) });
      }
    }
    const first = filters[0];
    if (first === undefined) continue;
    for (const entry of filters.slice(1)) {
      if (!isDeepStrictEqual(entry.filter, first.filter)) {
        violations.push({
          kind: 'path-filters-differ',
          file: entry.file.path,
          line: entry.file.lineOf(['on', entry.event]),
          message: `the ${entry.event} path filters differ from the ${first.event} ones in ${first.file.path}: pull requests and main must build on the same changes`,
        });
      }
    }
  }
  return violations;
}

/** Every violation in a repository (or fixture); `catalog` knows what the `uses:` targets accept and give. */
export function checkRepository(repository: Repository, catalog: Catalog): Violation[] {
  return [
    ...repository.workflows.flatMap((file) => checkWorkflow(file, catalog)),
    ...checkRuntimes(repository, catalog),
    ...checkThirdPartyRuntimes(repository, catalog),
    ...checkInternalRefs(repository),
    ...checkPathFilters(repository, catalog),
  ];
}
