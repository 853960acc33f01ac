// The demo's workflow runner against small workflows: outputs flow through steps and needs, if: and permissions
// are honoured, post steps run last first (also after a cancellation), secrets are masked, and a nested job that
// asks for more than its caller grants is refused as GitHub refuses it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { waitFor } from '@hub-image-actions/local-world/net';
import { stringify } from 'yaml';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';
import { readWorkflowTemplate, type Value } from '@hub-image-actions/workflow-files';
import { runWorkflow, type Observer, type StepResult, type WorkflowRun } from '../runner.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const PROBE = 'hub-image-actions/hub-image-actions/actions/probe@v1';

// An action with a post step: it logs "main NAME" / "post NAME", outputs its name, and can run until cancelled.
const PROBE_ACTION = `name: probe
description: records its main and post runs
inputs:
  name: { description: what to log, required: true }
  log: { description: file to log to, required: true }
  sleep: { description: wait to be cancelled, default: '' }
outputs:
  name: { description: the name }
runs:
  using: node24
  main: index.mjs
  post: index.mjs
  post-if: always()
`;
const PROBE_CODE = `import { appendFileSync } from 'node:fs';
const post = process.env.STATE_started === 'yes';
if (!post) {
  appendFileSync(process.env.GITHUB_STATE, 'started=yes\\n');
  appendFileSync(process.env.GITHUB_OUTPUT, 'name=' + process.env['INPUT_NAME'] + '\\n');
}
// Logged last: once the log has it, the main step has said all it says.
appendFileSync(process.env['INPUT_LOG'], (post ? 'post ' : 'main ') + process.env['INPUT_NAME'] + '\\n');
if (!post && process.env['INPUT_SLEEP'] === 'yes') setInterval(() => {}, 1 << 30);
`;

let dir: string;
let log: string;

beforeAll(async () => {
  dir = await makeTempDir('demo-runner');
  log = join(dir, 'probe.log');
  await mkdir(join(dir, 'actions', 'probe'), { recursive: true });
  await writeFile(join(dir, 'actions', 'probe', 'action.yml'), PROBE_ACTION);
  await writeFile(join(dir, 'actions', 'probe', 'index.mjs'), PROBE_CODE);
});

afterAll(async () => {
  await removeDir(dir);
});

function recorder(): { observer: Observer; steps: StepResult[]; skipped: string[] } {
  const steps: StepResult[] = [];
  const skipped: string[] = [];
  return {
    steps,
    skipped,
    observer: {
      jobStarted: () => undefined,
      jobSkipped: (job) => skipped.push(`${job.id}: ${job.reason}`),
      stepStarted: () => undefined,
      stepFinished: (step) => steps.push(step),
      jobFinished: () => undefined,
    },
  };
}

/** Runs a workflow (as data, written out and read back by GitHub's parser) as a reusable workflow. */
function run(
  workflow: Record<string, unknown>,
  inputs: Record<string, Value>,
  options: { observer: Observer; signal?: AbortSignal; callerPermissions?: WorkflowRun['callerPermissions'] },
) {
  const revoked: string[] = [];
  const text = stringify({ on: 'workflow_call', ...workflow });
  const result = readWorkflowTemplate('test.yml', text).then((file) =>
    runWorkflow({
      workflow: file,
      inputs,
      secrets: { 'the-secret': 'hunter2-is-not-a-password' },
      vars: {},
      callerPermissions: options.callerPermissions ?? { contents: 'read', 'id-token': 'write' },
      event: {
        repository: 'org/image',
        sha: 'a'.repeat(40),
        ref: 'refs/heads/main',
        defaultBranch: 'main',
        serverUrl: 'http://127.0.0.1:9',
        apiUrl: 'http://127.0.0.1:9',
        actor: 'ada',
        runNumber: 3,
        workflow: 'Test',
      },
      machine: {
        actionsDir: join(dir, 'actions'),
        runStepAction: join(ROOT, 'scripts', 'demo', 'run-step'),
        env: {},
        oidcEnv: {
          ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/oidc',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'x',
        },
        jobToken: (jobId) => ({ token: `token-of-${jobId}`, revoke: () => revoked.push(jobId) }),
        masks: ['hunter2-is-not-a-password'],
      },
      observer: options.observer,
      signal: options.signal ?? new AbortController().signal,
      postSignal: new AbortController().signal,
    }),
  );
  return { result, revoked };
}

