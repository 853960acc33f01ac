// Runs every committed bundle the way the runner would, with no inputs, and expects the action's own
// "missing input" failure (or, for an action whose inputs all have defaults, its own message): proof that the
// bundle loads and reaches its input validation, not a module error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const actions = readdirSync(join(root, 'actions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

// What each action says when it is run with no inputs at all.
const expected = {
  'build-image': /::error::build-image action failed: .*input "image" is required/,
  'push-to-gar': /::error::push-to-gar action failed: .*input "tags" is required/,
  'bump-hubploy': /::error::bump-hubploy action failed: .*input "image" is required/,
  'fleet-report': /::error::fleet-report action failed: .*input "token" is required/,
  // No inputs in an empty workspace: yamllint runs and finds nothing to lint. Like plain yamllint that passes,
  // with a warning that names "paths".
  'yamllint-runner':
    /::warning title=yamllint%3A no file to lint::no file matched: yamllint lints no file in "\." \(input "paths"\)/,
};
// The exit status expected with no inputs: 1 (the action's failure) unless said otherwise here.
const expectedStatus = { 'yamllint-runner': 0 };
const loadFailure =
  /ERR_MODULE_NOT_FOUND|ERR_REQUIRE_ESM|Cannot find (module|package)|SyntaxError|is not defined/;

let failures = 0;
const runtimes = new Set();
for (const name of actions) {
  const dir = join(root, 'actions', name);
  const metadata = parse(readFileSync(join(dir, 'action.yml'), 'utf8'));
  runtimes.add(metadata.runs.using);
  const problems = [];
  if (metadata.runs.using !== 'node24')
    problems.push(`runs.using is ${metadata.runs.using}, expected node24`);
  for (const key of ['main', 'post']) {
    const file = metadata.runs[key];
    if (file !== undefined && !existsSync(join(dir, file)))
      problems.push(`runs.${key} names ${file}, which does not exist`);
  }
  const pattern = expected[name];
  if (pattern === undefined) problems.push('has no smoke expectation in scripts/smoke-bundles.mjs');

  const temp = mkdtempSync(join(tmpdir(), `hia-smoke-${name}-`));
  const files = Object.fromEntries(
    ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'].map((key) => {
      const file = join(temp, key.toLowerCase());
      writeFileSync(file, '');
      return [key, file];
    }),
  );
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [join(dir, metadata.runs.main)], {
    cwd: temp,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      HOME: temp,
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: temp,
      RUNNER_TEMP: temp,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REPOSITORY: 'smoke/test',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      ...files,
    },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  rmSync(temp, { recursive: true, force: true });
  const output = `${run.stdout}\n${run.stderr}`;
  const status = expectedStatus[name] ?? 1;
  if (run.status !== status) problems.push(`exited with ${run.status ?? run.signal}, expected ${status}`);
  if (loadFailure.test(output)) problems.push('failed while loading the bundle');
  if (pattern !== undefined && !pattern.test(run.stdout)) problems.push(`did not print ${pattern}`);
  if (problems.length > 0) {
    failures += 1;
    console.log(
      `FAIL ${name} (${ms.toFixed(0)} ms)\n  ${problems.join('\n  ')}\n--- output ---\n${output.trim()}\n---`,
    );
  } else {
    console.log(`ok   ${name} (${ms.toFixed(0)} ms): ${run.stdout.match(pattern)?.[0]}`);
  }
}
if (runtimes.size > 1) {
  failures += 1;
  console.log(`FAIL actions declare different runtimes: ${[...runtimes].join(', ')}`);
}
process.exit(failures === 0 ? 0 : 1);
