import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { FaultProxy } from '@hub-image-actions/local-world/fault-proxy';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';
import { BOT, HUMAN, hubFiles, IMAGE, listFiles, short, World } from './world.js';

jest.setTimeout(180_000);

const runProgram = promisify(execFile);

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

const bump = (
  deployment: string,
  index: number,
  extra: Parameters<World['run']>[0]['inputs'] = {},
  env: Record<string, string> = {},
) => world.run({ deployment, source: image.repo, sha: image.shas[index] ?? '', inputs: extra, env });

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
    await cleanupRun(first);
    await cleanupRun(run);
  });

  it('treats an amended bot commit as someone else s: its committer is not the bot', async () => {
    const repo = await world.deployment('amended', hubFiles({ a: T[0] ?? '' }));
    const first = await bump(repo, 1);
    expect(first.exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    const amended = await world.amend(repo, branch, HUMAN);
    const log = await world.git.log(repo, branch);
    expect(log[0]?.author).toBe(`${BOT.name} <${BOT.email}>`);
    const run = await bump(repo, 2);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain(`${branch} in ${repo} has commits this action did not make`);
    expect(run.log).toContain(
      `${amended.slice(0, 12)} by hub-image-bot <${BOT.email}>: Bump base-user-image`,
    );
    expect(await world.git.resolve(repo, `refs/heads/${branch}`)).toBe(amended);
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

describe('a bump branch far ahead of the base', () => {
  it('stops, listing ten of its commits and counting the rest, when the branch is more than 100 commits ahead', async () => {
    const repo = await world.deployment('far-ahead', hubFiles({ a: T[0] ?? '' }));
    const first = await bump(repo, 1);
    expect(first.exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    for (let i = 1; i <= 120; i += 1) {
      await world.git.commit(repo, branch, { 'notes.txt': `note ${i}\n` }, `Note ${i}`, HUMAN);
    }
    const run = await bump(repo, 2);
    expect(run.exitCode).not.toBe(0);
    const message = run.annotations.find((a) => a.level === 'error')?.message ?? '';
    expect(message).toContain(`${branch} in ${repo} has commits this action did not make`);
    // GitHub lists 100 commits a page: what is not listed cannot be proven the action's.
    expect(message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(11);
    expect(message).toContain('  - … and 111 more. Merge or close');
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
    expect(run.log).toMatch(
      /GET \/repos\/\{owner\}\/\{repo\}\/compare\/\{basehead\}: secondary rate limit; trying again in 1\.0 s \(attempt 2 of 6\)/,
    );
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
    const run = await bump(repo, 1);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).toContain('gave up after 6 attempts');
    expect(
      world.github.requests.filter((r) => r.method === 'POST' && r.path === `/repos/${repo}/pulls`),
    ).toHaveLength(6);
    const again = await bump(repo, 1);
    expect(again.outputs['operation']).toBe('created');
    await cleanupRun(run);
    await cleanupRun(again);
  });
});

describe('branches that move or vanish while a run looks at them', () => {
  it('starts the branch again from the base when it is deleted between ls-remote and fetch', async () => {
    const repo = await world.deployment('vanished', hubFiles({ a: T[0] ?? '', b: T[0] ?? '' }));
    expect((await bump(repo, 1)).exitCode).toBe(0);
    const branch = (await world.bumpBranch(repo)) ?? '';
    // Just after the next run lists the branches: the pull request is merged and its branch auto-deleted.
    let looks = 0;
    world.git.beforeUpload(
      repo,
      async () => {
        looks += 1;
        if (looks !== 2) return;
        await world.merge(repo, branch);
        await world.git.runGit(repo, ['update-ref', '-d', `refs/heads/${branch}`]);
        await world.closePull(repo, 1);
      },
      { times: 2 },
    );
    const run = await bump(repo, 2);
    expect(looks).toBe(2);
    expect(run.log).not.toContain('unexpected error');
    expect(run.exitCode).toBe(0);
    expect(run.log).toMatch(
      new RegExp(
        `staging or ${branch} was deleted between listing and fetching it .*; looking again in .* \\(attempt 2 of 5\\)`,
      ),
    );
    expect(run.outputs).toMatchObject({ changed: 'true', operation: 'created', 'pull-request-number': '2' });
    const log = await world.git.log(repo, branch);
    expect(log[0]?.subject).toBe(`Bump base-user-image to ${T[2]}`);
    expect(log[1]?.subject).toBe(`Merge ${branch}`);
    expect(await world.file(repo, branch, 'deployments/b/config/common.yaml')).toContain(`tag: ${T[2]}`);
    await cleanupRun(run);
  });

  it('gives up within its attempt budget, with a wait between attempts, when the base moves at every fetch', async () => {
    const repo = await world.deployment('restless', hubFiles({ a: T[0] ?? '' }));
    let moves = 0;
    world.git.beforeUpload(
      repo,
      async () => {
        moves += 1;
        await world.git.commit(
          repo,
          'staging',
          { 'README.md': `move ${moves}\n` },
          'Unrelated change',
          HUMAN,
        );
      },
      { times: 40 },
    );
    const run = await bump(repo, 1);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).not.toContain('unexpected error');
    for (let attempt = 2; attempt <= 5; attempt += 1) {
      expect(run.log).toMatch(
        new RegExp(
          `staging moved from [0-9a-f]{12} to [0-9a-f]{12} between listing and fetching it; looking again in [0-9.]+ (ms|s) \\(attempt ${attempt} of 5\\)`,
        ),
      );
    }
    expect(run.log).not.toContain('(attempt 6 of 5)');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /staging kept changing during 5 attempts \(last: staging moved from .*\); nothing was overwritten\. Re-run the job/,
    );
    // Two looks (ls-remote and fetch) per attempt, five attempts.
    expect(moves).toBe(10);
    expect(await world.git.branches(repo)).toEqual(['staging']);
    await cleanupRun(run);
  }, 60_000);
});

describe('GitHub API failures the retries cannot fix', () => {
  it('names the call, the pull request, the status and the permission when adding labels is denied', async () => {
    const repo = await world.deployment('no-labels', hubFiles({ a: T[0] ?? '' }));
    world.github.fail({
      method: 'POST',
      path: /^\/repos\/hub-test\/no-labels\/issues\/1\/labels$/,
      status: 403,
      body: { message: 'Resource not accessible by integration' },
      times: 1,
    });
    const run = await bump(repo, 1);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).not.toContain('unexpected error');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe(
      `bump-hubploy action failed: adding the labels "hub: a" to pull request #1 in ${repo}: GitHub denied it (403 Resource not accessible by integration). Give the token (or the GitHub App) pull-requests: write (or issues: write) — or set "labels: false" to skip the hub labels on the deployment repository, then re-run: it picks up where this run stopped`,
    );
    const again = await bump(repo, 1);
    expect(again.exitCode).toBe(0);
    expect(world.pullsOf(repo)[0]?.labels).toEqual(['hub: a']);
    await cleanupRun(run);
    await cleanupRun(again);
  });

  it('names the call and GitHub s message when updating the pull request or comparing the branch fails', async () => {
    const repo = await world.deployment('no-update', hubFiles({ a: T[0] ?? '' }));
    expect((await bump(repo, 1)).exitCode).toBe(0);
    world.github.fail({
      method: 'PATCH',
      path: /^\/repos\/hub-test\/no-update\/pulls\/1$/,
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: 'body is too long' }],
      },
      times: 1,
    });
    const run = await bump(repo, 2);
    expect(run.exitCode).not.toBe(0);
    expect(run.log).not.toContain('unexpected error');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      new RegExp(
        `updating the title and description of pull request #1 in ${repo}: GitHub rejected it \\(422 Validation Failed: body is too long\\)\\. Re-run the job`,
      ),
    );
    world.github.fail({
      method: 'GET',
      path: /^\/repos\/hub-test\/no-update\/compare\//,
      status: 404,
      body: { message: 'Not Found' },
      times: 1,
    });
    const compare = await bump(repo, 3);
    expect(compare.exitCode).not.toBe(0);
    expect(compare.log).not.toContain('unexpected error');
    expect(compare.annotations.find((a) => a.level === 'error')?.message).toMatch(
      new RegExp(
        `comparing the bump branch \\([0-9a-f]{12}\\) with the base \\([0-9a-f]{12}\\) in ${repo}: GitHub answered 404 Not Found`,
      ),
    );
    await cleanupRun(run);
    await cleanupRun(compare);
  });

  it('does not comment twice when the answer to a comment that landed is lost', async () => {
    const repo = await world.deployment('lost-answer', hubFiles({ a: T[0] ?? '' }));
    expect((await bump(repo, 1)).exitCode).toBe(0);
    const proxy = await FaultProxy.start(world.github.url);
    try {
      proxy.addRule({
        method: 'POST',
        path: /^\/repos\/hub-test\/lost-answer\/issues\/1\/comments$/,
        action: { drop: 'after-forward' },
        times: 1,
      });
      const run = await bump(repo, 2, {}, { GITHUB_API_URL: proxy.url });
      expect(run.exitCode).toBe(0);
      expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(1);
      expect(run.outputs['operation']).toBe('updated');
      expect(run.log).toMatch(
        /commenting on pull request #1 in hub-test\/lost-answer: no answer from the API/,
      );
      expect(run.log).toContain('The comment had landed although its answer was lost; not posting it twice.');
      expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(1);
      await cleanupRun(run);
    } finally {
      await proxy.stop();
    }
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

  it('leaves the pull request alone when a newer job replaced its commit before it got there', async () => {
    const repo = await world.deployment('overtaken', hubFiles({ a: T[0] ?? '', b: 'PLACEHOLDER' }));
    // The older job (T1) pushes first. As it turns to the pull request, a newer job (T2) replaces its commit
    // and opens the pull request; only then does the older job go on.
    let newer: ActionRun | undefined;
    world.github.beforeRequest(
      { method: 'GET', path: /^\/repos\/hub-test\/overtaken\/pulls$/, times: 1 },
      async () => {
        newer = await bump(repo, 2);
      },
    );
    const older = await bump(repo, 1);
    expect(newer?.exitCode).toBe(0);
    expect(newer?.outputs).toMatchObject({
      changed: 'true',
      operation: 'created',
      'pull-request-number': '1',
    });
    expect(older.exitCode).toBe(0);
    expect(older.outputs).toMatchObject({
      changed: 'false',
      operation: 'unchanged',
      'pull-request-number': '1',
      'pull-request-url': newer?.outputs['pull-request-url'],
    });
    expect(older.log).toMatch(/Another run replaced it with [0-9a-f]{12} after this run pushed/);
    const branch = (await world.bumpBranch(repo)) ?? '';
    expect(await world.file(repo, branch, 'deployments/a/config/common.yaml')).toContain(`tag: ${T[2]}`);
    const pull = world.pullsOf(repo)[0];
    expect(world.pullsOf(repo)).toHaveLength(1);
    expect(pull?.title).toBe(`Bump base-user-image image to ${T[2]}`);
    expect(pull?.body).not.toContain(T[1] ?? '');
    expect(pull?.labels.sort()).toEqual(['hub: a', 'hub: b']);
    expect(world.github.comments.filter((c) => c.repo === repo)).toHaveLength(0);
    await cleanupRun(older);
    if (newer !== undefined) await cleanupRun(newer);
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
    expect(run.log).toContain('the push lost a race');
    expect(run.log).toContain('(attempt 2 of 5)');
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

describe('the clone', () => {
  it('is shallow, blobless and sparse: only the considered files are checked out', async () => {
    const repo = await world.deployment('sparse', {
      ...hubFiles({ a: T[0] ?? '', b: T[0] ?? '' }),
      'README.md': 'Deployment repo\n',
      'deployments/a/secrets/prod.yaml': 'password: not-for-the-bump\n',
      'deployments/template/config/common.yaml': `image: ${IMAGE}:PLACEHOLDER\n`,
    });
    await world.git.commit(repo, 'staging', { 'docs/history.md': 'older\n' }, 'History', HUMAN);
    const runnerTemp = await makeTempDir('bump-runner-temp');
    const seen: Record<string, string> = {};
    // Look inside the clone while the action waits for its push to be received.
    world.git.beforeReceive(
      repo,
      async () => {
        const [work] = (await readdir(runnerTemp)).filter((name) => name.startsWith('hub-image-bump-'));
        const dir = join(runnerTemp, work ?? '', 'deployment');
        const git = async (...args: string[]) =>
          (
            await runProgram('git', args, {
              cwd: dir,
              env: { PATH: process.env['PATH'], GIT_CONFIG_NOSYSTEM: '1' },
            })
          ).stdout.trim();
        seen['shallow'] = await git('rev-parse', '--is-shallow-repository');
        seen['promisor'] = await git('config', '--get', 'remote.origin.promisor');
        seen['filter'] = await git('config', '--get', 'remote.origin.partialclonefilter');
        seen['commits'] = await git('rev-list', '--count', 'HEAD');
        seen['sparse'] = await readFile(join(dir, '.git', 'info', 'sparse-checkout'), 'utf8');
        seen['worktree'] = await git('ls-files', '-t');
        seen['files'] = listFiles(dir)
          .filter((path) => !path.startsWith('.git/'))
          .sort()
          .join('\n');
      },
      { times: 1, stage: 'pack' },
    );
    try {
      const bumped = await world.run({
        deployment: repo,
        source: image.repo,
        sha: image.shas[1] ?? '',
        runnerTemp,
      });
      expect(bumped.exitCode).toBe(0);
      await cleanupRun(bumped);
    } finally {
      await removeDir(runnerTemp);
    }
    expect(seen['shallow']).toBe('true');
    expect(seen['promisor']).toBe('true');
    expect(seen['filter']).toBe('blob:none');
    // The base's tip and the bump commit on it: no older history.
    expect(seen['commits']).toBe('2');
    expect(seen['sparse']).toBe('/deployments/a/config/common.yaml\n/deployments/b/config/common.yaml\n');
    expect(seen['files']).toBe('deployments/a/config/common.yaml\ndeployments/b/config/common.yaml');
    // Everything else is in the index but skipped in the worktree (S).
    expect(seen['worktree']).toMatch(/^S README\.md$/m);
    expect(seen['worktree']).toMatch(/^S deployments\/a\/secrets\/prod\.yaml$/m);
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
