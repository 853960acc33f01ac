import { InputReader, type InputSource, runnerInputs, workspacePath } from '@hub-image-actions/action-io';
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

/** Where relative paths start (the step's working directory), and the workspace they must stay in. */
export interface Places {
  cwd: string;
  workspace: string;
}

const herePlaces = (): Places => ({
  cwd: process.cwd(),
  workspace: process.env['GITHUB_WORKSPACE'] || process.cwd(),
});

/**
 * Reads and validates every input; throws all problems at once, before yamllint runs. Paths must stay inside
 * the workspace once symlinks are resolved (whether they exist is checked next, see local-files.ts).
 */
export function readInputs(source: InputSource = runnerInputs, places: Places = herePlaces()): Inputs {
  const r = new InputReader(source);
  const inWorkspace = (input: string) => (value: string) =>
    workspacePath(input, value, { workspace: places.workspace, from: places.cwd });
  const configFile = r.optional('config-file');
  r.check('config-file', configFile, inWorkspace('config-file'));
  // Inline YAML: keep its indentation, only blank edges go.
  const configDataRaw = source('config-data') ?? '';
  const configData = configDataRaw.trim() === '' ? undefined : configDataRaw.replace(/^\s*\n/, '').trimEnd();
  if (configFile !== undefined && configData !== undefined) {
    r.reject('config-data', undefined, 'cannot be combined with "config-file"', 'Give one of the two.');
  }
  const yamllintVersion =
    r.keyword('yamllint-version', ['any']) ?? r.string('yamllint-version', DEFAULT_YAMLLINT_VERSION);
  if (!VERSION.test(yamllintVersion))
    r.reject('yamllint-version', yamllintVersion, 'expected a version such as 1.29.0 or 1.29, or "any"');
  const jobs =
    r.optional('jobs') === undefined || r.keyword('jobs', ['auto']) !== undefined
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
  for (const path of paths) r.check('paths', path, inWorkspace('paths'));
  const sarifFile = r.optional('sarif-file');
  r.check('sarif-file', sarifFile, inWorkspace('sarif-file'));
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
    sarifFile,
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
