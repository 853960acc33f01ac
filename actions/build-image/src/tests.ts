// Running the test suites against the built image, before anything can be pushed.
import type { ProcessRunner } from '@hub-image-actions/process';
import { systemClock, type Clock } from '@hub-image-actions/retry';
import type { Docker } from './docker.js';
import { formatCommand } from './repo2docker-argv.js';
import {
  imageTestDockerArgs,
  jupyterServerDockerArgs,
  JUPYTER_PORT,
  parsePublishedPort,
} from './test-plan.js';

export type SuiteName = 'image-tests' | 'browser-tests';

export interface SuiteResult {
  suite: SuiteName;
  passed: boolean;
  durationMs: number;
  /** One line: what happened. */
  detail: string;
  /** The last output lines, shown on failure. */
  tail: string[];
  /** The jupyter server's log, attached when the browser tests fail. */
  serverLog?: string;
}

const TAIL = 30;

function keepTail(lines: string[], line: string): void {
  lines.push(line);
  if (lines.length > TAIL) lines.shift();
}

export async function runImageTests(options: {
  docker: Docker;
  image: string;
  containerName: string;
  userId: number;
  targetRepoDir: string;
  command: readonly string[];
  print: (line: string) => void;
  clock?: Clock;
}): Promise<SuiteResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const args = imageTestDockerArgs(options);
  options.print(`$ ${formatCommand('docker', args)}`);
  const tail: string[] = [];
  const result = await options.docker.run(args, {
    onLine: (line) => {
      options.print(line);
      keepTail(tail, line);
    },
  });
  const durationMs = clock.now() - started;
  const where = `in the image as uid ${options.userId} in ${options.targetRepoDir}`;
  // pytest exits 4 on a usage error, e.g. a folder that is not there: a Dockerfile that copies the repo elsewhere.
  const missing =
    result.exitCode === 4 && tail.some((line) => /file or directory not found: image-tests/.test(line));
  return {
    suite: 'image-tests',
    passed: result.exitCode === 0,
    durationMs,
    detail:
      result.exitCode === 0
        ? `passed ${where}`
        : missing
          ? `failed: image-tests/ is not in ${options.targetRepoDir} in the image; a Dockerfile must copy the repository there ` +
            '(e.g. `COPY --chown=${NB_UID} . ${REPO_DIR}`), or set target-repo-dir to where it does'
          : `failed (exit code ${result.exitCode}) ${where}`,
    tail,
  };
}

export interface BrowserTestOptions {
  docker: Docker;
  runner: ProcessRunner;
  image: string;
  containerName: string;
  hostPort: number;
  timeoutSeconds: number;
  /** Commands run on the runner in order, in `cwd`. */
  commands: ReadonlyArray<readonly string[]>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  print: (line: string) => void;
  fetchImpl?: typeof fetch;
  clock?: Clock;
}

async function statusAnswers(fetchImpl: typeof fetch, url: string): Promise<boolean> {
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts the image serving jupyter lab, waits (bounded) for /api/status, runs the browser test commands on the
 * runner, and always removes the container; its log is kept when anything fails.
 */
export async function runBrowserTests(options: BrowserTestOptions): Promise<SuiteResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const { docker, print } = options;
  const fetchImpl = options.fetchImpl ?? fetch;
  const tail: string[] = [];
  const fail = async (detail: string): Promise<SuiteResult> => ({
    suite: 'browser-tests',
    passed: false,
    durationMs: clock.now() - started,
    detail,
    tail,
    serverLog: await docker.containerLogs(options.containerName).catch(() => '(no log)'),
  });
  try {
    const args = jupyterServerDockerArgs(options);
    print(`$ ${formatCommand('docker', args)}`);
    const startResult = await docker.run(args);
    if (startResult.exitCode !== 0) {
      keepTail(tail, startResult.stderr.trim());
      return await fail(
        `the image could not be started: ${startResult.stderr.trim().split('\n').at(-1) ?? ''}`,
      );
    }
    const port = parsePublishedPort(
      (await docker.run(['port', options.containerName, `${JUPYTER_PORT}/tcp`])).stdout,
    );
    if (port === undefined) return await fail('docker did not publish the jupyter port');
    const url = `http://127.0.0.1:${port}`;
    print(`Waiting up to ${options.timeoutSeconds} s for ${url}/api/status`);
    const deadline = clock.now() + options.timeoutSeconds * 1000;
    let ready = false;
    let polls = 0;
    while (clock.now() < deadline) {
      if (await statusAnswers(fetchImpl, `${url}/api/status`)) {
        ready = true;
        break;
      }
      polls += 1;
      if (polls % 4 === 0) {
        const state = await docker.containerState(options.containerName);
        if (state !== undefined && !state.running) {
          return await fail(
            `the jupyter server exited (code ${state.exitCode}) before answering ${url}/api/status`,
          );
        }
      }
      await clock.sleep(Math.min(500, Math.max(0, deadline - clock.now())));
    }
    if (!ready) {
      return await fail(
        `the jupyter server did not answer ${url}/api/status within ${options.timeoutSeconds} s (browser-test-timeout)`,
      );
    }
    print(`jupyter server ready at ${url} after ${((clock.now() - started) / 1000).toFixed(1)} s`);
    const env = { ...options.env, JUPYTER_URL: url, JUPYTER_PORT: String(port), JUPYTER_TOKEN: '' };
    for (const command of options.commands) {
      const [program = '', ...rest] = command;
      print(`$ ${formatCommand(program, rest)}`);
      const result = await options.runner.run(program, rest, {
        cwd: options.cwd,
        env,
        onLine: (line) => {
          print(line);
          keepTail(tail, line);
        },
      });
      if (result.exitCode !== 0) {
        if (result.exitCode === 127) keepTail(tail, result.stderr.trim());
        return await fail(`${formatCommand(program, rest)} failed (exit code ${result.exitCode})`);
      }
    }
    return {
      suite: 'browser-tests',
      passed: true,
      durationMs: clock.now() - started,
      detail: `passed against jupyter lab at ${url}`,
      tail,
    };
  } finally {
    await docker.removeContainer(options.containerName);
  }
}
