// Runs a reusable workflow's jobs on this machine the way GitHub's runner would: jobs in `needs` order with their
// `if:`, permissions and timeouts; each step's `if:`, `env:` and `with:` evaluated from the workflow file; our
// actions run from their committed bundles, `run:` scripts with GitHub's shell, checkout emulated; outputs flow
// through `steps.*` and `needs.*` exactly as the file says; post steps run at the end of the job, in reverse.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { cleanupRun, maskLog, runAction, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import {
  asRecord,
  asString,
  evaluate,
  evaluateStrings,
  evaluateToken,
  isTruthy,
  itemsOf,
  keysOf,
  parseInternalUses,
  tokenAt,
  type BasicExpressionToken,
  type Contexts,
  type Status,
  type Value,
  type WorkflowTemplateFile,
  writtenText,
} from '@hub-image-actions/workflow-files';
import { checkout } from './checkout.ts';
import {
  jobOrder,
  jobPermissions,
  readPermissions,
  unsupportedJobKeys,
  WorkflowError,
  type Permissions,
} from './workflow.ts';

const CHECKOUT = /^actions\/checkout@[0-9a-f]{40}$/;
const DEFAULT_SHELL = 'bash -e {0}';
const STEP_KEYS = new Set(['name', 'id', 'if', 'uses', 'with', 'env', 'run', 'shell']);
const SHELLS: Record<string, string> = {
  bash: 'bash --noprofile --norc -eo pipefail {0}',
  sh: 'sh -e {0}',
};

export type Outcome = 'success' | 'failure' | 'cancelled' | 'skipped';

/** Who pushed what: the `github` context and the runner's GITHUB_* variables of the run. */
export interface PushEvent {
  repository: string;
  sha: string;
  ref: string;
  defaultBranch: string;
  serverUrl: string;
  apiUrl: string;
  actor: string;
  runNumber: number;
  workflow: string;
}

export interface Machine {
  /** Where `uses: hub-image-actions/hub-image-actions/actions/NAME@REF` is found: `actions/` of this checkout. */
  actionsDir: string;
  /** The action that runs `run:` scripts (scripts/demo/run-step). */
  runStepAction: string;
  /** Variables every step gets on top of the runner's (PATH, DOCKER_HOST, endpoints of the fakes). */
  env: Record<string, string>;
  /** ACTIONS_ID_TOKEN_REQUEST_*: what GitHub gives a job with `id-token: write`. */
  oidcEnv: Record<string, string>;
  /** GITHUB_TOKEN for a job, with its permissions on the repository; revoked when the job ends. */
  jobToken(jobId: string, permissions: Permissions): { token: string; revoke: () => void };
  /** Values the runner masks wherever they appear (the secrets given to the workflow). */
  masks: string[];
}

export interface StepResult {
  jobId: string;
  /** 1-based within the job; post steps keep their main step's number. */
  number: number;
  id: string | undefined;
  name: string;
  kind: 'run' | 'action' | 'checkout' | 'post';
  /** The `uses:` value, or the action folder for posts. */
  uses: string | undefined;
  /** For our actions: `build-image`, `push-to-gar`, … */
  action: string | undefined;
  inputs: Record<string, string>;
  env: Record<string, string>;
  outcome: Outcome;
  outputs: Record<string, string>;
  /** The log as the runner shows it: masked. */
  log: string;
  /** What the step wrote to GITHUB_STEP_SUMMARY, masked. */
  summary: string;
  durationMs: number;
  /** Why it failed, when the failure is the demo's rather than the step's (an expression, a refused input). */
  problem: string | undefined;
}

export interface JobResult {
  id: string;
  name: string;
  result: Outcome;
  /** Why it was skipped or could not start. */
  reason: string | undefined;
  permissions: Permissions;
  outputs: Record<string, string>;
  steps: StepResult[];
  durationMs: number;
}

export interface Observer {
  jobStarted(job: {
    id: string;
    name: string;
    runsOn: string;
    permissions: Permissions;
    timeoutMinutes: number;
  }): void;
  jobSkipped(job: { id: string; name: string; reason: string }): void;
  stepStarted(step: {
    jobId: string;
    number: number;
    name: string;
    kind: StepResult['kind'];
    uses?: string;
  }): void;
  stepFinished(step: StepResult): void;
  jobFinished(job: JobResult): void;
}

