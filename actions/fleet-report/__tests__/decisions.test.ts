import { describe, expect, it } from '@jest/globals';
import { inputsFrom } from '@hub-image-actions/action-io';
import { findFleetUses, imageNamesIn, scanFile } from '@hub-image-actions/deploy-config';
import { readInputs } from '../src/context.js';
import type { BranchFacts, DriftAge, ImageFacts, Listing, ReposFacts } from '../src/facts.js';
import { chooseIssue, planIssue, type ExistingIssue } from '../src/issue-plan.js';
import {
  contentOf,
  displayNames,
  fleetTable,
  issueBody,
  issueContent,
  MAX_ISSUE_BODY,
} from '../src/markdown.js';
import { parseRepoLine, parseReposList, repoOfImage } from '../src/repos-file.js';
import {
  buildReport,
  buildRows,
  driftCandidates,
  failsOn,
  PROBLEM_KINDS,
  rowId,
  type Report,
} from '../src/report.js';

const REG = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images';
const BASE = `${REG}/base-user-image`;
const OTHER = `${REG}/other-user-image`;
const DIGEST = `sha256:${'d'.repeat(64)}`;

function branch(name: string, files: Record<string, string>): BranchFacts {
  const scanned = Object.entries(files).map(([path, text]) => scanFile(path, text));
  const search = findFleetUses(scanned, (image) => image.startsWith(REG));
  return {
    name,
    sha: name.padEnd(40, '0'),
    uses: search.images,
    mentioned: imageNamesIn(scanned),
    unsafe: search.unsafe,
    unreadable: search.unreadable,
  };
}

const hub = (name: string, tag: string, image = BASE) => ({
  [`deployments/${name}/config/common.yaml`]: `jupyterhub:\n  singleuser:\n    image:\n      name: ${image}\n      tag: ${tag}\n`,
});

function facts(image: string, listing: Listing, extra: Partial<ImageFacts> = {}): ImageFacts {
  return {
    image,
    listing,
    digests: new Map(),
    repo: { owner: 'cal-icor', repo: image.slice(image.lastIndexOf('/') + 1) },
    newest: {
      kind: 'found',
      tag: 'aaaaaaaaaaaa',
      sha: 'a'.repeat(40),
      date: '2026-01-01T00:00:00Z',
      newerCommits: 0,
    },
    behind: new Map(),
    bumpPull: undefined,
    ...extra,
  };
}

const listed = (...tags: string[]): Listing => ({ kind: 'listed', tags: new Set(tags) });
const repos = (text: string): ReposFacts => ({
  state: 'read',
  path: 'configs/repos.txt',
  list: parseReposList(text),
});

function report(
  branches: BranchFacts[],
  images: ImageFacts[],
  options: { repos?: ReposFacts; drift?: Map<string, DriftAge> } = {},
): Report {
  return buildReport({
    branches,
    images: new Map(images.map((entry) => [entry.image, entry])),
    repos: options.repos ?? { state: 'missing', path: 'configs/repos.txt' },
    drift: options.drift ?? new Map(),
    driftDays: 7,
  });
}

