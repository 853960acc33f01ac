// The `run:` scripts of the workflows, executed and linted for real: the settings checks say what to set before a long
// build starts, and every script passes shellcheck as GitHub runs it (bash -e).
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jobsOf, stepsOf } from '@hub-image-actions/workflow-files';
import { loadRepository } from '@hub-image-actions/workflow-files';

const ROOT = resolve(import.meta.dirname, '../..');
const repository = loadRepository(ROOT);

function script(path: string, job: string, name: string): string {
  const file = repository.workflows.find((candidate) => candidate.path === path);
  const steps = stepsOf(jobsOf(file?.data).find(([id]) => id === job)?.[1] ?? {});
  const run = steps.find((step) => step.name === name)?.run;
  if (typeof run !== 'string') throw new Error(`${path}: job ${job} has no step "${name}"`);
  return run;
}

/** Runs a step's script as GitHub does without `shell:` (bash -e), with only the step's env. */
function runStep(run: string, env: Record<string, string>) {
  const result = spawnSync('bash', ['--noprofile', '--norc', '-e', '-c', run], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the settings check of the main workflow', () => {
  const check = script('.github/workflows/image-main.yml', 'build-push', 'Check settings');
  const keyless = {
    WIF_PROVIDER: 'projects/1/locations/global/workloadIdentityPools/p/providers/gh',
    SERVICE_ACCOUNT: 'sa@p.iam.gserviceaccount.com',
  };
  const app = { APP_ID: '12345', HAS_APP_KEY: 'true' };
  const base = {
    IMAGE: 'cal-icor-hubs/user-images/base-user-image',
    WIF_PROVIDER: '',
    SERVICE_ACCOUNT: '',
    HAS_KEY: 'false',
    SKIP_BUMP: 'false',
    DEPLOYMENT_REPO: 'cal-icor/cal-icor-hubs',
    APP_ID: '',
    HAS_APP_KEY: 'false',
    HAS_TOKEN: 'false',
    REF: 'refs/heads/main',
    DEFAULT_BRANCH: 'main',
    REPOSITORY: 'org/base-user-image',
    PR_NUMBER: '',
    PR_HEAD_REPO: '',
  };
  const guide = (step: string) => new RegExp(`https://github\\.com/\\S+/docs/setup\\.md#${step}\\b`);

  it.each<[string, Record<string, string>, number, RegExp[]]>([
    [
      'keyless and an App',
      { ...keyless, ...app },
      0,
      [/^Registry auth: keyless, as sa@p\.iam/m, /^Deployment repo auth: GitHub App 12345$/m],
    ],
    [
      'keyless with the legacy key still set',
      { ...keyless, ...app, HAS_KEY: 'true' },
      0,
      [
        /::notice title=Settings::The legacy key secret gar-credentials-json is set too and is not used/,
        guide('legacy-settings'),
      ],
    ],
    [
      'the legacy key and token',
      { HAS_KEY: 'true', HAS_TOKEN: 'true' },
      0,
      [
        /::warning title=Settings::Registry auth: a long-lived service-account key.*#1-the-registry\b/,
        /::warning title=Settings::Deployment repo auth: a long-lived token.*#4-the-github-app\b/,
      ],
    ],
    [
      'skip-bump needs no deployment settings',
      { ...keyless, SKIP_BUMP: 'true', DEPLOYMENT_REPO: '' },
      0,
      [/^Bump: skipped \(skip-bump\)$/m],
    ],
    [
      'an empty IMAGE',
      { ...keyless, ...app, IMAGE: '' },
      1,
      [
        /::error title=Settings::input image is empty: .*repository variable IMAGE/,
        guide('6-the-image-repository'),
      ],
    ],
    [
      'IMAGE with the host',
      { ...keyless, ...app, IMAGE: 'us-central1-docker.pkg.dev/p/r/i' },
      1,
      [
        /::error title=Settings::input image is 'us-central1-docker.pkg.dev\/p\/r\/i': leave the host out/,
        guide('6-the-image-repository'),
      ],
    ],
    [
      'half of keyless',
      { ...app, WIF_PROVIDER: 'projects/1/x' },
      1,
      [
        /keyless auth needs both workload-identity-provider and service-account/,
        guide('5-organization-variables-and-secrets'),
      ],
    ],
    [
      'no registry auth',
      { ...app },
      1,
      [/::error title=Settings::no registry auth: set up keyless push/, guide('1-the-registry')],
    ],
    [
      'no deployment repo',
      { ...keyless, ...app, DEPLOYMENT_REPO: '' },
      1,
      [/input deployment-repo is '': expected OWNER\/NAME/, guide('5-organization-variables-and-secrets')],
    ],
    [
      'an App without its key',
      { ...keyless, APP_ID: '12345' },
      1,
      [
        /app-id is set but the secret app-private-key is empty/,
        guide('5-organization-variables-and-secrets'),
      ],
    ],
    [
      'no deployment repo auth',
      { ...keyless },
      1,
      [/::error title=Settings::no deployment repo auth: create the GitHub App/, guide('4-the-github-app')],
    ],
    [
      'a bump from another branch',
      { ...keyless, ...app, REF: 'refs/heads/try-numpy-2' },
      1,
      [/this run is on refs\/heads\/try-numpy-2, not main: hubs only move to images of the default branch/],
    ],
    [
      'a pull request from a branch of the repository, with skip-bump',
      {
        ...keyless,
        REF: 'refs/pull/7/merge',
        SKIP_BUMP: 'true',
        PR_NUMBER: '7',
        PR_HEAD_REPO: 'org/base-user-image',
      },
      0,
      [/^Registry auth: keyless/m],
    ],
    [
      'another branch with skip-bump',
      { ...keyless, REF: 'refs/heads/try-numpy-2', SKIP_BUMP: 'true' },
      0,
      [/^Bump: skipped/m],
    ],
  ])('%s', (_name, settings, status, expected) => {
    const result = runStep(check, { ...base, ...settings });
    expect(result.status).toBe(status);
    for (const pattern of expected) expect(result.output).toMatch(pattern);
  });

  it("refuses a fork's pull request before anything else, and points to the runners section of the guide", () => {
    const result = runStep(check, {
      ...base,
      ...keyless,
      ...app,
      REF: 'refs/pull/7/merge',
      SKIP_BUMP: 'true',
      PR_NUMBER: '7',
      PR_HEAD_REPO: 'someone/base-user-image',
    });
    expect(result.status).toBe(1);
    expect(result.output).toMatch(
      /^::error title=Settings::pull request #7 comes from a fork \(someone\/base-user-image\): this workflow builds, pushes and bumps only this repository's own commits/,
    );
    expect(result.output).toMatch(guide('runners-and-fork-pull-requests'));
    expect(result.output.match(/::error /g)).toHaveLength(1);
    expect(runStep(check, { ...base, ...keyless, ...app, PR_NUMBER: '7', PR_HEAD_REPO: '' }).output).toMatch(
      /comes from a fork \(deleted\)/,
    );
  });

  it('reports every problem at once', () => {
    const result = runStep(check, { ...base, IMAGE: '', DEPLOYMENT_REPO: '' });
    expect(result.status).toBe(1);
    expect(result.output.match(/::error /g)).toHaveLength(4);
  });
});

