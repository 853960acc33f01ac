// Phase three, test: the suites the repository has, against the built image, before anything can be pushed.
import { join } from 'node:path';
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ProcessRunner } from '@hub-image-actions/process';
import type { Clock } from '@hub-image-actions/retry';
import type { Docker } from './docker.js';
import {
  BROWSER_TESTS_DIR,
  defaultBrowserTestCommands,
  defaultImageTestCommand,
  IMAGE_TESTS_DIR,
  selectSuites,
  type SuitePresence,
  type TestMode,
} from './test-plan.js';
import { runBrowserTests, runImageTests, type SuiteResult } from './tests.js';

export class TestsFailedError extends ConfigurationError {}

export interface TestDeps {
  docker: Docker;
  runner: ProcessRunner;
  clock: Clock;
  info(line: string): void;
  print(line: string): void;
  /** A collapsed group of the log around `work`, where the tests' output cannot issue workflow commands. */
  group<T>(title: string, work: () => Promise<T>): Promise<T>;
  /** Records a container to remove if the job stops half-way (the post step removes it). */
  track(containerName: string): string;
}

export interface TestRequest {
  mode: TestMode;
  present: SuitePresence;
  image: string;
  /** Makes container and folder names unique to this run. */
  suffix: string;
  userId: number;
  targetRepoDir: string;
  imageTestCommand: string[];
  browserTestCommand: string[];
  browserTestPort: number;
  browserTestTimeoutSeconds: number;
  contextDir: string;
  runnerTemp: string;
  env: NodeJS.ProcessEnv;
}

export interface TestOutcome {
  outcome: 'passed' | 'failed' | 'skipped';
  suites: SuiteResult[];
  skippedBecause?: string;
}

/**
 * Runs the selected suites, filling `outcome` as each finishes (so a report written after a failure has them);
 * throws TestsFailedError, after every suite ran, when one failed.
 */
export async function runTests(deps: TestDeps, request: TestRequest, outcome: TestOutcome): Promise<void> {
  const selection = selectSuites(request.mode, request.present);
  if (selection.skippedBecause !== undefined) {
    deps.info(`Tests skipped: ${selection.skippedBecause}`);
    Object.assign(outcome, { outcome: 'skipped', suites: [], skippedBecause: selection.skippedBecause });
    return;
  }
  if (selection.imageTests) {
    const command =
      request.imageTestCommand.length > 0
        ? request.imageTestCommand
        : defaultImageTestCommand(request.present.imageTestRequirements);
    const result = await deps.group(`Image tests: ${IMAGE_TESTS_DIR}/ in the image`, () =>
      runImageTests({
        docker: deps.docker,
        image: request.image,
        containerName: deps.track(`build-image-tests-${request.suffix}`),
        userId: request.userId,
        targetRepoDir: request.targetRepoDir,
        command,
        print: deps.print,
        clock: deps.clock,
      }),
    );
    outcome.suites.push(result);
    deps.info(`Image tests ${result.passed ? 'passed' : 'FAILED'}`);
  }
  if (selection.browserTests) {
    const commands =
      request.browserTestCommand.length > 0
        ? [request.browserTestCommand]
        : defaultBrowserTestCommands(
            request.present.browserTestRequirements,
            join(request.runnerTemp, `build-image-browser-tests-${request.suffix}`),
          ).steps;
    const result = await deps.group(`Browser tests: ${BROWSER_TESTS_DIR}/ against the running image`, () =>
      runBrowserTests({
        docker: deps.docker,
        runner: deps.runner,
        image: request.image,
        containerName: deps.track(`build-image-jupyter-${request.suffix}`),
        hostPort: request.browserTestPort,
        timeoutSeconds: request.browserTestTimeoutSeconds,
        commands,
        cwd: request.contextDir,
        env: request.env,
        print: deps.print,
        clock: deps.clock,
      }),
    );
    outcome.suites.push(result);
    if (!result.passed && result.serverLog !== undefined) {
      const log = result.serverLog;
      await deps.group('Jupyter server log', async () => deps.print(log));
    }
  }
  const failed = outcome.suites.filter((r) => !r.passed);
  outcome.outcome = failed.length > 0 ? 'failed' : 'passed';
  if (failed.length > 0) {
    const lines = failed.flatMap((r) => [`--- ${r.suite}, last lines:`, ...r.tail.slice(-15)]);
    throw new TestsFailedError(
      `${failed.map((r) => `${r.suite} ${r.detail}`).join('; ')}. Nothing may be pushed.\n${lines.join('\n')}`,
    );
  }
}
