import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cleanupRun } from '../../../test/harness/action-runner.js';
import { BOT, HUMAN, hubFiles, IMAGE, short, World } from './world.js';

jest.setTimeout(180_000);

let world: World;
let image: { repo: string; shas: string[] };
// T1 < T2 < T3 < T4: tags of successive image repo commits.
let T: string[];

beforeAll(async () => {
  world = await World.start();
  image = await world.imageRepo('base-user-image', 4);
  T = image.shas.map(short);
});
afterAll(async () => {
  await world.stop();
});

const bump = (deployment: string, index: number, extra: Parameters<World['run']>[0]['inputs'] = {}) =>
  world.run({ deployment, source: image.repo, sha: image.shas[index] ?? '', inputs: extra });

async function branchHead(repo: string): Promise<string | undefined> {
  const branch = await world.bumpBranch(repo);
  return branch === undefined ? undefined : world.git.resolve(repo, `refs/heads/${branch}`);
}

describe('one idempotent pull request per image', () => {
  const repo = 'hub-test/lifecycle';
  let firstHead: string | undefined;

  it('opens the pull request on the first run', async () => {
    await world.deployment('lifecycle', hubFiles({ a: 'PLACEHOLDER', b: T[0] ?? '', c: T[0] ?? '' }));
    world.github.addMergedPull(image.repo, {
      number: 12,
      title: 'Add numpy',
      mergeCommitSha: image.shas[1] ?? '',
    });
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'true', operation: 'created', hubs: 'a\nb\nc' });
    firstHead = await branchHead(repo);
    expect(world.pullsOf(repo)).toHaveLength(1);
    expect(world.pullsOf(repo)[0]?.labels.sort()).toEqual(['hub: a', 'hub: b', 'hub: c']);
    const body = world.pullsOf(repo)[0]?.body ?? '';
    expect(body).toContain(
      `Built from [${image.repo}@${T[1]}](${world.github.serverUrl}/${image.repo}/commit/${image.shas[1]})`,
    );
    expect(body).toContain(`merged in [#12 Add numpy](${world.github.serverUrl}/${image.repo}/pull/12)`);
    await cleanupRun(run);
  });

  it('makes no new commit, pull request or comment on a re-run', async () => {
    const requestsBefore = world.github.requests.length;
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      changed: 'false',
      operation: 'unchanged',
      'pull-request-number': '1',
    });
    expect(await branchHead(repo)).toBe(firstHead);
    expect(world.pullsOf(repo)).toHaveLength(1);
    expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(0);
    const writes = world.github.requests
      .slice(requestsBefore)
      .filter((r) => r.method !== 'GET' && r.path.startsWith(`/repos/${repo}`));
    expect(writes).toEqual([]);
    await cleanupRun(run);
  });

  it('moves the same pull request to a newer tag, rebuilt on the current base, with one comment', async () => {
    // Meanwhile staging moved: hub b now runs T4, newer than the T3 this run brings.
    await world.git.commit(repo, 'staging', hubFiles({ b: T[3] ?? '' }), 'Hand bump of b', HUMAN);
    const staging = await world.git.resolve(repo, 'refs/heads/staging');
    const run = await bump(repo, 2);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      changed: 'true',
      operation: 'updated',
      'pull-request-number': '1',
      hubs: 'a\nc',
    });
    expect(run.outputs['skipped-hubs']).toMatch(
      new RegExp(`^b: runs \`${T[3]}\`, 1 commit newer than \`${T[2]}\``),
    );
    const branch = (await world.bumpBranch(repo)) ?? '';
    const log = await world.git.log(repo, branch);
    expect(log[1]?.sha).toBe(staging);
    expect(log[0]?.subject).toBe(`Bump base-user-image to ${T[2]}`);
    expect(await world.file(repo, branch, 'deployments/a/config/common.yaml')).toContain(
      `tag: ${T[2]}  # bumped by CI`,
    );
    expect(await world.file(repo, branch, 'deployments/b/config/common.yaml')).toContain(
      `tag: ${T[3]}  # bumped by CI`,
    );
    const pull = world.pullsOf(repo)[0];
    expect(world.pullsOf(repo)).toHaveLength(1);
    expect(pull?.title).toBe(`Bump base-user-image image to ${T[2]}`);
    expect(pull?.labels.sort()).toEqual(['hub: a', 'hub: c']);
    expect(pull?.body).toContain('**Left alone**');
    const comments = world.github.comments.filter((c) => c.repo === repo);
    expect(comments.map((c) => c.body.split('\n')[0])).toEqual([
      `Updated to \`${T[2]}\` (was \`${T[1]}\`), rebuilt on the current base branch.`,
    ]);

    const again = await bump(repo, 2);
    expect(again.outputs).toMatchObject({ changed: 'false', operation: 'unchanged' });
    expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(1);
    await cleanupRun(run);
    await cleanupRun(again);
  });

  it('changes nothing when an older job finishes last', async () => {
    const head = await branchHead(repo);
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      changed: 'false',
      operation: 'unchanged',
      'pull-request-number': '1',
    });
    expect(run.log).toContain(`already carries ${T[2]}, newer than ${T[1]}`);
    expect(await branchHead(repo)).toBe(head);
    expect(world.pullsOf(repo)[0]?.title).toContain(T[2] ?? '');
    expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(1);
    await cleanupRun(run);
  });

  it('closes its pull request once the base needs the bump no longer', async () => {
    await world.git.commit(repo, 'staging', hubFiles({ a: T[2] ?? '', c: T[2] ?? '' }), 'Hand bump', HUMAN);
    const run = await bump(repo, 2);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', operation: 'none', 'pull-request-number': '' });
    expect(world.pullsOf(repo)[0]?.state).toBe('closed');
    const again = await bump(repo, 2);
    expect(again.outputs).toMatchObject({ changed: 'false', operation: 'none' });
    expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(2);
    await cleanupRun(run);
    await cleanupRun(again);
  });
});

