import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseInternalUses } from '@hub-image-actions/workflow-files';
import { actionlint, actionlintVersion, formatLintResult } from './actionlint.ts';
import {
  actionSpec,
  asRecord,
  Catalog,
  grantsIdToken,
  jobsOf,
  readWorkflowTemplate,
  stepsOf,
  THIRD_PARTY,
  triggers,
} from '@hub-image-actions/workflow-files';
import {
  checkRepository,
  formatViolation,
  runStepOutputs,
  VIOLATION_KINDS,
  type ViolationKind,
} from './checks.ts';
import { loadRepository, parseYamlFile } from '@hub-image-actions/workflow-files';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const repository = loadRepository(ROOT);
const catalog = new Catalog([repository]);
const TEMPLATE = 'templates/image-repo/.github/workflows';

function workflow(path: string) {
  const file = repository.workflows.find((candidate) => candidate.path === path);
  if (file === undefined) throw new Error(`${path} was not loaded`);
  return file;
}

describe('the repository and the template pass the workflow policy', () => {
  it('reads every workflow and action it is about', () => {
    expect(repository.workflows.map((file) => file.path)).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/fleet-report.yml',
      '.github/workflows/image-main.yml',
      '.github/workflows/image-pr.yml',
      '.github/workflows/release.yml',
      '.github/workflows/yaml-lint.yml',
      'templates/deployment-repo/.github/workflows/fleet-report.yml',
      `${TEMPLATE}/image-main.yml`,
      `${TEMPLATE}/image-pr.yml`,
      `${TEMPLATE}/yaml-lint.yml`,
    ]);
    expect(catalog.ownActions().map((action) => action.id)).toEqual([
      'actions/build-image',
      'actions/bump-hubploy',
      'actions/fleet-report',
      'actions/push-to-gar',
      'actions/yamllint-runner',
    ]);
  });

  it('has no violation', () => {
    expect(checkRepository(repository, catalog).map(formatViolation)).toEqual([]);
  });

  it('actionlint finds nothing in any workflow', async () => {
    const results = await Promise.all(repository.workflows.map((file) => actionlint(file.text, file.path)));
    expect(results.flat().map(formatLintResult)).toEqual([]);
  });

  it("GitHub's workflow parser finds nothing in any workflow, nor in the template's calls of ours", async () => {
    const reusable = (uses: string) => {
      const target = parseInternalUses(uses)?.target;
      return repository.workflows.find((file) => file.set === 'repo' && file.path === target)?.text;
    };
    const problems: string[] = [];
    for (const file of repository.workflows) {
      await readWorkflowTemplate(file.path, file.text, reusable).catch((error: Error) => {
        problems.push(error.message);
      });
    }
    expect(problems).toEqual([]);
  });

  it('refers to our actions and workflows at one ref, v1 until the first release', () => {
    const refs = new Set<string>();
    for (const file of repository.workflows) {
      for (const [, job] of jobsOf(file.data)) {
        for (const uses of [job.uses, ...stepsOf(job).map((step) => step.uses)]) {
          const internal = typeof uses === 'string' ? parseInternalUses(uses) : undefined;
          if (internal !== undefined) refs.add(`${file.set}@${internal.ref}`);
        }
      }
    }
    expect([...refs].sort()).toEqual(['repo@v1', 'template@v1']);
  });

  it('grants id-token: write only to the jobs that reach the registry keylessly, and to the template jobs calling them', () => {
    const granted = repository.workflows.flatMap((file) =>
      jobsOf(file.data)
        .filter(([, job]) => grantsIdToken(job.permissions))
        .map(([id]) => `${file.path}#${id}`),
    );
    expect(granted).toEqual([
      '.github/workflows/fleet-report.yml#report',
      '.github/workflows/image-main.yml#build-push',
      '.github/workflows/image-main.yml#bump', // reads the package manifests of the old and new images
      '.github/workflows/image-pr.yml#build-push-candidate',
      'templates/deployment-repo/.github/workflows/fleet-report.yml#report',
      `${TEMPLATE}/image-main.yml#image`,
      `${TEMPLATE}/image-pr.yml#image`,
    ]);
  });

  it("the template's pull request and main workflows skip the same paths", () => {
    const pr = asRecord(triggers(workflow(`${TEMPLATE}/image-pr.yml`).data).pull_request);
    const main = asRecord(triggers(workflow(`${TEMPLATE}/image-main.yml`).data).push);
    expect(pr['paths-ignore']).toEqual(['**.md', 'LICENSE', 'images/**']);
    expect(main['paths-ignore']).toEqual(pr['paths-ignore']);
  });

  it('builds and pushes in one job on main, and the bump takes its image and tag from that job', () => {
    const main = workflow('.github/workflows/image-main.yml');
    const jobs = new Map(jobsOf(main.data));
    const uses = (id: string) =>
      stepsOf(jobs.get(id) ?? {}).flatMap((step) =>
        typeof step.uses === 'string' ? [parseInternalUses(step.uses)?.target ?? step.uses] : [],
      );
    expect([...jobs.keys()]).toEqual(['build-push', 'bump']);
    expect(uses('build-push').filter((target) => target.startsWith('actions/'))).toEqual([
      'actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1',
      'actions/build-image',
      'actions/push-to-gar',
    ]);
    const bump = stepsOf(jobs.get('bump') ?? {})[0] ?? {};
    expect(asRecord(bump.with)).toMatchObject({
      image: '${{ needs.build-push.outputs.image }}',
      tag: '${{ needs.build-push.outputs.tag }}',
      'source-sha': '${{ needs.build-push.outputs.source-sha }}',
    });
    expect(main.text).not.toMatch(/github\.sha/);
  });
});

