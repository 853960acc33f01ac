import { describe, expect, it } from '@jest/globals';
import { rerunChecks } from '../check-reruns.ts';
import type { DemoOutcome } from '../report.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const FLEET: NonNullable<DemoOutcome['fleet']> = {
  conclusion: 'success',
  broken: 1,
  problems: 2,
  counts: { missing: 1, 'unused-repo': 1 },
  issueUrl: 'http://127.0.0.1/o/d/issues/2',
  missingAt: 'deployments/retired-course/config/common.yaml:6',
  unusedAt: 'configs/repos.txt:2',
};

type Changes = Omit<Partial<DemoOutcome>, 'image' | 'bump'> & {
  image?: Partial<DemoOutcome['image']>;
  bump?: Partial<DemoOutcome['bump']>;
};

function outcome(run: number, changes: Changes = {}): DemoOutcome {
  const { image, bump, ...rest } = changes;
  return {
    run,
    conclusion: 'success',
    durationMs: 1000,
    repo2docker: { kind: 'double', version: '2026.04.0' },
    image: {
      ref: 'r/i:t',
      digest: DIGEST,
      built: true,
      reusedDigest: '',
      tags: ['t'],
      pushed: ['t'],
      attempts: 1,
      tests: 'passed',
      ...image,
    },
    bump: {
      operation: 'created',
      number: 1,
      url: 'u',
      title: 't',
      branch: 'b',
      hubs: ['a'],
      skippedHubs: [],
      changedFiles: ['f'],
      ...bump,
    },
    workflowOutputs: {},
    secretsLeaked: 0,
    fleet: FLEET,
    ...rest,
  };
}

const first = outcome(1);
const second = outcome(2, {
  image: { built: false, reusedDigest: DIGEST, pushed: [], attempts: 0 },
  bump: { operation: 'unchanged' },
});
const failing = (checks: Array<[string, boolean]>) => checks.filter(([, ok]) => !ok).map(([what]) => what);

describe('the re-run check CI makes of the demo', () => {
  it('passes a build then a reuse with an unchanged pull request', () => {
    expect(failing(rerunChecks(first, second))).toEqual([]);
  });

  it.each<[string, DemoOutcome, string[]]>([
    [
      'a second build',
      outcome(2, { bump: { operation: 'unchanged' } }),
      ['the second run built nothing', 'it reused the image the first run pushed'],
    ],
    [
      'an updated pull request',
      outcome(2, { image: { built: false, reusedDigest: DIGEST }, bump: { operation: 'updated' } }),
      ['the bump pull request is unchanged'],
    ],
    [
      'another pull request',
      outcome(2, {
        image: { built: false, reusedDigest: DIGEST },
        bump: { operation: 'unchanged', number: 2 },
      }),
      ['and is the same pull request'],
    ],
    ['a leak', { ...second, secretsLeaked: 1 }, ['no secret leaked in either']],
    ['a failed run', { ...second, conclusion: 'failure' }, ['both runs succeeded']],
    [
      'a fleet report without the seeded hub',
      { ...second, fleet: { ...FLEET, missingAt: '' } },
      ["both fleet reports show the seeded hub's missing tag and the unused repo"],
    ],
    [
      'no fleet report',
      { ...second, fleet: undefined },
      [
        "both fleet reports show the seeded hub's missing tag and the unused repo",
        'and keep one report issue',
      ],
    ],
    [
      'a second report issue',
      { ...second, fleet: { ...FLEET, issueUrl: 'http://127.0.0.1/o/d/issues/3' } },
      ['and keep one report issue'],
    ],
  ])('fails %s', (_name, rerun, expected) => {
    expect(failing(rerunChecks(first, rerun))).toEqual(expected);
  });
});