describe('problems of a reference', () => {
  const files = {
    ...hub('ok', 'aaaaaaaaaaaa'),
    ...hub('gone', '0123456789ab'),
    ...hub('newhub', 'PLACEHOLDER'),
    ...hub('stats', '20240101'),
    ...hub('quoted', '"20240101"'),
    'deployments/pinned/config/common.yaml': `jupyterhub:\n  singleuser:\n    image: ${BASE}@${DIGEST}\n`,
    'deployments/legacy/hubploy.yaml': `images:\n  image_name: ${BASE}:aaaaaaaaaaaa\n`,
    'deployments/broken-yaml/config/common.yaml': 'jupyterhub: [\n',
    'deployments/aliased/config/common.yaml': `x: &tag aaaaaaaaaaaa\ni:\n  name: ${BASE}\n  tag: *tag\n`,
  };
  const result = report(
    [branch('staging', files)],
    [facts(BASE, listed('aaaaaaaaaaaa', '20240101'), { digests: new Map([[DIGEST, DIGEST]]) })],
  );
  const at = (kind: string) =>
    result.problems.filter((p) => p.kind === kind).map((p) => `${p.file}:${p.line ?? '-'}`);

  it.each([
    ['missing', ['deployments/gone/config/common.yaml:5']],
    ['placeholder', ['deployments/newhub/config/common.yaml:5']],
    ['numeric-tag', ['deployments/stats/config/common.yaml:5']],
    ['digest-pin', ['deployments/pinned/config/common.yaml:3']],
    ['legacy-only', ['deployments/legacy/hubploy.yaml:2']],
    ['unreadable-file', ['deployments/broken-yaml/config/common.yaml:2']],
    ['not-editable', ['deployments/aliased/config/common.yaml:4']],
  ])('finds %s at the exact file and line', (kind, where) => {
    expect(at(kind)).toEqual(where);
  });

  it('calls only a reference the registry lacks broken, and a placeholder not missing', () => {
    expect(result.broken).toBe(1);
    expect(result.problems.filter((p) => p.severity === 'broken').map((p) => p.kind)).toEqual(['missing']);
    expect(result.rows.find((row) => row.hub === 'newhub')?.problems.map((p) => p.kind)).toEqual([
      'placeholder',
    ]);
  });

  it('lists problems most severe first, and the rows with problems before the others', () => {
    const order = result.problems.map((problem) => PROBLEM_KINDS.indexOf(problem.kind));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(result.rows[0]?.hub).toBe('gone');
    expect(result.rows[result.rows.length - 1]?.problems).toEqual([]);
  });

  it('says "not known" instead of missing when the registry could not be read', () => {
    const unknown = report(
      [branch('staging', hub('gone', '0123456789ab'))],
      [facts(BASE, { kind: 'unknown', why: 'us-central1-docker.pkg.dev refused (403 DENIED)' })],
    );
    expect(unknown.broken).toBe(0);
    expect(unknown.rows[0]?.cells[0]?.exists).toBeUndefined();
    expect(unknown.unknown).toEqual([
      { image: BASE, why: 'us-central1-docker.pkg.dev refused (403 DENIED)' },
    ]);
  });

  it('calls every tag missing of an image the registry has never seen', () => {
    const absent = report([branch('staging', hub('a', 'aaaaaaaaaaaa'))], [facts(BASE, { kind: 'absent' })]);
    expect(absent.counts.missing).toBe(1);
  });

  it('counts a problem on two branches once, naming both', () => {
    const both = report(
      [branch('staging', hub('gone', '0123456789ab')), branch('prod', hub('gone', '0123456789ab'))],
      [facts(BASE, listed('aaaaaaaaaaaa'))],
    );
    expect(both.problems).toHaveLength(1);
    expect(both.problems[0]?.branches).toEqual(['staging', 'prod']);
  });
});

describe('what each environment deploys', () => {
  const staging = branch('staging', {
    ...hub('astro', 'aaaaaaaaaaaa'),
    'deployments/astro/config/staging.yaml':
      'jupyterhub:\n  singleuser:\n    image:\n      tag: bbbbbbbbbbbb\n',
  });
  const prod = branch('prod', hub('astro', 'aaaaaaaaaaaa'));
  const rows = buildRows(
    [staging, prod],
    new Map([[BASE, facts(BASE, listed('aaaaaaaaaaaa', 'bbbbbbbbbbbb'))]]),
  );

  it('takes the override of config/<branch>.yaml on that branch only', () => {
    expect(rows).toHaveLength(1);
    expect(rows[0]?.cells.map((cell) => `${cell?.tag} ${cell?.file}`)).toEqual([
      'bbbbbbbbbbbb deployments/astro/config/staging.yaml',
      'aaaaaaaaaaaa deployments/astro/config/common.yaml',
    ]);
    expect(rows[0]?.cells[0]?.overridden).toBe(true);
  });

  it('is a drift candidate when the branches run different images', () => {
    expect(driftCandidates(rows).map((row) => row.hub)).toEqual(['astro']);
  });

  it('is no drift candidate when two tags hold the same digest', () => {
    const same = buildRows(
      [staging, prod],
      new Map([
        [
          BASE,
          facts(BASE, listed('aaaaaaaaaaaa', 'bbbbbbbbbbbb'), {
            digests: new Map([
              ['aaaaaaaaaaaa', DIGEST],
              ['bbbbbbbbbbbb', DIGEST],
            ]),
          }),
        ],
      ]),
    );
    expect(driftCandidates(same)).toEqual([]);
  });

  it.each([
    [{ since: undefined, atLeastSince: '2025-12-01T00:00:00Z', olderThanLimit: true }, 1],
    [{ since: '2026-01-20T00:00:00Z', atLeastSince: undefined, olderThanLimit: false }, 0],
  ])('reports drift only when older than drift-days (%j)', (age, count) => {
    const result = report([staging, prod], [facts(BASE, listed('aaaaaaaaaaaa', 'bbbbbbbbbbbb'))], {
      drift: new Map([[rowId('astro', BASE, 'jupyterhub.singleuser.image'), age]]),
    });
    expect(result.counts.drift).toBe(count);
    if (count === 1) {
      expect(result.problems[0]?.message).toMatch(
        /staging has run `bbbbbbbbbbbb` since 2025-12-01 or earlier, prod runs `aaaaaaaaaaaa`: more than 7 days/,
      );
      expect(result.problems[0]?.file).toBe('deployments/astro/config/staging.yaml');
    }
  });
});