describe('the settings check of the candidate push', () => {
  const check = script('.github/workflows/image-pr.yml', 'build-push-candidate', 'Check settings');

  it('needs keyless auth', () => {
    expect(runStep(check, { WIF_PROVIDER: 'projects/1/x', SERVICE_ACCOUNT: '' })).toEqual({
      status: 1,
      output: expect.stringMatching(
        /^::error title=Settings::push-candidates needs keyless auth.*docs\/setup\.md#candidate-images-from-pull-requests\)/,
      ),
    });
    expect(
      runStep(check, { WIF_PROVIDER: 'projects/1/x', SERVICE_ACCOUNT: 'sa@p.iam.gserviceaccount.com' }),
    ).toEqual({
      status: 0,
      output: '',
    });
  });
});

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

describe('links to the set-up guide', () => {
  const guide = readFileSync(join(ROOT, 'docs', 'setup.md'), 'utf8');
  const anchors = new Set(
    guide
      .split('\n')
      .filter((line) => /^#{1,4} /.test(line))
      .map((line) => anchorOf(line.replace(/^#+ /, ''))),
  );
  const readmes = ['README.md', 'templates/image-repo/README.md'].map((path) => ({
    path,
    text: readFileSync(join(ROOT, path), 'utf8'),
  }));
  const links = [...repository.workflows, ...readmes].flatMap((file) =>
    // The URL itself, or the scripts' `$guide` variable that holds it.
    [...file.text.matchAll(/(?:docs\/setup\.md|\$guide)#([\w-]+)/g)].map(
      (match) => `${file.path} #${match[1]}`,
    ),
  );

  it('the settings checks and the READMEs link to it', () => {
    expect(links.length).toBeGreaterThanOrEqual(10);
    for (const { path } of readmes) expect(links.some((link) => link.startsWith(`${path} #`))).toBe(true);
    for (const file of repository.workflows.filter((candidate) => candidate.text.includes('$guide#'))) {
      expect(file.text).toContain(
        'guide=https://github.com/hub-image-actions/hub-image-actions/blob/main/docs/setup.md\n',
      );
    }
  });

  it.each([...new Set(links)])('%s is a heading of docs/setup.md', (link) => {
    expect(anchors).toContain(link.split(' #')[1]);
  });
});

describe('every run: script', () => {
  const scripts = repository.workflows.flatMap((file) =>
    jobsOf(file.data).flatMap(([job, spec]) =>
      stepsOf(spec).flatMap((step, index) =>
        typeof step.run === 'string' ? [[`${file.path} ${job} step ${index + 1}`, step.run] as const] : [],
      ),
    ),
  );

  it('there are scripts to check', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(8);
  });

  it.each(scripts)('%s passes shellcheck', (_where, run) => {
    const result = spawnSync('shellcheck', ['--shell=bash', '--severity=style', '--external-sources', '-'], {
      cwd: ROOT,
      input: run,
      encoding: 'utf8',
    });
    expect(result.error).toBeUndefined();
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
