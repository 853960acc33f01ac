import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  evaluate as evaluateExpression,
  evaluateStrings,
  evaluateToken,
  isTruthy,
  itemsOf,
  keysOf,
  readWorkflowTemplate,
  tokenAt,
  type Contexts,
  type TemplateToken,
  type Value,
} from '@hub-image-actions/workflow-files';
import { checkoutProblems } from '../checkout.ts';
import {
  jobOrder,
  jobPermissions,
  readCallerJob,
  readWorkflows,
  reusableInputs,
  reusableSecrets,
  WorkflowError,
} from '../workflow.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFile(join(ROOT, path), 'utf8');
const MAIN = '.github/workflows/image-main.yml';
const CALLER = 'templates/image-repo/.github/workflows/image-main.yml';
const { caller, reusable: main } = await readWorkflows(read, CALLER, MAIN);

const vars = {
  IMAGE: 'hubs/user-images/base',
  DEPLOYMENT_REPO: 'org/deploy',
  GAR_WIF_PROVIDER: 'projects/1/locations/global/workloadIdentityPools/p/providers/gh',
  GAR_SA: 'sa@p.iam.gserviceaccount.com',
  APP_ID: '42',
};

describe('the template caller, read as GitHub does on a push', () => {
  const job = readCallerJob(caller, MAIN, {
    github: { event_name: 'push', ref: 'refs/heads/main' },
    inputs: {},
    vars,
    secrets: { APP_PRIVATE_KEY: 'PEM' },
  });

  it('passes the variables, and false for the dispatch inputs a push does not have', () => {
    expect(job.id).toBe('image');
    expect(job.with).toEqual({
      image: 'hubs/user-images/base',
      'deployment-repo': 'org/deploy',
      'workload-identity-provider': vars.GAR_WIF_PROVIDER,
      'service-account': vars.GAR_SA,
      'app-id': '42',
      'force-rebuild': false,
      'skip-bump': false,
    });
    expect(job.secrets).toEqual({
      'app-private-key': 'PEM',
      'gar-credentials-json': '',
      'deployment-token': '',
    });
    expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'read' });
  });

  it('gives the main workflow typed inputs with its defaults, and every secret it declares', () => {
    const inputs = reusableInputs(main, job.with);
    expect(inputs).toMatchObject({
      image: 'hubs/user-images/base',
      registry: 'us-central1-docker.pkg.dev',
      'base-branch': '',
      'force-rebuild': false,
      'free-disk-space': true,
      'timeout-minutes': 120,
    });
    expect(reusableSecrets(main, job.secrets)).toEqual(job.secrets);
  });

  it('finds no caller job for a workflow it does not call', () => {
    expect(() => readCallerJob(caller, '.github/workflows/image-pr.yml', {})).toThrow(
      /no job calls \.github\/workflows\/image-pr\.yml/,
    );
  });

  it("refuses, with GitHub's parser's messages, a caller whose with: or secrets: the reusable workflow does not declare", async () => {
    const text = (await read(CALLER))
      .replace('      image: ${{ vars.IMAGE }}\n', '      colour: red\n')
      .replace('      app-private-key:', '      github-token:');
    await expect(
      readWorkflows(async (path) => (path === CALLER ? text : read(path)), CALLER, MAIN),
    ).rejects.toThrow(
      /Input image is required, but not provided while calling.*Invalid input, colour is not defined in the referenced workflow.*Invalid secret, github-token is not defined in the referenced workflow/,
    );
  });
});

describe('reusable workflow inputs and secrets', () => {
  it.each<[string, Record<string, Value>, RegExp]>([
    [
      'an undeclared input the demo adds',
      { image: 'a/b/c', 'deployment-repo': 'o/r', colour: 'red' },
      /the input colour is given, but the workflow does not declare it/,
    ],
    [
      'a string for a boolean',
      { image: 'a/b/c', 'deployment-repo': 'o/r', 'skip-bump': 'yes' },
      /skip-bump is a boolean/,
    ],
    [
      'a word for a number',
      { image: 'a/b/c', 'deployment-repo': 'o/r', 'timeout-minutes': 'soon' },
      /timeout-minutes is a number/,
    ],
  ])('refuses %s', (_name, given, message) => {
    expect(() => reusableInputs(main, given)).toThrow(WorkflowError);
    expect(() => reusableInputs(main, given)).toThrow(message);
  });

  it('takes "true" for a boolean, as the runner does', () => {
    expect(
      reusableInputs(main, { image: 'a/b/c', 'deployment-repo': 'o/r', 'skip-bump': 'true' })['skip-bump'],
    ).toBe(true);
  });

  it('gives every declared secret, empty when the caller passes none', () => {
    expect(reusableSecrets(main, { 'app-private-key': 'PEM' })).toEqual({
      'gar-credentials-json': '',
      'app-private-key': 'PEM',
      'deployment-token': '',
    });
  });
});