describe('runWorkflow', () => {
  it('wires outputs through steps and needs, honours if: and id-token, and runs post steps last first', async () => {
    await writeFile(log, '');
    const workflow = {
      on: {
        workflow_call: {
          inputs: { greeting: { type: 'string' }, flag: { type: 'boolean' } },
          outputs: { said: { value: '${{ jobs.second.outputs.said }}' } },
        },
      },
      jobs: {
        first: {
          'runs-on': 'ubuntu-24.04',
          permissions: { contents: 'read', 'id-token': 'write' },
          'timeout-minutes': 5,
          outputs: { word: '${{ steps.say.outputs.word }}', last: '${{ steps.b.outputs.name }}' },
          steps: [
            {
              name: 'Say',
              id: 'say',
              env: { GREETING: '${{ inputs.greeting }}', SECRET: '${{ secrets.the-secret }}' },
              run: 'echo "word=$GREETING-$GITHUB_JOB" >> "$GITHUB_OUTPUT"\ntest -n "$ACTIONS_ID_TOKEN_REQUEST_URL"\necho "the secret is $SECRET"',
            },
            { name: 'Only with the flag', if: '${{ inputs.flag }}', run: 'exit 1' },
            { id: 'a', uses: PROBE, with: { name: 'A', log } },
            { id: 'b', uses: PROBE, with: { name: '${{ steps.a.outputs.name }}B', log } },
          ],
        },
        second: {
          'runs-on': 'ubuntu-24.04',
          needs: 'first',
          permissions: { contents: 'read' },
          outputs: { said: '${{ steps.echo.outputs.said }}' },
          steps: [
            {
              id: 'echo',
              env: { WORD: '${{ needs.first.outputs.word }}' },
              run: 'test -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}"\necho "said=$WORD and ${{ needs.first.outputs.last }}" >> "$GITHUB_OUTPUT"',
            },
          ],
        },
        third: {
          'runs-on': 'ubuntu-24.04',
          needs: 'second',
          if: '${{ inputs.flag }}',
          steps: [{ run: 'exit 1' }],
        },
      },
    };
    const { observer, steps, skipped } = recorder();
    const { result, revoked } = run(workflow, { greeting: 'hello', flag: false }, { observer });
    const done = await result;
    expect(done.conclusion).toBe('success');
    expect(done.outputs).toEqual({ said: 'hello-first and AB' });
    expect(steps.map((step) => `${step.jobId} ${step.number} ${step.kind} ${step.outcome}`)).toEqual([
      'first 1 run success',
      'first 2 run skipped',
      'first 3 action success',
      'first 4 action success',
      'first 4 post success',
      'first 3 post success',
      'second 1 run success',
    ]);
    expect(await readFile(log, 'utf8')).toBe('main A\nmain AB\npost AB\npost A\n');
    expect(steps[0]?.log).toContain('the secret is ***');
    expect(steps[0]?.log).not.toContain('hunter2');
    expect(skipped).toEqual(['third: its if: ${{ inputs.flag }} is false']);
    expect(done.jobs.map((job) => [job.id, job.result])).toEqual([
      ['first', 'success'],
      ['second', 'success'],
      ['third', 'skipped'],
    ]);
    expect(revoked).toEqual(['first', 'second']);
  });

  it('skips the steps after a failure and the jobs that need it, and says why', async () => {
    const workflow = {
      jobs: {
        build: { 'runs-on': 'ubuntu-24.04', steps: [{ run: 'echo broken; exit 3' }, { run: 'echo never' }] },
        bump: { 'runs-on': 'ubuntu-24.04', needs: ['build'], steps: [{ run: 'echo never' }] },
      },
    };
    const { observer, steps, skipped } = recorder();
    const done = await run(workflow, {}, { observer }).result;
    expect(done.conclusion).toBe('failure');
    expect(steps.map((step) => step.outcome)).toEqual(['failure', 'skipped']);
    expect(steps[0]?.log).toContain('broken');
    expect(skipped).toEqual(['bump: a job it needs did not succeed (build: failure)']);
  });

  it('cancels the running step on the signal, still runs its post step, and cancels the jobs after it', async () => {
    await writeFile(log, '');
    const workflow = {
      jobs: {
        build: {
          'runs-on': 'ubuntu-24.04',
          steps: [{ uses: PROBE, with: { name: 'slow', log, sleep: 'yes' } }, { run: 'echo never' }],
        },
        bump: { 'runs-on': 'ubuntu-24.04', needs: 'build', steps: [{ run: 'echo never' }] },
      },
    };
    const controller = new AbortController();
    const { observer, steps, skipped } = recorder();
    const running = run(workflow, {}, { observer, signal: controller.signal }).result;
    await waitFor('the slow step to run', async () =>
      (await readFile(log, 'utf8')) === 'main slow\n' ? true : undefined,
    );
    controller.abort();
    const done = await running;
    expect(done.conclusion).toBe('cancelled');
    expect(steps.map((step) => `${step.kind} ${step.outcome}`)).toEqual([
      'action cancelled',
      'run skipped',
      'post success',
    ]);
    expect(await readFile(log, 'utf8')).toBe('main slow\npost slow\n');
    expect(skipped).toEqual(['bump: the run was cancelled']);
  });

  it('refuses a job that asks for more than the caller grants, before running anything', async () => {
    const workflow = {
      jobs: {
        push: { 'runs-on': 'ubuntu-24.04', permissions: { 'id-token': 'write' }, steps: [{ run: 'true' }] },
      },
    };
    const { observer, steps } = recorder();
    await expect(
      run(workflow, {}, { observer, callerPermissions: { contents: 'read' } }).result,
    ).rejects.toThrow(
      "test.yml: the nested job 'push' is requesting 'id-token: write', but is only allowed 'id-token: none'",
    );
    expect(steps).toEqual([]);
  });

  it('refuses a step key it does not emulate rather than ignoring it', async () => {
    const workflow = {
      jobs: { a: { 'runs-on': 'ubuntu-24.04', steps: [{ run: 'true', 'working-directory': 'sub' }] } },
    };
    await expect(run(workflow, {}, recorder()).result).rejects.toThrow(
      'test.yml: job a step 1 uses working-directory, which the demo does not emulate',
    );
  });
});
