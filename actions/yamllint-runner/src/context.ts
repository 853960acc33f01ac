import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';

export interface Inputs {
  paths: string[];
  configFile: string | undefined;
  configData: string | undefined;
  yamllintVersion: string;
  changedOnly: boolean;
  strict: boolean;
  noWarnings: boolean;
  sarifFile: string | undefined;
  /** undefined: one per CPU core. */
  jobs: number | undefined;
}

const VERSION = /^(any|[0-9]+(\.[0-9]+){1,2})$/;

/** Reads and validates every input; throws all problems at once, before yamllint runs. */
export function readInputs(source: InputSource = runnerInputs): Inputs {
  const r = new InputReader(source);
  const configFile = r.optional('config-file');
  const configData = r.optional('config-data');
  if (configFile !== undefined && configData !== undefined) {
    r.reject('config-data', undefined, 'cannot be combined with "config-file"', 'Give one of the two.');
  }
  const yamllintVersion = r.string('yamllint-version', '1.29.0');
  if (!VERSION.test(yamllintVersion))
    r.reject('yamllint-version', yamllintVersion, 'expected a version such as 1.29.0, or "any"');
  const jobsValue = r.string('jobs', 'auto');
  const jobs = jobsValue === 'auto' ? undefined : r.integer('jobs', 1, { min: 1, max: 256 });
  const paths = r.list('paths', 'newline');
  const inputs: Inputs = {
    paths: paths.length === 0 ? ['.'] : paths,
    configFile,
    configData,
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
