import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { asRecord, jobsOf, stepsOf } from '@hub-image-actions/workflow-files';
import { checkoutProblems } from '../checkout.ts';
import { evaluateCondition, evaluateValue, type Contexts, type Value } from '../expressions.ts';
import {
  jobOrder,
  jobPermissions,
  readCallerJob,
  reusableInputs,
  reusableSecrets,
  WorkflowError,
} from '../workflow.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string): unknown => parse(readFileSync(join(ROOT, path), 'utf8'));
const MAIN = '.github/workflows/image-main.yml';
const CALLER = 'templates/image-repo/.github/workflows/image-main.yml';
const main = read(MAIN);

const vars = {
  IMAGE: 'hubs/user-images/base',
  DEPLOYMENT_REPO: 'org/deploy',
  GAR_WIF_PROVIDER: 'projects/1/locations/global/workloadIdentityPools/p/providers/gh',
  GAR_SA: 'sa@p.iam.gserviceaccount.com',
  APP_ID: '42',
};

describe('the template caller, read as GitHub does on a push', () => {
  const job = readCallerJob(CALLER, read(CALLER), MAIN, {
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
    const inputs = reusableInputs(MAIN, main, job.with);
    expect(inputs).toMatchObject({
      image: 'hubs/user-images/base',
      registry: 'us-central1-docker.pkg.dev',
      'base-branch': '',
      'force-rebuild': false,
      'free-disk-space': true,
      'timeout-minutes': 120,
    });
    expect(reusableSecrets(MAIN, main, job.secrets)).toEqual(job.secrets);
  });

  it('finds no caller job for a workflow it does not call', () => {
    expect(() => readCallerJob(CALLER, read(CALLER), '.github/workflows/image-pr.yml', {})).toThrow(
      /no job calls \.github\/workflows\/image-pr\.yml/,
    );
  });
});

describe('reusable workflow inputs and secrets', () => {
  it.each<[string, Record<string, Value>, RegExp]>([
    [
      'an undeclared input',
      { image: 'a/b/c', 'deployment-repo': 'o/r', colour: 'red' },
      /gives the input colour/,
    ],
    ['a missing required input', { image: 'a/b/c' }, /the required input deployment-repo is not given/],
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
    expect(() => reusableInputs(MAIN, main, given)).toThrow(WorkflowError);
    expect(() => reusableInputs(MAIN, main, given)).toThrow(message);
  });

  it('takes "true" for a boolean, as the runner does', () => {
    expect(
      reusableInputs(MAIN, main, { image: 'a/b/c', 'deployment-repo': 'o/r', 'skip-bump': 'true' })[
        'skip-bump'
      ],
    ).toBe(true);
  });

  it('refuses a secret the workflow does not declare', () => {
    expect(() => reusableSecrets(MAIN, main, { 'github-token': 'x' })).toThrow(
      /does not declare: github-token/,
    );
  });
});

describe('jobs: order and permissions', () => {
  it('runs build-push before bump', () => {
    expect(jobOrder(MAIN, main)).toEqual(['build-push', 'bump']);
  });

  it('refuses needs that form a cycle or name no job', () => {
    expect(() => jobOrder('w', { jobs: { a: { needs: 'b' }, b: { needs: ['a'] } } })).toThrow(/cycle/);
    expect(() => jobOrder('w', { jobs: { a: { needs: 'z' } } })).toThrow(/needs z, which does not exist/);
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
  const contexts: Contexts = {
    inputs: anything,
    secrets: anything,
    vars: anything,
    github: anything,
    needs: anything,
    steps: anything,
    jobs: anything,
    runner: anything,
    env: anything,
  };
  const status = { succeeded: true, cancelled: false };
  const errorOf = (work: () => unknown): string | undefined => {
    try {
      work();
      return undefined;
    } catch (error) {
      return String(error);
    }
  };

  /** Every string in the file that holds an expression, and every if:, with where it is. */
  function expressions(value: unknown, path: string, found: Array<[string, unknown, boolean]>): void {
    if (typeof value === 'string' && value.includes('${{')) found.push([path, value, false]);
    else if (Array.isArray(value))
      value.forEach((item, index) => expressions(item, `${path}[${index}]`, found));
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'if') found.push([`${path}.if`, child, true]);
        else if (key !== 'run') expressions(child, `${path}.${key}`, found);
      }
    }
  }

  it.each(files)('%s', (file) => {
    const workflow = read(file);
    const found: Array<[string, unknown, boolean]> = [];
    expressions(workflow, file, found);
    expect(found.length).toBeGreaterThan(0);
    for (const [where, value, isCondition] of found) {
      const evaluate = () =>
        isCondition ? evaluateCondition(value, contexts, status) : evaluateValue(value, contexts, status);
      expect({ where, error: errorOf(evaluate) }).toEqual({ where, error: undefined });
    }
  });

  it('and it runs every step of the main workflow: run scripts, our actions, or the pinned checkout it emulates', () => {
    const kinds = jobsOf(main).flatMap(([, job]) =>
      stepsOf(job).map((step) =>
        typeof step['run'] === 'string'
          ? 'run'
          : String(step['uses']).startsWith('hub-image-actions/hub-image-actions/actions/')
            ? 'ours'
            : /^actions\/checkout@[0-9a-f]{40}$/.test(String(step['uses']))
              ? 'checkout'
              : `unsupported: ${String(step['uses'])}`,
      ),
    );
    expect(kinds.filter((kind) => kind.startsWith('unsupported'))).toEqual([]);
    const checkout = jobsOf(main)
      .flatMap(([, job]) => stepsOf(job))
      .find((step) => String(step['uses']).startsWith('actions/checkout@'));
    const inputs = Object.fromEntries(
      Object.entries(asRecord(checkout?.['with'])).map(([k, v]) => [k, String(v)]),
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
