/** Checks of the local files the inputs name, and how the configuration in use is described in the log. */
import { InputError, InputErrors } from '@hub-image-actions/action-io';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Inputs } from './context.js';
import { YamllintConfigError } from './errors.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Every path in `paths`, and `config-file`, must exist: checked before yamllint is installed or run. */
export async function checkLocalFiles(inputs: Inputs, cwd: string): Promise<void> {
  if (inputs.config.kind === 'file') {
    const path = resolve(cwd, inputs.config.path);
    const isFile = await stat(path).then(
      (info) => info.isFile(),
      () => false,
    );
    if (!isFile) {
      throw new YamllintConfigError(
        `the yamllint configuration file ${JSON.stringify(inputs.config.path)} (input "config-file") does not exist in ${cwd}`,
        'Commit it, fix the path (relative to the working directory), or leave "config-file" empty to let yamllint find .yamllint, .yamllint.yaml or .yamllint.yml',
      );
    }
  }
  const missing: InputError[] = [];
  for (const path of inputs.paths) {
    if (!(await exists(resolve(cwd, path)))) {
      missing.push(
        new InputError(
          'paths',
          path,
          `does not exist in ${cwd}`,
          'List files or directories of the checkout, one per line',
        ),
      );
    }
  }
  if (missing.length > 0) throw new InputErrors(missing);
}

const DISCOVERED = ['.yamllint', '.yamllint.yaml', '.yamllint.yml'];

/** The configuration yamllint will use, for the log and the summary (yamllint 1.29's discovery order). */
export async function describeConfig(
  config: Inputs['config'],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (config.kind === 'file') return `${config.path} (config-file)`;
  if (config.kind === 'data') return 'inline YAML (config-data)';
  for (const name of DISCOVERED) {
    if (await exists(join(cwd, name))) return `${name} (found by yamllint in the working directory)`;
  }
  const user = env['YAMLLINT_CONFIG_FILE']
    ? resolve(env['YAMLLINT_CONFIG_FILE'].replace(/^~(?=\/|$)/, homedir()))
    : join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'yamllint', 'config');
  if (await exists(user)) return `${user} (the user's yamllint configuration)`;
  return "yamllint's default (no .yamllint, .yamllint.yaml or .yamllint.yml in the working directory)";
}
