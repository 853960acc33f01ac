import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import { availableParallelism, tmpdir } from 'node:os';
import type { ConfigSource } from './yamllint-cli.js';

export interface Inputs {
  paths: string[];
  config: ConfigSource;
  yamllintVersion: string;
  changedOnly: boolean;
  strict: boolean;
  noWarnings: boolean;
  sarifFile: string | undefined;
  /** undefined: one per CPU core. */
  jobs: number | undefined;
}

/** Default of `yamllint-version`: Debian 12's yamllint, the version whose output this action is tested against. */
export const DEFAULT_YAMLLINT_VERSION = '1.29.0';

const VERSION = /^(any|[0-9]+(\.[0-9]+){1,2})$/;

/** Reads and validates every input; throws all problems at once, before yamllint runs. */
export function readInputs(source: InputSource = runnerInputs): Inputs {
  const r = new InputReader(source);
  const configFile = r.optional('config-file');
  // Inline YAML: keep its indentation, only blank edges go.
  const configDataRaw = source('config-data') ?? '';
  const configData = configDataRaw.trim() === '' ? undefined : configDataRaw.replace(/^\s*\n/, '').trimEnd();
  if (configFile !== undefined && configData !== undefined) {
    r.reject('config-data', undefined, 'cannot be combined with "config-file"', 'Give one of the two.');
  }
  const yamllintVersion = r.string('yamllint-version', DEFAULT_YAMLLINT_VERSION);
  if (!VERSION.test(yamllintVersion))
    r.reject('yamllint-version', yamllintVersion, 'expected a version such as 1.29.0 or 1.29, or "any"');
  const jobs =
    r.string('jobs', 'auto') === 'auto'
      ? undefined
      : r.integer(
          'jobs',
          1,
          { min: 1, max: 256 },
          {
            expected: 'expected "auto" (one yamllint per core) or a whole number from 1 to 256',
            fix: 'Leave "jobs" out for "auto", or give how many yamllint processes to run at once',
          },
        );
  const paths = r.list('paths', 'newline');
  const inputs: Inputs = {
    paths: paths.length === 0 ? ['.'] : paths,
    config:
      configFile !== undefined
        ? { kind: 'file', path: configFile }
        : configData !== undefined
          ? { kind: 'data', yaml: configData }
          : { kind: 'discovery' },
    yamllintVersion,
    changedOnly: r.boolean('changed-only', false),
    strict: r.boolean('strict', false),
    noWarnings: r.boolean('no-warnings', false),
    sarifFile: r.optional('sarif-file'),
    jobs,
  };
  r.finish();
  return inputs;
}

/** What the runner tells the action about where it runs. */
export interface RunnerContext {
  /** Where yamllint runs and relative paths start: the step's working directory. */
  cwd: string;
  /** The repository root annotations and SARIF paths are relative to. */
  workspace: string;
  eventName: string;
  eventPath: string | undefined;
  /** Where a pip-installed yamllint is kept: the tool cache (kept between jobs on self-hosted runners), else RUNNER_TEMP. */
  toolRoot: string;
  cores: number;
  env: NodeJS.ProcessEnv;
}

export function readRunnerContext(env: NodeJS.ProcessEnv = process.env): RunnerContext {
  const cwd = process.cwd();
  return {
    cwd,
    workspace: env['GITHUB_WORKSPACE'] || cwd,
    eventName: env['GITHUB_EVENT_NAME'] ?? '',
    eventPath: env['GITHUB_EVENT_PATH'] || undefined,
    toolRoot: env['RUNNER_TOOL_CACHE'] || env['RUNNER_TEMP'] || tmpdir(),
    cores: availableParallelism(),
    env,
  };
}
