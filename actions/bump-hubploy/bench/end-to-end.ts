// Clone, find, edit, commit, push and open the pull request, for 20 changed files in a 200-hub deployment repo,
// with the bundled action (dist/index.js) against the harness git server and fake GitHub API on loopback.
// Baseline, side by side: a plain full `git clone` of the same repo (what a checkout step alone costs).
// Run: pnpm --filter @hub-image-actions/bump-hubploy run bench
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanupRun, runAction } from '@hub-image-actions/local-world/action-runner';
import { FakeGitHub } from '@hub-image-actions/local-world/fake-github';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { fleet, IMAGE, passes, table } from './fleet.ts';

const RUNS = 7;
const TOKEN = 'ghp_BenchToken0123456789abcdefABCDEF0123';
const git = await GitServer.start();
const github = await FakeGitHub.start({ git });
github.addToken(TOKEN, {});
git.addToken(TOKEN, { push: true });
await git.createRepo('bench/image', { files: { 'environment.yml': 'dependencies: []\n' } });
const sha = await git.commit(
  'bench/image',
  'main',
  { 'environment.yml': 'dependencies: [numpy]\n' },
  'Add numpy',
);

// 20 changed files: 10 hubs use the image in common.yaml and staging.yaml; the other 190 use another image.
const files = fleet(200, { usingImage: (i) => i % 20 === 1 });
const samples: number[] = [];
const clones: number[] = [];
let changed = '';
try {
  for (let i = 0; i < RUNS + 1; i += 1) {
    const repo = `bench/deploy-${i}`;
    await git.createRepo(repo, { branch: 'staging', files });
    const started = performance.now();
    const run = await runAction({
      action: 'bump-hubploy',
      inputs: { image: IMAGE, tag: sha.slice(0, 12), 'deployment-repo': repo, token: TOKEN },
      env: {
        GITHUB_API_URL: github.url,
        GITHUB_SERVER_URL: github.serverUrl,
        GITHUB_REPOSITORY: 'bench/image',
        GITHUB_SHA: sha,
      },
      githubToken: TOKEN,
    });
    const elapsed = performance.now() - started;
    if (run.outputs['operation'] !== 'created') throw new Error(`run ${i} failed:\n${run.log}`);
    changed = run.outputs['changed-files'] ?? '';
    await cleanupRun(run);
    const dir = mkdtempSync(join(tmpdir(), 'hia-bench-clone-'));
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
    const cloneStarted = performance.now();
    // The git server runs in this process: the clone must not block its event loop.
    const status = await new Promise<number | null>((resolve) => {
      const child = spawn(
        'git',
        ['clone', '--quiet', '--branch', 'staging', git.repoUrl(repo), join(dir, 'c')],
        {
          stdio: 'ignore',
          env: {
            PATH: process.env['PATH'],
            GIT_CONFIG_COUNT: '1',
            GIT_CONFIG_KEY_0: 'http.extraHeader',
            GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
          },
        },
      );
      child.on('close', resolve);
    });
    const cloneElapsed = performance.now() - cloneStarted;
    rmSync(dir, { recursive: true, force: true });
    if (status !== 0) throw new Error(`git clone exited with ${status}`);
    if (i === 0) continue; // warm-up
    samples.push(elapsed);
    clones.push(cloneElapsed);
  }
} finally {
  await github.stop();
  await git.stop();
}
const rows = [
  {
    name: `clone + find + edit + push + PR (${changed.split('\n').length} changed files, 200 hubs)`,
    samples,
    targetMs: 5000,
  },
];
console.log(table(rows, { name: 'full git clone', samples: clones }));
if (!passes(rows)) process.exitCode = 1;
