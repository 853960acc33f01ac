import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { bumpBranch, bumpMarker } from '@hub-image-actions/deployment-repo';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { parseImageName } from '@hub-image-actions/image-ref';
import { hubFile, OWNER, suiteWorld } from './world.js';

jest.setTimeout(180_000);

// One deployment repo with every kind of problem, on two branches with real history, against the real registry and
// git server and the fake GitHub: each problem is found at its exact file and line.

const suite = suiteWorld();
const ADMIN_TOKEN = 'ghp_FleetAdmin0123456789abcdefABCDEF0003';
const DAY = 86_400_000;
let run: ActionRun;
let report: {
  summary: { broken: number; problems: number; counts: Record<string, number> };
  problems: Array<{
    kind: string;
    file: string | null;
    line: number | null;
    hub: string | null;
    branches: string[];
  }>;
  rows: Array<{
    hub: string;
    image: string;
    branches: Record<string, { tag: string; exists: boolean | null; behind: unknown } | null>;
    drift: { since: string | null; atLeastSince: string | null; olderThanLimit: boolean } | null;
  }>;
  images: Array<{
    image: string;
    newest: { kind: string; tag?: string; newerCommits?: number };
    bumpPull: { number: number; tag: string } | null;
  }>;
};
let shas: string[];
let youngAt: Date;
let base: string;
let other: string;

const short = (sha: string | undefined) => (sha ?? '').slice(0, 12);