describe('repos.txt', () => {
  it.each([
    ['cal-icor/base-user-image', { owner: 'cal-icor', repo: 'base-user-image' }],
    ['https://github.com/cal-icor/base-user-image.git', { owner: 'cal-icor', repo: 'base-user-image' }],
    ['https://github.com/cal-icor/base-user-image/', { owner: 'cal-icor', repo: 'base-user-image' }],
    ['git@github.com:cal-icor/base-user-image.git', { owner: 'cal-icor', repo: 'base-user-image' }],
    ['ssh://git@github.com/cal-icor/base-user-image', { owner: 'cal-icor', repo: 'base-user-image' }],
    ['base-user-image', undefined],
    ['https://github.com/cal-icor', undefined],
  ])('reads %j', (line, repo) => {
    expect(parseRepoLine(line)).toEqual(repo);
  });

  it('skips comments and blanks, keeps line numbers, lists what is not a repository', () => {
    const list = parseReposList(
      '# image repos\n\ncal-icor/a  # the base\nnot a repo\ncal-icor/A\r\ncal-icor/b\n',
    );
    expect(list.entries.map((entry) => [entry.repo.repo, entry.line])).toEqual([
      ['a', 3],
      ['b', 6],
    ]);
    expect(list.invalid).toEqual([{ line: 4, text: 'not a repo' }]);
  });

  it('matches an image to the repository of its last path component, in any case', () => {
    const { entries } = parseReposList('cal-icor/Base-User-Image\n');
    expect(repoOfImage(BASE, entries)?.repo.repo).toBe('Base-User-Image');
    expect(repoOfImage(`${BASE}-gpu`, entries)).toBeUndefined();
  });

  it('reports an image no listed repository builds, and a listed repository no hub uses', () => {
    const result = report(
      [branch('staging', { ...hub('a', 'aaaaaaaaaaaa'), ...hub('b', 'aaaaaaaaaaaa', OTHER) })],
      [facts(BASE, listed('aaaaaaaaaaaa')), facts(OTHER, listed('aaaaaaaaaaaa'), { repo: undefined })],
      { repos: repos('cal-icor/base-user-image\ncal-icor/physics-user-image\n') },
    );
    expect(result.problems.filter((p) => p.kind === 'not-in-repos-file').map((p) => p.image)).toEqual([
      OTHER,
    ]);
    expect(result.problems.filter((p) => p.kind === 'unused-repo').map((p) => `${p.file}:${p.line}`)).toEqual(
      ['configs/repos.txt:2'],
    );
  });

  it('checks nothing about repositories when the file is absent', () => {
    const result = report(
      [branch('staging', hub('b', 'aaaaaaaaaaaa', OTHER))],
      [facts(OTHER, listed('aaaaaaaaaaaa'), { repo: undefined })],
    );
    expect(result.problems).toEqual([]);
  });
});

describe('fail-on', () => {
  it.each([
    ['broken', 1, 1, true],
    ['broken', 0, 3, false],
    ['any', 0, 3, true],
    ['any', 0, 0, false],
    ['none', 5, 5, false],
  ] as const)('%s with %d broken of %d problems fails: %s', (failOn, broken, problems, fails) => {
    expect(
      failsOn({ broken, problems: Array.from({ length: problems }) as Report['problems'] }, failOn),
    ).toBe(fails);
  });
});

