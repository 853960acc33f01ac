// Benchmark: the bundled action against one plain yamllint process, on a generated 2,000-file corpus.
//   node actions/yamllint-runner/bench/bench.ts [--runs 5] [--files 2000]
// Runs are interleaved (plain, full, changed-only, plain, …) so a busy machine slows all three alike; the table
// shows medians and the ratios of medians. The targets: full run ≤ 0.7× plain, changed-only (5 files) < 5% of full.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeCorpus } from './corpus.ts';
import { median } from '@hub-image-actions/local-world/stats';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? Number(args[index + 1]) : fallback;
};
const RUNS = option('runs', 5);
const FILES = option('files', 2000);
const CHANGED = 5;
const bundle = resolve(import.meta.dirname, '..', 'dist', 'index.js');

function git(cwd: string, gitArgs: string[]): string {
  const result = spawnSync('git', gitArgs, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@example.invalid',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@example.invalid',
    },
  });
  if (result.status !== 0) throw new Error(`git ${gitArgs.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
}

function time(run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const root = mkdtempSync(join(tmpdir(), 'hia-yamllint-bench-'));
try {
  const repo = join(root, 'repo');
  const written = await writeCorpus(repo, { files: FILES, seed: 42, maxBlocks: 8 });
  git(repo, ['init', '-q', '-b', 'main']);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '-q', '-m', 'corpus']);
  const base = git(repo, ['rev-parse', 'HEAD']);
  git(repo, ['checkout', '-q', '-b', 'pr']);
  for (const path of written.slice(0, CHANGED))
    writeFileSync(join(repo, path), `${readFileSync(join(repo, path), 'utf8')}extra:  1\n`);
  git(repo, ['commit', '-q', '-am', 'change 5 files']);
  const head = git(repo, ['rev-parse', 'HEAD']);
  const event = join(root, 'event.json');
  writeFileSync(
    event,
    JSON.stringify({ pull_request: { number: 1, base: { sha: base }, head: { sha: head } } }),
  );

  const plain = (): { errors: number } => {
    const result = spawnSync('yamllint', ['-f', 'parsable', '.'], {
      cwd: repo,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    });
    if (result.status !== 1) throw new Error(`plain yamllint exited ${result.status}: ${result.stderr}`);
    return { errors: result.stdout.split('\n').filter((line) => line.includes(': [error] ')).length };
  };
  const action = (changedOnly: boolean): Record<string, string> => {
    const files = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH'].map((key) => {
        const file = join(root, key.toLowerCase());
        writeFileSync(file, '');
        return [key, file];
      }),
    );
    const result = spawnSync(process.execPath, [bundle], {
      cwd: repo,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      env: {
        PATH: process.env['PATH'],
        HOME: root,
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: repo,
        RUNNER_TEMP: root,
        GITHUB_EVENT_NAME: changedOnly ? 'pull_request' : 'push',
        GITHUB_EVENT_PATH: event,
        'INPUT_CHANGED-ONLY': String(changedOnly),
        // The same yamllint as the plain runs, whatever its version.
        'INPUT_YAMLLINT-VERSION': 'any',
        ...files,
      },
    });
    if (result.status !== 1)
      throw new Error(`the action exited ${result.status}: ${result.stdout.slice(-2000)}`);
    const outputs: Record<string, string> = {};
    const text = readFileSync(files['GITHUB_OUTPUT'] ?? '', 'utf8');
    for (const match of text.matchAll(/^([\w-]+)<<(.+)\n([\s\S]*?)\n\2$/gm))
      outputs[match[1] ?? ''] = match[3] ?? '';
    return outputs;
  };

  const times = { plain: [] as number[], full: [] as number[], changed: [] as number[] };
  let check = '';
  for (let run = 1; run <= RUNS; run += 1) {
    let plainErrors = 0;
    let fullOutputs: Record<string, string> = {};
    let changedOutputs: Record<string, string> = {};
    times.plain.push(time(() => (plainErrors = plain().errors)));
    times.full.push(time(() => (fullOutputs = action(false))));
    times.changed.push(time(() => (changedOutputs = action(true))));
    if (fullOutputs['errors'] !== String(plainErrors)) {
      throw new Error(`the action found ${fullOutputs['errors']} errors, plain yamllint ${plainErrors}`);
    }
    if (changedOutputs['files-checked'] !== String(CHANGED)) {
      throw new Error(`changed-only checked ${changedOutputs['files-checked']} files, expected ${CHANGED}`);
    }
    check = `both found ${plainErrors} errors in ${fullOutputs['files-checked']} files; changed-only checked ${changedOutputs['files-checked']}`;
    console.error(
      `run ${run}/${RUNS}: plain ${times.plain.at(-1)?.toFixed(0)} ms, full ${times.full.at(-1)?.toFixed(0)} ms, changed-only ${times.changed.at(-1)?.toFixed(0)} ms`,
    );
  }

  const plainMedian = median(times.plain);
  const fullMedian = median(times.full);
  const changedMedian = median(times.changed);
  const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  console.log(`${FILES} files, ${RUNS} interleaved runs each, ${availableParallelism()} cores, ${check}.\n`);
  console.log(row(['Run', 'Median', 'Runs', 'Ratio', 'Target', 'Met']));
  console.log(row(['---', '---:', '---', '---:', '---', '---']));
  const list = (values: number[]): string => values.map((value) => (value / 1000).toFixed(1)).join(', ');
  console.log(
    row([
      'one plain `yamllint -f parsable .`',
      seconds(plainMedian),
      list(times.plain),
      '1.00× plain',
      '',
      '',
    ]),
  );
  const fullRatio = fullMedian / plainMedian;
  console.log(
    row([
      'yamllint-runner, full run (`jobs: auto`)',
      seconds(fullMedian),
      list(times.full),
      `${fullRatio.toFixed(2)}× plain`,
      '≤ 0.70× plain',
      fullRatio <= 0.7 ? 'yes' : 'NO',
    ]),
  );
  const changedRatio = changedMedian / fullMedian;
  console.log(
    row([
      `yamllint-runner, changed-only (${CHANGED} files changed)`,
      seconds(changedMedian),
      list(times.changed),
      `${(changedRatio * 100).toFixed(1)}% of full`,
      '< 5% of full',
      changedRatio < 0.05 ? 'yes' : 'NO',
    ]),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