beforeAll(async () => {
  const { world } = suite;
  shas = await world.imageRepo('base-user-image', 4);
  base = world.image('base-user-image');
  other = world.image('other-user-image');
  const pushed = await world.push('base-user-image', [
    ...shas.slice(0, 3).map(short),
    '20240101',
    'inputs-0123abcd',
  ]);
  await world.push('other-user-image', ['v1']);
  const [c1, c2, c3] = shas.slice(0, 3).map(short) as [string, string, string];
  const staging = {
    ...hubFile('alpha', base, c3),
    ...hubFile('behind', base, c1),
    ...hubFile('gone', base, '0123456789ab'),
    ...hubFile('newhub', base, 'PLACEHOLDER'),
    ...hubFile('stats', base, '20240101'),
    ...hubFile('drifty', base, c3),
    ...hubFile('young', base, c2),
    ...hubFile('other', other, 'v1'),
    'deployments/pinned/config/common.yaml': `jupyterhub:\n  singleuser:\n    image: ${base}@${pushed.get(c2)}\n`,
    'deployments/legacy/hubploy.yaml': `images:\n  image_name: ${base}:${c2}\ncluster:\n  provider: gcloud\n`,
    'deployments/aliased/config/common.yaml': `defaults: &tag ${c2}\njupyterhub:\n  singleuser:\n    image:\n      name: ${base}\n      tag: *tag\n`,
    'deployments/badyaml/config/common.yaml': 'jupyterhub:\n  singleuser: [unclosed\n',
    'configs/repos.txt': `${OWNER}/base-user-image\n${OWNER}/physics-user-image\n`,
  };
  const month = new Date(Date.now() - 30 * DAY);
  youngAt = new Date(Date.now() - 2 * DAY);
  const repo = await world.deployment('fleet', { staging, prod: { ...hubFile('drifty', base, c2) } }, month);
  await world.commitAt(
    repo,
    'staging',
    hubFile('young', base, c3),
    'Bump young to the newest image',
    youngAt,
  );
  // An open bump pull request of the base image, as bump-hubploy opens it.
  world.github.addToken(ADMIN_TOKEN, { login: 'bump-bot' });
  const branch = bumpBranch(parseImageName(base));
  await world.commitAt(repo, branch, hubFile('behind', base, c3), 'Bump', new Date(), 'staging');
  const opened = await fetch(`${world.github.url}/repos/${repo}/pulls`, {
    method: 'POST',
    headers: { authorization: `token ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: 'Bump base-user-image',
      head: branch,
      base: 'staging',
      body: `Moves…\n\n${bumpMarker('pull-request', parseImageName(base), c3)}`,
    }),
  });
  expect(opened.status).toBe(201);

  run = await world.run({ deployment: repo, inputs: { 'repos-file': 'configs/repos.txt' } });
  report = JSON.parse(await readFile(run.outputs['report-file'] ?? '', 'utf8')) as typeof report;
});

describe('a fleet report of a deployment repo with every kind of problem', () => {
  it('fails on the broken reference (fail-on: broken) and says where to look', async () => {
    expect(run.failed).toBe(true);
    expect(run.annotations.find((a) => a.level === 'error' && !a.file)?.message).toMatch(
      /^fleet-report action failed: 1 broken reference\(s\) in hub-test\/fleet \(fail-on: broken\)/,
    );
  });

  it.each([
    ['missing', 'deployments/gone/config/common.yaml', 6],
    // Where the YAML parser stops: the end of the unclosed flow sequence.
    ['unreadable-file', 'deployments/badyaml/config/common.yaml', 3],
    ['placeholder', 'deployments/newhub/config/common.yaml', 6],
    ['numeric-tag', 'deployments/stats/config/common.yaml', 6],
    ['digest-pin', 'deployments/pinned/config/common.yaml', 3],
    ['legacy-only', 'deployments/legacy/hubploy.yaml', 2],
    ['not-editable', 'deployments/aliased/config/common.yaml', 6],
    ['drift', 'deployments/drifty/config/common.yaml', 6],
    ['not-in-repos-file', 'configs/repos.txt', null],
    ['unused-repo', 'configs/repos.txt', 2],
  ])('finds %s at %s line %s', (kind, file, line) => {
    expect(report.problems.filter((p) => p.kind === kind).map((p) => [p.file, p.line])).toEqual([
      [file, line],
    ]);
  });

  it('counts each problem once, in the outputs too', () => {
    expect(report.summary.problems).toBe(10);
    expect(run.outputs['problems']).toBe('10');
    expect(run.outputs['broken']).toBe('1');
    expect(run.outputs['unknown']).toBe('0');
    expect(JSON.parse(run.outputs['counts'] ?? '{}')).toMatchObject({
      missing: 1,
      drift: 1,
      'unused-repo': 1,
    });
    // The missing tag is on both branches (prod has staging's files): one problem naming both.
    expect(report.problems.find((p) => p.kind === 'missing')?.branches).toEqual(['staging', 'prod']);
  });

  it('annotates the broken reference as an error at its file and line, the others as warnings', () => {
    expect(run.annotations.filter((a) => a.level === 'error' && a.file !== undefined)).toEqual([
      expect.objectContaining({ file: 'deployments/gone/config/common.yaml', line: 6 }),
    ]);
    expect(
      run.annotations
        .filter((a) => a.level === 'warning' && a.title?.startsWith('fleet-report: '))
        .map((a) => `${a.file}:${a.line}`),
    ).toEqual(
      expect.arrayContaining([
        'deployments/newhub/config/common.yaml:6',
        'deployments/stats/config/common.yaml:6',
        'deployments/legacy/hubploy.yaml:2',
        'deployments/drifty/config/common.yaml:6',
      ]),
    );
  });

  it('knows the newest pushed image and how far behind each hub is', () => {
    const baseImage = report.images.find((entry) => entry.image === base);
    expect(baseImage?.newest).toMatchObject({ kind: 'found', tag: short(shas[2]), newerCommits: 1 });
    const behind = report.rows.find((row) => row.hub === 'behind');
    expect(behind?.branches['staging']?.behind).toEqual({ commits: 2 });
    expect(report.rows.find((row) => row.hub === 'alpha')?.branches['prod']?.behind).toEqual({ commits: 0 });
  });

  it('knows the open bump pull request of the image', () => {
    expect(report.images.find((entry) => entry.image === base)?.bumpPull).toMatchObject({
      number: 1,
      tag: short(shas[2]),
    });
  });

  it("tells an old drift from a young one by the first branch's history", () => {
    const drifty = report.rows.find((row) => row.hub === 'drifty')?.drift;
    expect(drifty).toMatchObject({ olderThanLimit: true, since: null });
    expect(Date.parse(drifty?.atLeastSince ?? '')).toBeLessThan(Date.now() - 7 * DAY);
    const young = report.rows.find((row) => row.hub === 'young')?.drift;
    expect(young?.olderThanLimit).toBe(false);
    // Git keeps whole seconds.
    expect(Date.parse(young?.since ?? '')).toBe(Math.floor(youngAt.getTime() / 1000) * 1000);
  });

  it('writes the job summary table, problem rows first', () => {
    const lines = run.summary.split('\n');
    const header = lines.findIndex((line) => line.startsWith('| Hub | Image | staging | prod |'));
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 2]).toMatch(/^\| gone \| base-user-image \| `0123456789ab` \*\*missing\*\* \|/);
    expect(run.summary).toContain('[#1](');
    expect(run.summary).toContain('### Problems, most severe first');
  });

  it('leaves the token and the registry credential out of every output', async () => {
    for (const secret of ['ghp_FleetDeploy', 'ya29.FleetRegistry']) {
      expect(run.maskedLog).not.toContain(secret);
      expect(run.summary).not.toContain(secret);
      expect(await readFile(run.outputs['report-file'] ?? '', 'utf8')).not.toContain(secret);
    }
    await cleanupRun(run);
  });
});