describe('the report issue', () => {
  const open = (body: string, title = 'Fleet report'): ExistingIssue => ({
    number: 7,
    url: 'https://github.com/o/r/issues/7',
    state: 'open',
    title,
    body,
  });
  const wanted = (problems: number, content = 'table', runUrl = 'https://run/2') => ({
    problems,
    title: 'Fleet report',
    content,
    body: issueBody(content, runUrl),
    runUrl,
  });

  it.each([
    ['no issue, problems', undefined, wanted(2), 'create'],
    ['no issue, no problem', undefined, wanted(0), 'none'],
    [
      'open issue, same content from another run',
      open(issueBody('table', 'https://run/1')),
      wanted(2),
      'none',
    ],
    ['open issue, new content', open(issueBody('old table', 'https://run/1')), wanted(2), 'update'],
    ['open issue, new title', open(issueBody('table', 'https://run/1'), 'Old'), wanted(2), 'update'],
    ['open issue, no problem', open(issueBody('table', undefined)), wanted(0), 'close'],
    ['closed issue, problems again', { ...open('x'), state: 'closed' as const }, wanted(2), 'reopen'],
    ['closed issue, no problem', { ...open('x'), state: 'closed' as const }, wanted(0), 'none'],
  ])('%s → %s', (_what, existing, want, action) => {
    expect(planIssue(existing, want).action).toBe(action);
  });

  it('reads back the content it wrote, whatever run wrote it', () => {
    expect(contentOf(issueBody('a\n\nb', 'https://x/actions/runs/1'))).toBe('a\n\nb');
    expect(contentOf(issueBody('a', undefined))).toBe('a');
  });

  it('keeps the open issue, else the newest closed one, and names the other open ones', () => {
    const issues = [
      { ...open('x'), number: 3, state: 'closed' as const },
      { ...open('x'), number: 9, state: 'closed' as const },
      { ...open('x'), number: 5 },
      { ...open('x'), number: 6 },
    ];
    expect(chooseIssue(issues)).toMatchObject({ issue: { number: 5 }, others: [6] });
    expect(chooseIssue(issues.slice(0, 2)).issue?.number).toBe(9);
  });

  it("stays under GitHub's body limit with thousands of problem rows", () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3000; i += 1) Object.assign(files, hub(`hub-${i}`, `${i}`.padStart(12, '0')));
    const big = report([branch('staging', files)], [facts(BASE, listed('aaaaaaaaaaaa'))]);
    const body = issueBody(issueContent(big, 'o/r'), 'https://run/1');
    expect(big.broken).toBe(3000);
    expect(body.length).toBeLessThan(MAX_ISSUE_BODY);
    expect(body).toMatch(/and \d+ more rows with problems/);
  });
});

describe('the table', () => {
  it('names images by their last path component unless two share it', () => {
    expect(displayNames([BASE, `${REG}/x`, 'other.example/p/x'])).toEqual(
      new Map([
        [BASE, 'base-user-image'],
        [`${REG}/x`, 'cal-icor-hubs/user-images/x'],
        ['other.example/p/x', 'p/x'],
      ]),
    );
  });

  it('has one column per branch and marks a missing tag', () => {
    const result = report(
      [branch('staging', hub('gone', '0123456789ab')), branch('prod', {})],
      [facts(BASE, listed('aaaaaaaaaaaa'))],
    );
    const table = fleetTable(result);
    expect(table.split('\n')[0]).toBe(
      '| Hub | Image | staging | prod | Newest pushed | Commits behind (staging / prod) | Open bump PR | Problems |',
    );
    expect(table).toContain('| gone | base-user-image | `0123456789ab` **missing** | — |');
  });
});

describe('inputs', () => {
  const read = (values: Record<string, string>) =>
    readInputs(
      inputsFrom({ token: 't', branches: 'staging\nprod', paths: 'deployments/*/config/*.yaml', ...values }),
      {
        GITHUB_REPOSITORY: 'cal-icor/cal-icor-hubs',
      },
    );

  it('takes the current repository and the defaults', () => {
    expect(read({})).toMatchObject({
      deploymentRepo: { owner: 'cal-icor', repo: 'cal-icor-hubs' },
      branches: ['staging', 'prod'],
      reposFile: 'configs/repos.txt',
      reposFileGiven: false,
      registry: 'us-central1-docker.pkg.dev',
      driftDays: 7,
      failOn: 'broken',
      issue: false,
      registryAuth: undefined,
    });
  });

  it.each([
    [{ branches: 'staging..prod' }, /input "branches" is "staging\.\.prod": is not a branch name/],
    [{ branches: 'prod\nprod' }, /names a branch twice/],
    [{ 'fail-on': 'warnings' }, /input "fail-on" is "warnings": expected one of "broken", "any", "none"/],
    [{ 'drift-days': '-1' }, /input "drift-days" is "-1"/],
    [{ 'repos-file': '../outside.txt' }, /input "repos-file" is "\.\.\/outside\.txt": must be a path inside/],
    [{ registry: 'https://us-central1-docker.pkg.dev' }, /input "registry"/],
    [{ token: '' }, /input "token" is required/],
    [{ 'access-token': 'a', 'credentials-json': '{}' }, /more than one auth mode/],
  ])('refuses %j', (values, message) => {
    expect(() => read(values)).toThrow(message);
  });
});
