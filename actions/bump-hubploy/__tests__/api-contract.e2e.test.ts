import { describe, expect, it, jest } from '@jest/globals';
import { cleanupRun } from '@hub-image-actions/local-world/action-runner';
import { checkAgainstGitHubSpec } from '@hub-image-actions/local-world/github-spec';
import { hubFiles, HUMAN, short, suiteWorld } from './world.js';

jest.setTimeout(180_000);

// Every answer the fake GitHub gives to the calls bump-hubploy makes is checked against GitHub's own published API
// description (@octokit/openapi), so code that trusts the types cannot pass on the fake and fail on GitHub.

const suite = suiteWorld(3);

describe("the fake GitHub against GitHub's API description", () => {
  it('answers every call of a bump (App auth, create, update, comment, labels, close) as the spec describes', async () => {
    const repo = await suite.world.deployment(
      'contract',
      hubFiles({ a: short(suite.image.shas[0]), b: 'PLACEHOLDER' }),
    );
    const { privateKeyPem } = suite.world.github.addApp({ id: 9100, installations: { [repo]: 9200 } });
    suite.world.github.addMergedPull(suite.image.repo, {
      number: 3,
      title: 'Add numpy',
      mergeCommitSha: suite.image.shas[1] ?? '',
    });
    const inputs = { token: '', 'app-id': '9100', 'private-key': privateKeyPem };
    const from = suite.world.github.requests.length;
    const run = (index: number) =>
      suite.world.run({
        deployment: repo,
        source: suite.image.repo,
        sha: suite.image.shas[index] ?? '',
        inputs,
      });
    const created = await run(1);
    expect(created.outputs['operation']).toBe('created');
    // Hub b moves on by hand: the next bump moves a alone, drops the label of b and comments.
    await suite.world.git.commit(
      repo,
      'staging',
      hubFiles({ b: short(suite.image.shas[2]) }),
      'Hand bump of b',
      HUMAN,
    );
    const updated = await run(2);
    expect(updated.outputs['operation']).toBe('updated');
    await suite.world.git.commit(
      repo,
      'staging',
      hubFiles({ a: short(suite.image.shas[2]) }),
      'Hand bump of a',
      HUMAN,
    );
    const closed = await run(2);
    expect(closed.outputs['operation']).toBe('none');
    expect(suite.world.pullsOf(repo)[0]?.state).toBe('closed');

    const { problems, called } = checkAgainstGitHubSpec(suite.world.github.requests.slice(from));
    expect(problems).toEqual([]);
    expect(called).toEqual([
      'DELETE /installation/token',
      'DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
      'GET /repos/{owner}/{repo}',
      'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls',
      'GET /repos/{owner}/{repo}/commits/{ref}',
      'GET /repos/{owner}/{repo}/compare/{basehead}',
      'GET /repos/{owner}/{repo}/installation',
      'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'GET /repos/{owner}/{repo}/pulls',
      'PATCH /repos/{owner}/{repo}/pulls/{pull_number}',
      'POST /app/installations/{installation_id}/access_tokens',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/comments',
      'POST /repos/{owner}/{repo}/issues/{issue_number}/labels',
      'POST /repos/{owner}/{repo}/pulls',
    ]);
    for (const done of [created, updated, closed]) await cleanupRun(done);
  });
});