// Each kind of violation, caught in its broken fixture: exactly the expected violations and nothing else, so the
// check named is what caught it.
const EXPECTED: Record<ViolationKind, { file: string; line: number; message: RegExp }[]> = {
  'top-level-permissions': [
    { file: '.github/workflows/missing.yml', line: 1, message: /no top-level `permissions`/ },
    { file: '.github/workflows/write.yml', line: 3, message: /grant write access to every job/ },
  ],
  'write-all-permissions': [
    { file: '.github/workflows/broken.yml', line: 11, message: /job hello has write-all/ },
  ],
  'id-token-unused': [
    {
      file: '.github/workflows/broken.yml',
      line: 11,
      message: /job hello grants `id-token: write` but runs no keyless/,
    },
  ],
  'id-token-missing': [
    {
      file: '.github/workflows/broken.yml',
      line: 8,
      message: /job push needs `id-token: write` for a step given `workload-identity-provider`/,
    },
  ],
  'unpinned-action': [
    {
      file: '.github/workflows/broken.yml',
      line: 12,
      message: /actions\/setup-node@v4 is not pinned to a full 40/,
    },
  ],
  'expression-in-run': [
    { file: '.github/workflows/broken.yml', line: 12, message: /pass the value through `env:`/ },
  ],
  'pull-request-target': [{ file: '.github/workflows/broken.yml', line: 2, message: /use `pull_request`/ }],
  'workflow-run-checkout': [
    {
      file: '.github/workflows/broken.yml',
      line: 17,
      message: /job report checks out the triggering run's code/,
    },
  ],
  'checkout-persists-credentials': [
    { file: '.github/workflows/broken.yml', line: 14, message: /set `persist-credentials: false`/ },
  ],
  'missing-timeout': [
    { file: '.github/workflows/broken.yml', line: 8, message: /job hello has no `timeout-minutes`/ },
  ],
  'missing-concurrency': [
    { file: '.github/workflows/broken.yml', line: 5, message: /job hello runs without `concurrency`/ },
  ],
  'mixed-runtime': [
    {
      file: 'actions/old-runtime/action.yml',
      line: 4,
      message: /actions\/old-runtime runs on node20, the other actions on node24/,
    },
  ],
  'unknown-action': [
    {
      file: '.github/workflows/broken.yml',
      line: 12,
      message: /actions\/build-images@v1 names no action of this repository/,
    },
  ],
  'unknown-input': [
    {
      file: '.github/workflows/broken.yml',
      line: 15,
      message: /build-image@v1 has no input `tags` \(its inputs: image, tag,/,
    },
  ],
  'unknown-secret': [
    {
      file: '.github/workflows/broken.yml',
      line: 15,
      message: /image-main\.yml@v1 has no secret `gar-secret-key` \(its secrets: gar-credentials-json,/,
    },
  ],
  'missing-required-input': [
    { file: '.github/workflows/broken.yml', line: 13, message: /build-image@v1 needs the input `image`/ },
  ],
  'secrets-inherit': [
    {
      file: '.github/workflows/broken.yml',
      line: 12,
      message: /passes every secret to .*: declare them one by one/,
    },
  ],
  'unknown-step-output': [
    {
      file: '.github/workflows/broken.yml',
      line: 12,
      message: /step `build` has no output `digest` \(its outputs: image,/,
    },
  ],
  'unknown-job-output': [
    {
      file: '.github/workflows/broken.yml',
      line: 22,
      message: /job `build` has no output `digest` \(its outputs: tag\)/,
    },
  ],
  'internal-ref-mismatch': [
    {
      file: '.github/workflows/broken.yml',
      line: 13,
      message: /@v2 disagrees with @v1 \(\.github\/workflows\/broken\.yml:12\)/,
    },
  ],
  'path-filters-differ': [
    {
      file: 'templates/image-repo/.github/workflows/image-pr.yml',
      line: 3,
      message:
        /pull_request path filters differ from the push ones in templates\/image-repo\/.github\/workflows\/image-main.yml/,
    },
  ],
  'third-party-runtime': [
    {
      file: '.github/workflows/broken.yml',
      line: 14,
      message:
        /actions\/checkout@11bd7190\S+ runs on node20, our actions on node24: pin a release that runs on node24/,
    },
  ],
  'fork-on-caller-runner': [
    {
      file: '.github/workflows/broken.yml',
      line: 17,
      message: /job build runs a fork's pull request on the caller's `runner` input/,
    },
  ],
  'cancels-other-callers': [
    {
      file: '.github/workflows/broken.yml',
      line: 5,
      message:
        /the concurrency group "lint-7" cancels in progress and is the same for every calling workflow/,
    },
  ],
  'write-without-environment': [
    {
      file: '.github/workflows/broken.yml',
      line: 8,
      message: /job release has `contents: write` but no `environment:`/,
    },
  ],
};

// What a fixture pins besides THIRD_PARTY: actions/checkout v4.2.2, whose action.yml at that commit says node20.
const FIXTURE_PINS = new Map([
  [
    'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683',
    actionSpec('actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', {
      inputs: { 'persist-credentials': { default: true } },
      runs: { using: 'node20' },
    }),
  ],
]);

describe('each check fails on its broken fixture', () => {
  it('has one fixture per violation kind', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual([...VIOLATION_KINDS].sort());
  });

  it.each([...VIOLATION_KINDS])('%s', (kind) => {
    const fixture = loadRepository(join(FIXTURES, kind));
    // The real actions and reusable workflows are what the fixture calls; the fixture's own files come on top.
    const pins = new Map([...THIRD_PARTY, ...FIXTURE_PINS]);
    const violations = checkRepository(fixture, new Catalog([repository, fixture], pins));
    expect(
      violations.map((violation) => ({ kind: violation.kind, file: violation.file, line: violation.line })),
    ).toEqual(EXPECTED[kind].map(({ file, line }) => ({ kind, file, line })));
    violations.forEach((violation, index) =>
      expect(violation.message).toMatch(EXPECTED[kind][index]?.message ?? /^$/),
    );
  });
});

describe('outputs of run steps', () => {
  it.each([
    ['echo "sha=$(git rev-parse HEAD)" >> "$GITHUB_OUTPUT"', ['sha']],
    ['printf \'tag=%s\\n\' "$TAG" >> $GITHUB_OUTPUT', ['tag']],
    ['{\n  echo "notes<<EOF"\n  cat notes.md\n  echo EOF\n} >> "$GITHUB_OUTPUT"', ['notes']],
    ['echo "files<<EOF" >> "$GITHUB_OUTPUT"', ['files']],
    ['echo "sha=$(git rev-parse HEAD)"', []],
  ])('%j writes %j', (script, names) => {
    expect([...runStepOutputs(script)]).toEqual(names);
  });
});

describe('actionlint (WebAssembly build)', () => {
  it('is actionlint 1.7.7, which knows the vars context and the current runner labels', async () => {
    expect(actionlintVersion()).toBe('1.7.7');
    const source = [
      'on: push',
      'jobs:',
      '  test:',
      '    runs-on: ubuntu-24.04-arm',
      '    env:',
      '      IMAGE: ${{ vars.IMAGE }}',
      '    steps:',
      '      - run: echo "$IMAGE"',
      '',
    ].join('\n');
    expect((await actionlint(source, 'current.yml')).map(formatLintResult)).toEqual([]);
  });

  it('reports what is wrong in a workflow', async () => {
    const results = await actionlint(
      [
        'on: push',
        'jobs:',
        '  test:',
        '    needs: build',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - run: echo "${{ github.event.head_commit.message }}"',
        '',
      ].join('\n'),
      'broken.yml',
    );
    expect(results.map((result) => [result.line, result.kind])).toEqual([
      [3, 'job-needs'],
      [7, 'expression'],
    ]);
  });

  it('reports an unknown context', async () => {
    const source = readFileSync(join(ROOT, TEMPLATE, 'yaml-lint.yml'), 'utf8').replace(
      'permissions: {}',
      'permissions: {}\nenv:\n  X: ${{ variables.X }}',
    );
    expect(parseYamlFile('x.yml', source).data).toBeDefined();
    expect((await actionlint(source, 'x.yml')).map((result) => result.kind)).toEqual(['expression']);
  });
});