describe('the downgrade guard', () => {
  it('moves older, placeholder and non-commit tags and leaves hubs on newer commits alone', async () => {
    const repo = await world.deployment(
      'guard',
      hubFiles({
        older: T[0] ?? '',
        newer: T[3] ?? '',
        fresh: 'placeholder',
        custom: 'v2',
        same: T[2] ?? '',
      }),
    );
    const run = await bump(repo, 2);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['hubs']).toBe('custom\nfresh\nolder');
    expect(run.outputs['skipped-hubs']).toContain(`newer: runs \`${T[3]}\``);
    const branch = (await world.bumpBranch(repo)) ?? '';
    expect(await world.file(repo, branch, 'deployments/newer/config/common.yaml')).toContain(`tag: ${T[3]}`);
    const body = world.pullsOf(repo)[0]?.body ?? '';
    expect(body).toContain('`v2` is not a commit of the image repository; order not checked');
    expect(body).toMatch(
      /\| newer \| `deployments\/newer\/config\/common\.yaml` line 6 .*\| `[0-9a-f]{12}` \| runs/,
    );
    expect(body).toContain('Already at');
    await cleanupRun(run);
  });

  it('does nothing, without a branch or pull request, when every hub is newer or at the tag', async () => {
    const repo = await world.deployment('all-newer', hubFiles({ x: T[3] ?? '', y: T[1] ?? '' }));
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', operation: 'none', hubs: '' });
    expect(run.outputs['skipped-hubs']).toContain('x: runs');
    expect(await world.git.branches(repo)).toEqual(['staging']);
    expect(world.pullsOf(repo)).toHaveLength(0);
    await cleanupRun(run);
  });

  it('does nothing when no file references the image', async () => {
    const repo = await world.deployment('unused', hubFiles({ x: T[0] ?? '' }, `${IMAGE}-gpu`));
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', operation: 'none', 'changed-files': '' });
    expect(run.log).toContain('Nothing to do: no considered file references');
    expect(await world.git.branches(repo)).toEqual(['staging']);
    await cleanupRun(run);
  });
});

