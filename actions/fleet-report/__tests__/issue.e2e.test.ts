import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { cleanupRun, type ActionRun } from '@hub-image-actions/local-world/action-runner';
import { checkAgainstGitHubSpec } from '@hub-image-actions/local-world/github-spec';
import { hubFile, suiteWorld } from './world.js';

jest.setTimeout(180_000);

// `issue: true` over several runs: one issue, opened once, left alone while nothing changes, edited in place when
// the report changes, closed when no problem remains, reopened when one comes back. Every answer of the fake GitHub
// to these calls is checked against GitHub's published API description.

const suite = suiteWorld();
let repo: string;
let image: string;
let good: string;

async function report(inputs: Record<string, string> = {}): Promise<ActionRun> {
  const run = await suite.world.run({
    deployment: repo,
    inputs: { issue: 'true', 'fail-on': 'none', ...inputs },
  });
  await cleanupRun(run);
  if (run.failed) throw new Error(`the run failed:\n${run.maskedLog}`);
  return run;
}

const writes = (from: number) =>
  suite.world.github.requests
    .slice(from)
    .filter((request) => request.method !== 'GET')
    .map((request) => `${request.method} ${request.path.replace(/^\/repos\/[^/]+\/[^/]+/, '')}`);

beforeAll(async () => {
  const shas = await suite.world.imageRepo('issue-user-image', 2);
  const older = (shas[0] ?? '').slice(0, 12);
  good = (shas[1] ?? '').slice(0, 12);
  image = suite.world.image('issue-user-image');
  await suite.world.push('issue-user-image', [older, good]);
  repo = await suite.world.deployment('issue-fleet', {
    staging: {
      ...hubFile('a', image, older),
      ...hubFile('b', image, 'PLACEHOLDER'),
      'configs/repos.txt': 'hub-test/issue-user-image\n',
    },
    prod: {},
  });
});

describe('the report issue', () => {
  it('is opened once and left alone by two more runs that find the same problems', async () => {
    const from = suite.world.github.requests.length;
    const runs = [await report(), await report(), await report()];
    expect(suite.world.issuesOf(repo)).toHaveLength(1);
    const issue = suite.world.issuesOf(repo)[0];
    expect(issue).toMatchObject({
      state: 'open',
      title: 'Fleet report: hub images',
      labels: ['fleet-report'],
    });
    expect(issue?.body).toMatch(/placeholder tag/);
    expect(writes(from)).toEqual(['POST /issues']);
    expect(runs.map((run) => run.outputs['issue-number'])).toEqual([
      String(issue?.number),
      String(issue?.number),
      String(issue?.number),
    ]);
    expect(runs[2]?.outputs['issue-url']).toBe(issue?.html_url);
  });

  it('is edited in place when the problems change', async () => {
    await suite.world.commitAt(
      repo,
      'staging',
      hubFile('c', image, '0123456789ab'),
      'Hub c on a tag never pushed',
    );
    const from = suite.world.github.requests.length;
    await report();
    expect(writes(from)).toEqual([`PATCH /issues/${suite.world.issuesOf(repo)[0]?.number}`]);
    expect(suite.world.issuesOf(repo)).toHaveLength(1);
    expect(suite.world.issuesOf(repo)[0]?.body).toMatch(/missing from the registry/);
  });

  it('is closed with a comment when no problem remains, and left closed', async () => {
    const fixed = { ...hubFile('b', image, good), ...hubFile('c', image, good) };
    await suite.world.commitAt(repo, 'staging', fixed, 'Fix b and c');
    await suite.world.commitAt(repo, 'prod', fixed, 'Promote the fixes');
    const from = suite.world.github.requests.length;
    const number = suite.world.issuesOf(repo)[0]?.number;
    await report();
    expect(writes(from)).toEqual([`POST /issues/${number}/comments`, `PATCH /issues/${number}`]);
    expect(suite.world.issuesOf(repo)[0]).toMatchObject({ state: 'closed', state_reason: 'completed' });
    const again = suite.world.github.requests.length;
    await report();
    expect(writes(again)).toEqual([]);
  });

  it('is reopened, not duplicated, when a problem comes back', async () => {
    await suite.world.commitAt(
      repo,
      'staging',
      hubFile('b', image, 'PLACEHOLDER'),
      'b back to a placeholder',
    );
    await report();
    expect(suite.world.issuesOf(repo)).toHaveLength(1);
    expect(suite.world.issuesOf(repo)[0]?.state).toBe('open');
  });

  it('with a GitHub App, mints a token for the deployment repo alone, just as strong as needed, and revokes it', async () => {
    const { privateKeyPem } = suite.world.github.addApp({ id: 5150, installations: { [repo]: 5151 } });
    const run = await suite.world.run({
      deployment: repo,
      inputs: { issue: 'true', 'fail-on': 'none', token: '', 'app-id': '5150', 'private-key': privateKeyPem },
    });
    await cleanupRun(run);
    expect(run.failed).toBe(false);
    const minted = suite.world.github.installationTokens.filter((token) => token.appId === 5150);
    expect(minted).toEqual([
      expect.objectContaining({
        repos: [repo],
        permissions: { contents: 'read', pull_requests: 'read', issues: 'write' },
        revoked: true,
      }),
    ]);
    expect(run.maskedLog).not.toContain(minted[0]?.token);
  });

  it("gets GitHub's answers, as GitHub's API description has them", () => {
    const { problems, called } = checkAgainstGitHubSpec(suite.world.github.requests);
    expect(problems).toEqual([]);
    expect(called).toEqual([
      'DELETE /installation/token',
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}/commits',
      'GET /repos/{owner}/{repo}/compare/{basehead}',
      'GET /repos/{owner}/{repo}/installation',
      'GET /repos/{owner}/{repo}/issues',
      'GET /repos/{owner}/{repo}/pulls',
      'PATCH /repos/{owner}/{repo}/issues/{issue_number}',
      'POST /app/installations/{installation_id}/access_tokens',
      'POST /repos/{owner}/{repo}/issues',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
    ]);
  });

  it('needs issues: write, and says so', async () => {
    suite.world.github.addToken('ghp_FleetReadOnly0123456789abcdefABCD04', {
      login: 'reader',
      permissions: { contents: 'read', pull_requests: 'read', issues: 'read' },
    });
    suite.world.git.addToken('ghp_FleetReadOnly0123456789abcdefABCD04', { push: false, user: 'reader' });
    await suite.world.commitAt(repo, 'staging', hubFile('d', image, 'PLACEHOLDER'), 'd on a placeholder');
    const run = await suite.world.run({
      deployment: repo,
      inputs: { issue: 'true', 'fail-on': 'none', token: 'ghp_FleetReadOnly0123456789abcdefABCD04' },
    });
    await cleanupRun(run);
    expect(run.failed).toBe(true);
    expect(run.maskedLog).toMatch(
      /updating the report issue #\d+ in hub-test\/issue-fleet: GitHub denied it \(403 Resource not accessible by integration\)\. Give the token \(or the GitHub App\) issues: write \(or set "issue: false"\) on the deployment repository/,
    );
  });
});