describe('jobs: order and permissions', () => {
  it('runs build-push before bump', () => {
    expect(jobOrder(main)).toEqual(['build-push', 'bump']);
  });

  it("refuses needs that form a cycle or name no job, with GitHub's parser's messages", async () => {
    const workflow = (jobs: string) => readWorkflowTemplate('w.yml', `on: push\njobs:\n${jobs}`);
    const job = (id: string, needs: string) =>
      `  ${id}:\n    needs: ${needs}\n    runs-on: ubuntu-24.04\n    steps:\n      - run: 'true'\n`;
    const free = `  free:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: 'true'\n`;
    await expect(workflow(free + job('a', 'b') + job('b', '[a]'))).rejects.toThrow(/creates a cycle/);
    await expect(workflow(free + job('a', 'z'))).rejects.toThrow(/Job 'a' depends on unknown job 'z'/);
  });

  it('gives a job its own permissions within the caller’s, and refuses more, with GitHub’s message', () => {
    const caller = { contents: 'read', 'id-token': 'write', 'pull-requests': 'read' } as const;
    expect(jobPermissions('w', 'bump', { ...caller }, { contents: 'read' })).toEqual({ contents: 'read' });
    expect(jobPermissions('w', 'x', { ...caller }, undefined)).toEqual(caller);
    expect(() => jobPermissions('w', 'bump', { ...caller }, { 'pull-requests': 'write' })).toThrow(
      "the nested job 'bump' is requesting 'pull-requests: write', but is only allowed 'pull-requests: read'",
    );
    expect(() => jobPermissions('w', 'x', {}, { issues: 'read' })).toThrow(/only allowed 'issues: none'/);
  });
});

describe('every expression of our workflows is one the demo evaluates', () => {
  const files = [
    '.github/workflows/image-main.yml',
    '.github/workflows/image-pr.yml',
    '.github/workflows/yaml-lint.yml',
    'templates/image-repo/.github/workflows/image-main.yml',
    'templates/image-repo/.github/workflows/image-pr.yml',
  ];
  const anything: Value = {};
  const contexts: Contexts = Object.fromEntries(
    [
      'inputs',
      'secrets',
      'vars',
      'github',
      'needs',
      'steps',
      'jobs',
      'runner',
      'env',
      'strategy',
      'matrix',
      'job',
    ].map((name) => [name, anything]),
  );
  const status = { succeeded: true, cancelled: false };
  const errorOf = (work: () => unknown): string | undefined => {
    try {
      work();
      return undefined;
    } catch (error) {
      return String(error);
    }
  };

  /** Every token that holds an expression, and every `if:`, with where it is. */
  function expressions(
    token: TemplateToken,
    path: string,
    found: Array<[string, TemplateToken, boolean]>,
  ): void {
    if (token.isExpression) found.push([path, token, false]);
    for (const key of keysOf(token)) {
      const child = tokenAt(token, key) as TemplateToken;
      if (key === 'if') found.push([`${path}.if`, child, true]);
      else if (key !== 'run') expressions(child, `${path}.${key}`, found);
    }
    itemsOf(token).forEach((item, index) => expressions(item, `${path}[${index}]`, found));
  }

  it.each(files)('%s', async (file) => {
    const { root } = await readWorkflowTemplate(file, await read(file));
    const found: Array<[string, TemplateToken, boolean]> = [];
    expressions(root, file, found);
    expect(found.length).toBeGreaterThan(0);
    for (const [where, token, isCondition] of found) {
      const evaluate = () =>
        isCondition && !token.isExpression
          ? isTruthy(evaluateExpression(String(evaluateToken(token, {})), contexts, status))
          : evaluateToken(token, contexts, isCondition ? status : undefined);
      expect({ where, error: errorOf(evaluate) }).toEqual({ where, error: undefined });
    }
  });

  it('and it runs every step of the main workflow: run scripts, our actions, or the pinned checkout it emulates', () => {
    const steps = main.template.jobs.flatMap((job) =>
      job.type === 'job' ? job.steps.map((step, index) => ({ job: job.id.value, index, step })) : [],
    );
    const kinds = steps.map(({ step }) =>
      'run' in step
        ? 'run'
        : 'uses' in step && step.uses.value.startsWith('hub-image-actions/hub-image-actions/actions/')
          ? 'ours'
          : 'uses' in step && /^actions\/checkout@[0-9a-f]{40}$/.test(step.uses.value)
            ? 'checkout'
            : `unsupported: ${JSON.stringify(step)}`,
    );
    expect(kinds.filter((kind) => kind.startsWith('unsupported'))).toEqual([]);
    const checkout = steps.find(
      ({ step }) => 'uses' in step && step.uses.value.startsWith('actions/checkout@'),
    );
    expect(checkout).toBeDefined();
    const inputs = evaluateStrings(
      tokenAt(main.root, 'jobs', checkout!.job, 'steps', checkout!.index, 'with'),
      {},
    );
    expect(checkoutProblems(inputs)).toEqual([]);
  });
});

describe('the checkout emulation', () => {
  it('refuses inputs it does not follow', () => {
    expect(checkoutProblems({ 'fetch-depth': '0', 'persist-credentials': 'false' })).toEqual([]);
    expect(checkoutProblems({ ref: 'main', 'fetch-depth': 'all', 'persist-credentials': 'no' })).toEqual([
      'actions/checkout input "ref" is not emulated by the demo',
      'fetch-depth "all" is not a number',
      'persist-credentials "no" is not true or false',
    ]);
  });
});