describe('someone else on the bump branch', () => {
  it('keeps a commit someone else pushed to the branch and stops with a clear message', async () => {
    const repo = await world.deployment('foreign', hubFiles({ a: T[0] ?? '' }));
    const first = await bump(repo, 1);
    expect(first.exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    const theirs = await world.git.commit(
      repo,
      branch,
      { 'deployments/a/NOTES.md': 'hold\n' },
      'Hold this hub',
      HUMAN,
    );
    const run = await bump(repo, 2);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain(
      `::error::bump-hubploy action failed: ${branch} in ${repo} has commits this action did not make`,
    );
    expect(run.log).toContain(`${theirs.slice(0, 12)} by Ada Admin <ada@example.edu>: Hold this hub`);
    expect(await world.git.resolve(repo, `refs/heads/${branch}`)).toBe(theirs);
    // An amended bot commit counts as someone else's too: its committer is not the bot.
    await cleanupRun(first);
    await cleanupRun(run);
  });

  it('treats a bot-authored commit without its trailer as someone else s', async () => {
    const repo = await world.deployment('forged', hubFiles({ a: T[0] ?? '' }));
    const first = await bump(repo, 1);
    const branch = (await world.bumpBranch(repo)) ?? '';
    const other = await world.git.commit(repo, branch, { 'x.txt': 'x\n' }, 'Manual fix', BOT);
    const run = await bump(repo, 2);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain(`${other.slice(0, 12)} by hub-image-bot`);
    expect(await world.git.resolve(repo, `refs/heads/${branch}`)).toBe(other);
    await cleanupRun(first);
    await cleanupRun(run);
  });
});

describe('failures part-way and API faults', () => {
  it('completes the pull request on a re-run after a failure between push and pull request', async () => {
    const repo = await world.deployment('partial', hubFiles({ a: T[0] ?? '', b: 'PLACEHOLDER' }));
    world.github.fail({
      method: 'POST',
      path: /^\/repos\/hub-test\/partial\/pulls$/,
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: 'Injected' }],
      },
      times: 1,
    });
    const failed = await bump(repo, 1);
    expect(failed.exitCode).not.toBe(0);
    expect(await world.bumpBranch(repo)).toBeDefined();
    expect(world.pullsOf(repo)).toHaveLength(0);
    const head = await branchHead(repo);

    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', operation: 'created', hubs: 'a\nb' });
    expect(await branchHead(repo)).toBe(head);
    expect(world.pullsOf(repo)).toHaveLength(1);
    expect(world.pullsOf(repo)[0]?.labels.sort()).toEqual(['hub: a', 'hub: b']);
    await cleanupRun(failed);
    await cleanupRun(run);
  });

  it('treats "already exists" for a pull request not yet listed as the normal path', async () => {
    const repo = await world.deployment('lagging', hubFiles({ a: T[0] ?? '' }));
    expect((await bump(repo, 1)).exitCode).toBe(0);
    // The list lags behind: the first lookup does not show the open pull request yet.
    world.github.fail({
      method: 'GET',
      path: /^\/repos\/hub-test\/lagging\/pulls$/,
      status: 200,
      body: [],
      times: 1,
    });
    const run = await bump(repo, 2);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ operation: 'updated', 'pull-request-number': '1' });
    expect(world.pullsOf(repo)).toHaveLength(1);
    expect(world.pullsOf(repo)[0]?.title).toContain(T[2] ?? '');
    await cleanupRun(run);
  });

  it('retries 5xx answers and the secondary rate limit', async () => {
    const repo = await world.deployment('faults', hubFiles({ a: T[0] ?? '' }));
    world.github.fail({ method: 'GET', path: /^\/repos\/hub-test\/faults$/, status: 502, times: 1 });
    world.github.secondaryRateLimit({
      path: /^\/repos\/hub-test\/base-user-image\/compare\//,
      times: 2,
      retryAfterSeconds: 1,
    });
    world.github.fail({ method: 'POST', path: /^\/repos\/hub-test\/faults\/pulls$/, status: 503, times: 1 });
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['operation']).toBe('created');
    expect(run.log).toMatch(/GET \/repos\/\{owner\}\/\{repo\}: the API answered 502; trying again/);
    expect(run.log).toMatch(/rate limited \(403, retry-after\); trying again in 1\.0 s/);
    expect(run.log).toMatch(/POST \/repos\/\{owner\}\/\{repo\}\/pulls: the API answered 503/);
    expect(world.pullsOf(repo)).toHaveLength(1);
    await cleanupRun(run);
  });

  it('gives up on a rate limit that does not end, within its bound, and a re-run completes', async () => {
    const repo = await world.deployment('throttled', hubFiles({ a: T[0] ?? '' }));
    world.github.secondaryRateLimit({
      method: 'POST',
      path: /^\/repos\/hub-test\/throttled\/pulls$/,
      times: 6,
      retryAfterSeconds: 1,
    });
    const started = Date.now();
    const run = await bump(repo, 1);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain('gave up after 6 attempts');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(
      world.github.requests.filter((r) => r.method === 'POST' && r.path === `/repos/${repo}/pulls`),
    ).toHaveLength(6);
    const again = await bump(repo, 1);
    expect(again.outputs['operation']).toBe('created');
    await cleanupRun(run);
    await cleanupRun(again);
  });
});