export interface WorkflowRun {
  /** The reusable workflow, read by GitHub's parser. */
  workflow: WorkflowTemplateFile;
  inputs: Record<string, Value>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  callerPermissions: Permissions;
  event: PushEvent;
  machine: Machine;
  observer: Observer;
  /** Cancels the run (Ctrl-C): the running step is stopped, later ones are skipped, post steps still run. */
  signal: AbortSignal;
  /** Stops the post steps too (a second Ctrl-C). */
  postSignal: AbortSignal;
}

export interface WorkflowResult {
  jobs: JobResult[];
  /** The workflow's `on.workflow_call.outputs`, evaluated from its jobs. */
  outputs: Record<string, string>;
  conclusion: Outcome;
}

function githubContext(event: PushEvent): Record<string, Value> {
  const [owner = '', name = ''] = event.repository.split('/');
  return {
    event_name: 'push',
    ref: event.ref,
    ref_name: event.ref.replace(/^refs\/heads\//, ''),
    ref_type: 'branch',
    sha: event.sha,
    repository: event.repository,
    repository_owner: owner,
    server_url: event.serverUrl,
    api_url: event.apiUrl,
    actor: event.actor,
    run_number: String(event.runNumber),
    run_attempt: '1',
    workflow: event.workflow,
    event: eventPayload(event, owner, name),
  };
}

function eventPayload(event: PushEvent, owner: string, name: string): { [key: string]: Value } {
  return {
    ref: event.ref,
    after: event.sha,
    repository: {
      full_name: event.repository,
      name,
      owner: { login: owner },
      default_branch: event.defaultBranch,
      html_url: `${event.serverUrl}/${event.repository}`,
    },
    pusher: { name: event.actor },
  };
}

/** An `if:` as GitHub's parser gave it (its implied `success() &&` added), evaluated with the job's status. */
function condition(token: BasicExpressionToken, contexts: Contexts, status: Status): boolean {
  return isTruthy(evaluateToken(token, contexts, status));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runWorkflow(run: WorkflowRun): Promise<WorkflowResult> {
  const { workflow } = run;
  const jobs = new Map(workflow.template.jobs.map((job) => [job.id.value, job]));
  const results = new Map<string, JobResult>();
  const baseContexts: Contexts = {
    inputs: run.inputs,
    secrets: run.secrets,
    vars: run.vars,
    github: githubContext(run.event),
  };
  for (const id of jobOrder(workflow)) {
    const job = jobs.get(id);
    if (job === undefined || job.type !== 'job') {
      throw new WorkflowError(
        workflow.path,
        `job ${id} calls a reusable workflow, which the demo does not emulate`,
      );
    }
    const needs = (job.needs ?? []).map((need) => need.value);
    const needsContext = Object.fromEntries(
      needs.map((need) => {
        const done = results.get(need);
        return [need, { result: done?.result ?? 'skipped', outputs: done?.outputs ?? {} }];
      }),
    );
    const contexts: Contexts = { ...baseContexts, needs: needsContext };
    const name = asString(job.name === undefined ? id : evaluateToken(job.name, contexts));
    const status = {
      succeeded: needs.every((need) => results.get(need)?.result === 'success'),
      cancelled: run.signal.aborted,
    };
    let reason: string | undefined;
    if (run.signal.aborted) reason = 'the run was cancelled';
    else if (!condition(job.if, contexts, status)) {
      reason = status.succeeded
        ? `its if: ${writtenText(tokenAt(workflow.root, 'jobs', id, 'if'))} is false`
        : `a job it needs did not succeed (${needs.map((need) => `${need}: ${results.get(need)?.result}`).join(', ')})`;
    }
    if (reason !== undefined) {
      run.observer.jobSkipped({ id, name, reason });
      results.set(id, {
        id,
        name,
        result: run.signal.aborted ? 'cancelled' : 'skipped',
        reason,
        permissions: {},
        outputs: {},
        steps: [],
        durationMs: 0,
      });
      continue;
    }
    results.set(id, await runJob(run, id, name, contexts));
  }
  const jobResults = [...results.values()];
  const jobsContext = Object.fromEntries(
    jobResults.map((job) => [job.id, { result: job.result, outputs: job.outputs }]),
  );
  const declared = tokenAt(workflow.root, 'on', 'workflow_call', 'outputs');
  const outputs = Object.fromEntries(
    keysOf(declared).map((key) => {
      const value = tokenAt(declared, key, 'value');
      const contexts = { ...baseContexts, jobs: jobsContext };
      return [key, value === undefined ? '' : asString(evaluateToken(value, contexts))];
    }),
  );
  const conclusion = jobResults.some((job) => job.result === 'cancelled')
    ? 'cancelled'
    : jobResults.some((job) => job.result === 'failure')
      ? 'failure'
      : 'success';
  return { jobs: jobResults, outputs, conclusion };
}

interface ActionStep {
  dir: string;
  action: string;
  inputs: Record<string, string>;
  env: Record<string, string>;
  number: number;
  name: string;
  postIf: string;
  main: ActionRun;
}

async function runJob(run: WorkflowRun, id: string, name: string, contexts: Contexts): Promise<JobResult> {
  const started = Date.now();
  const { workflow } = run;
  const file = workflow.path;
  const job = (...path: string[]) => tokenAt(workflow.root, 'jobs', id, ...path);
  const unsupported = unsupportedJobKeys(workflow, id);
  if (unsupported.length > 0) {
    throw new WorkflowError(
      file,
      `job ${id} uses ${unsupported.join(', ')}, which the demo does not emulate`,
    );
  }
  const requested = job('permissions');
  const permissions = jobPermissions(
    file,
    id,
    run.callerPermissions,
    requested === undefined ? undefined : readPermissions(file, requested),
  );
  const timeout = job('timeout-minutes');
  const timeoutMinutes = timeout === undefined ? 360 : Number(asString(evaluateToken(timeout, contexts)));
  const runsOnToken = job('runs-on');
  const runsOn = runsOnToken === undefined ? '' : asString(evaluateToken(runsOnToken, contexts));
  const deadline = started + timeoutMinutes * 60_000;
  run.observer.jobStarted({ id, name, runsOn, permissions, timeoutMinutes });

  const { token, revoke } = run.machine.jobToken(id, permissions);
  const masks = [...run.machine.masks, token];
  const workspace = await mkdtemp(join(tmpdir(), `hia-demo-${id}-workspace-`));
  const runnerTemp = await mkdtemp(join(tmpdir(), `hia-demo-${id}-temp-`));
  const github = { ...(contexts['github'] as Record<string, Value>), token, job: id, workspace };
  const jobContexts: Contexts = {
    ...contexts,
    github,
    runner: { os: 'Linux', arch: 'X64', temp: runnerTemp },
  };
  const jobEnv = evaluateStrings(job('env'), jobContexts);
  const steps: StepResult[] = [];
  const stepsContext: Record<string, Value> = {};
  const posts: ActionStep[] = [];
  const runs: ActionRun[] = [];
  const exported: Record<string, string> = {};
  const addedPath: string[] = [];
  let failed = false;

  const runnerEnv = (stepEnv: Record<string, string>): Record<string, string> => {
    const path = [...addedPath, run.machine.env['PATH'] ?? process.env['PATH'] ?? ''].join(':');
    return {
      ...run.machine.env,
      ...(permissions['id-token'] === 'write' ? run.machine.oidcEnv : {}),
      GITHUB_REPOSITORY: run.event.repository,
      GITHUB_SHA: run.event.sha,
      GITHUB_REF: run.event.ref,
      GITHUB_SERVER_URL: run.event.serverUrl,
      GITHUB_API_URL: run.event.apiUrl,
      GITHUB_GRAPHQL_URL: `${run.event.apiUrl}/graphql`,
      GITHUB_ACTOR: run.event.actor,
      GITHUB_RUN_NUMBER: String(run.event.runNumber),
      GITHUB_WORKFLOW: run.event.workflow,
      GITHUB_JOB: id,
      ...exported,
      ...stepEnv,
      PATH: path,
    };
  };
  const timeLeft = () => Math.max(1_000, deadline - Date.now());
  const execute = async (
    action: string,
    inputs: Record<string, string>,
    env: Record<string, string>,
  ): Promise<ActionRun> => {
    const result = await runAction({
      action,
      inputs,
      env: runnerEnv(env),
      workspace,
      runnerTemp,
      event: { name: 'push', payload: eventPayload(run.event, ...splitRepo(run.event.repository)) },
      githubToken: token,
      timeoutMs: timeLeft(),
      signal: run.signal,
    });
    runs.push(result);
    Object.assign(exported, result.exportedEnv);
    addedPath.unshift(...result.addedPath);
    return result;
  };
  const record = (step: StepResult) => {
    steps.push(step);
    run.observer.stepFinished(step);
    if (step.id !== undefined) {
      stepsContext[step.id] = { outputs: step.outputs, outcome: step.outcome, conclusion: step.outcome };
    }
    if (step.outcome === 'failure' || step.outcome === 'cancelled') failed = true;
  };

  try {
    const modelSteps = workflow.template.jobs.find((candidate) => candidate.id.value === id);
    const conditions = modelSteps !== undefined && modelSteps.type === 'job' ? modelSteps.steps : [];
    for (const [index, stepToken] of itemsOf(job('steps')).entries()) {
      const number = index + 1;
      const field = (key: string) => tokenAt(stepToken, key);
      const unknownKeys = keysOf(stepToken).filter((key) => !STEP_KEYS.has(key));
      if (unknownKeys.length > 0) {
        throw new WorkflowError(
          file,
          `job ${id} step ${number} uses ${unknownKeys.join(', ')}, which the demo does not emulate`,
        );
      }
      const literal = (key: string) => {
        const token = field(key);
        return token === undefined ? undefined : asString(evaluateToken(token, {}));
      };
      const stepId = literal('id');
      const uses = literal('uses');
      const scriptToken = field('run');
      const kind: StepResult['kind'] =
        scriptToken !== undefined ? 'run' : uses !== undefined && CHECKOUT.test(uses) ? 'checkout' : 'action';
      const stepContexts: Contexts = { ...jobContexts, steps: stepsContext, env: { ...jobEnv, ...exported } };
      const nameToken = field('name');
      const fallbackName =
        scriptToken !== undefined ? `Run ${writtenText(scriptToken).split('\n')[0]}` : `Run ${uses ?? ''}`;
      const stepName =
        nameToken === undefined ? fallbackName : asString(evaluateToken(nameToken, stepContexts));
      const base: StepResult = {
        jobId: id,
        number,
        id: stepId,
        name: stepName,
        kind,
        uses,
        action: uses === undefined ? undefined : parseInternalUses(uses)?.target.replace(/^actions\//, ''),
        inputs: {},
        env: {},
        outcome: 'skipped',
        outputs: {},
        log: '',
        summary: '',
        durationMs: 0,
        problem: undefined,
      };
      const ifToken = conditions[index]?.if;
      if (ifToken === undefined) throw new WorkflowError(file, `job ${id} step ${number} has no condition`);
      const status = { succeeded: !failed, cancelled: run.signal.aborted };
      if (!condition(ifToken, stepContexts, status)) {
        record(base);
        continue;
      }
      run.observer.stepStarted({ jobId: id, number, name: stepName, kind, ...(uses ? { uses } : {}) });
      const stepStarted = Date.now();
      const done = (fields: Partial<StepResult>) =>
        record({ ...base, ...fields, durationMs: Date.now() - stepStarted });
      let inputs: Record<string, string>;
      let env: Record<string, string>;
      let text: string | undefined;
      try {
        env = { ...jobEnv, ...evaluateStrings(field('env'), stepContexts) };
        inputs = evaluateStrings(field('with'), stepContexts);
        // GitHub writes expressions into the script before it runs (our policy keeps them out of run:).
        text = scriptToken === undefined ? undefined : asString(evaluateToken(scriptToken, stepContexts));
      } catch (error) {
        done({ outcome: 'failure', problem: errorMessage(error) });
        continue;
      }
      if (text !== undefined) {
        const scriptFile = join(runnerTemp, `step-${number}.sh`);
        await writeFile(scriptFile, text);
        const shellName = literal('shell');
        const shell = shellName === undefined ? DEFAULT_SHELL : SHELLS[shellName];
        if (shell === undefined) {
          done({ outcome: 'failure', env, problem: `shell: ${shellName} is not emulated` });
          continue;
        }
        const result = await execute(run.machine.runStepAction, { script: scriptFile, shell }, env);
        done(fromRun(result, masks, { env }));
      } else if (kind === 'checkout') {
        try {
          const fetched = await checkout({
            inputs,
            workspace,
            url: `${run.event.serverUrl}/${run.event.repository}.git`,
            sha: run.event.sha,
            ref: run.event.ref,
            token,
          });
          done({
            outcome: 'success',
            inputs,
            outputs: fetched.outputs,
            log: `${fetched.lines.join('\n')}\n`,
          });
        } catch (error) {
          done({ outcome: 'failure', inputs, problem: maskLog(errorMessage(error), masks) });
        }
      } else {
        const internal = uses === undefined ? undefined : parseInternalUses(uses);
        if (internal?.kind !== 'action') {
          done({
            outcome: 'failure',
            inputs,
            problem: `uses: ${uses ?? ''} is not one of our actions or actions/checkout at its pinned commit`,
          });
          continue;
        }
        const dir = join(run.machine.actionsDir, internal.target.replace(/^actions\//, ''));
        const result = await execute(dir, inputs, env);
        done(fromRun(result, masks, { inputs, env }));
        const { post, postIf } = await postOf(dir);
        if (post)
          posts.push({
            dir,
            action: base.action ?? '',
            inputs,
            env,
            number,
            name: stepName,
            postIf,
            main: result,
          });
      }
    }
    // Post steps: every action that ran and has one, last first, when its post-if holds (ours: always()). They
    // run after a cancellation too; only a second interrupt (postSignal) stops them.
    for (const post of posts.reverse()) {
      const status = { succeeded: !failed, cancelled: run.signal.aborted };
      if (!isTruthy(evaluate(post.postIf, jobContexts, status))) continue;
      run.observer.stepStarted({ jobId: id, number: post.number, name: `Post ${post.name}`, kind: 'post' });
      const stepStarted = Date.now();
      const result = await post.main.post({ env: runnerEnv(post.env), signal: run.postSignal });
      runs.push(result);
      record({
        ...fromRun(result, masks, { inputs: post.inputs, env: post.env }),
        jobId: id,
        number: post.number,
        id: undefined,
        name: `Post ${post.name}`,
        kind: 'post',
        uses: post.dir,
        action: post.action,
        durationMs: Date.now() - stepStarted,
      });
    }
  } finally {
    revoke();
    for (const result of runs) await cleanupRun(result);
    await rm(workspace, { recursive: true, force: true });
    await rm(runnerTemp, { recursive: true, force: true });
  }
  const outputs = evaluateStrings(job('outputs'), { ...jobContexts, steps: stepsContext });
  const result: JobResult = {
    id,
    name,
    result: run.signal.aborted ? 'cancelled' : failed ? 'failure' : 'success',
    reason: undefined,
    permissions,
    outputs,
    steps,
    durationMs: Date.now() - started,
  };
  run.observer.jobFinished(result);
  return result;
}

function splitRepo(repository: string): [string, string] {
  const [owner = '', name = ''] = repository.split('/');
  return [owner, name];
}

/** `runs.post` and `runs.post-if` of an action (its expression, without `${{ }}`), from its action.yml. */
async function postOf(dir: string): Promise<{ post: boolean; postIf: string }> {
  const metadata = asRecord(parseYaml(await readFile(join(dir, 'action.yml'), 'utf8')));
  const runs = asRecord(metadata['runs']);
  const postIf = typeof runs['post-if'] === 'string' ? runs['post-if'] : 'success()';
  return {
    post: typeof runs['post'] === 'string',
    postIf: /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(postIf)?.[1] ?? postIf,
  };
}

function fromRun(
  result: ActionRun,
  masks: string[],
  fields: { inputs?: Record<string, string>; env?: Record<string, string> },
): Pick<StepResult, 'inputs' | 'env' | 'outcome' | 'outputs' | 'log' | 'summary' | 'problem'> {
  const problems = [
    ...(result.timedOut ? ["the job's timeout-minutes ran out, so the runner stopped the step"] : []),
    ...result.commandErrors,
  ];
  return {
    inputs: fields.inputs ?? {},
    env: fields.env ?? {},
    outcome: result.cancelled ? 'cancelled' : result.failed ? 'failure' : 'success',
    outputs: result.outputs,
    log: maskLog(result.maskedLog, [...masks, ...result.masks]),
    summary: maskLog(result.summary, [...masks, ...result.masks]),
    problem: problems.length > 0 ? problems.join('; ') : undefined,
  };
}