describe('races', () => {
  it('lands concurrent bumps of different images into one repo, and merging them keeps every new tag', async () => {
    const images = ['alpha', 'beta', 'gamma'];
    const sources = await Promise.all(images.map((name) => world.imageRepo(`${name}-image`, 1)));
    const name = (i: number) => `us-central1-docker.pkg.dev/cal-icor-hubs/user-images/${images[i]}`;
    const shared = [
      'jupyterhub:',
      '  singleuser:',
      '    profileList:',
      ...images.flatMap((label, i) => [
        `      - display_name: ${label}   # keep`,
        '        kubespawner_override:',
        `          image: ${name(i)}:PLACEHOLDER`,
      ]),
      '',
    ].join('\n');
    const repo = await world.deployment('race', {
      ...hubFiles({ a: 'PLACEHOLDER' }, name(0)),
      ...hubFiles({ b: 'PLACEHOLDER' }, name(1)),
      ...hubFiles({ c: 'PLACEHOLDER' }, name(2)),
      'deployments/shared/config/common.yaml': shared,
    });
    // While they push, someone merges something else into staging.
    world.git.beforeReceive(
      repo,
      async () => {
        await world.git.commit(repo, 'staging', { 'README.md': 'moved\n' }, 'Unrelated change', HUMAN);
      },
      { times: 1 },
    );
    const runs = await Promise.all(
      sources.map((source, i) =>
        world.run({
          deployment: repo,
          source: source.repo,
          sha: source.shas[0] ?? '',
          inputs: { image: name(i) },
        }),
      ),
    );
    for (const run of runs) expect(run.outputs['operation']).toBe('created');
    expect(world.pullsOf(repo)).toHaveLength(3);
    for (const pull of world.pullsOf(repo)) await world.merge(repo, pull.head.ref);
    const final = (await world.file(repo, 'staging', 'deployments/shared/config/common.yaml')) ?? '';
    expect(final).toBe(
      sources.reduce(
        (text, source, i) => text.replace(`${name(i)}:PLACEHOLDER`, `${name(i)}:${short(source.shas[0])}`),
        shared,
      ),
    );
    for (const [i, hub] of ['a', 'b', 'c'].entries()) {
      expect(await world.file(repo, 'staging', `deployments/${hub}/config/common.yaml`)).toContain(
        `tag: ${short(sources[i]?.shas[0])}`,
      );
    }
    for (const run of runs) await cleanupRun(run);
  });

  it('settles two jobs of one image running at once on the newer tag, with one pull request', async () => {
    const repo = await world.deployment('same-image-race', hubFiles({ a: T[0] ?? '', b: 'PLACEHOLDER' }));
    const runs = await Promise.all([bump(repo, 2), bump(repo, 1)]);
    for (const run of runs) expect(run.exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    expect(await world.file(repo, branch, 'deployments/a/config/common.yaml')).toContain(`tag: ${T[2]}`);
    expect(await world.file(repo, branch, 'deployments/b/config/common.yaml')).toContain(`tag: ${T[2]}`);
    expect(world.pullsOf(repo).filter((pull) => pull.state === 'open')).toHaveLength(1);
    expect(world.pullsOf(repo)[0]?.title).toContain(T[2] ?? '');
    for (const run of runs) await cleanupRun(run);
  });

  it('retries on the new branch head when its push loses the race, and replaces an older bump', async () => {
    const repo = await world.deployment('lease', hubFiles({ a: T[0] ?? '' }));
    expect((await bump(repo, 1)).exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    // Just as this run pushes, another (older) job of the same image re-pushes the branch.
    world.git.beforeReceive(
      repo,
      async () => {
        await world.git.commit(
          repo,
          branch,
          hubFiles({ a: T[1] ?? '' }),
          `Bump base-user-image to ${T[1]}\n\nHub-Image-Bump: ${IMAGE}\nHub-Image-Tag: ${T[1]}\n`,
          BOT,
        );
      },
      { times: 1 },
    );
    const run = await bump(repo, 3);
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('The push lost a race');
    expect(run.log).toContain('(attempt 2)');
    expect(run.outputs['operation']).toBe('updated');
    const log = await world.git.log(repo, branch);
    expect(log[0]?.subject).toBe(`Bump base-user-image to ${T[3]}`);
    expect(log).toHaveLength(2);
    await cleanupRun(run);
  });

  it('stops without pushing when the branch it lost the race to carries a newer tag', async () => {
    const repo = await world.deployment('lease-newer', hubFiles({ a: T[0] ?? '' }));
    expect((await bump(repo, 1)).exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    let newer = '';
    world.git.beforeReceive(
      repo,
      async () => {
        newer = await world.git.commit(
          repo,
          branch,
          hubFiles({ a: T[3] ?? '' }),
          `Bump base-user-image to ${T[3]}\n\nHub-Image-Bump: ${IMAGE}\nHub-Image-Tag: ${T[3]}\n`,
          BOT,
        );
      },
      { times: 1 },
    );
    const run = await bump(repo, 2);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ changed: 'false', operation: 'unchanged' });
    expect(await world.git.resolve(repo, `refs/heads/${branch}`)).toBe(newer);
    await cleanupRun(run);
  });
});

describe('dry run and hub selection', () => {
  it('never reads or writes through a symlink in the deployment repo', async () => {
    const repo = await world.deployment('symlink', hubFiles({ a: T[0] ?? '' }));
    // A tracked symlink named like a config file, pointing at another hub's file.
    await world.symlink(repo, 'deployments/b/config/common.yaml', '../../a/config/common.yaml');
    const run = await bump(repo, 1);
    expect(run.exitCode).toBe(0);
    expect(run.outputs['changed-files']).toBe('deployments/a/config/common.yaml');
    const branch = (await world.bumpBranch(repo)) ?? '';
    const entry = await world.git.runGit(repo, ['ls-tree', branch, 'deployments/b/config/common.yaml']);
    expect(entry.stdout.toString()).toMatch(/^120000 blob /);
    await cleanupRun(run);
  });

  it('reports the changes of a dry run without pushing or opening anything', async () => {
    const repo = await world.deployment('dry', hubFiles({ a: T[0] ?? '', b: 'PLACEHOLDER' }));
    const run = await bump(repo, 1, { 'dry-run': 'true' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      changed: 'true',
      operation: 'none',
      hubs: 'a\nb',
      'pull-request-url': '',
    });
    expect(run.log).toContain(`move  deployments/a/config/common.yaml:6  ${T[0]} → ${T[1]}`);
    expect(run.log).toContain('Dry run: would move 2 reference(s) in 2 file(s)');
    expect(await world.git.branches(repo)).toEqual(['staging']);
    expect(world.pullsOf(repo)).toHaveLength(0);
    await cleanupRun(run);
  });

  it('bumps only the hubs named in "hubs"', async () => {
    const repo = await world.deployment('only', hubFiles({ a: T[0] ?? '', b: T[0] ?? '', c: T[0] ?? '' }));
    const run = await bump(repo, 1, { hubs: 'a, c\nnope', labels: 'false' });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['hubs']).toBe('a\nc');
    expect(world.pullsOf(repo)[0]?.labels).toEqual([]);
    expect(run.log).toContain('input "hubs" names nope, which do not use');
    const branch = (await world.bumpBranch(repo)) ?? '';
    expect(await world.file(repo, branch, 'deployments/b/config/common.yaml')).toContain(`tag: ${T[0]}`);
    await cleanupRun(run);
  });
});
