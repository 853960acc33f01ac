/** Checks of the local files the inputs name, and how the configuration in use is described in the log. */
import { InputError, InputErrors } from '@hub-image-actions/action-io';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Inputs } from './context.js';
import { YamllintConfigError } from './errors.js';

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The local paths the inputs name, checked before yamllint is installed or run (readInputs checked that they
 * stay inside the workspace): every path in `paths` exists, `sarif-file` is not a folder, `config-file` exists.
 */
export async function checkLocalFiles(inputs: Inputs, cwd: string): Promise<void> {
  const problems: InputError[] = [];
  for (const path of inputs.paths) {
    if (!(await exists(resolve(cwd, path)))) {
      problems.push(
        new InputError(
          'paths',
          path,
          `does not exist in ${cwd}`,
          'List files or directories of the checkout, one per line',
        ),
      );
    }
  }
  if (inputs.sarifFile !== undefined) {
    const path = resolve(cwd, inputs.sarifFile);
    if ((await stat(path).catch(() => undefined))?.isDirectory()) {
      problems.push(
        new InputError(
          'sarif-file',
          inputs.sarifFile,
          `is a directory (${path}); expected the path of a file to write SARIF to`,
          'Name a file, e.g. "yamllint.sarif" or "results/yamllint.sarif"',
        ),
      );
    }
  }
  if (problems.length > 0) throw new InputErrors(problems);
  if (inputs.config.kind === 'file') {
    const isFile = await stat(resolve(cwd, inputs.config.path)).then(
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
}

const DISCOVERED = ['.yamllint', '.yamllint.yaml', '.yamllint.yml'];

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** The configuration yamllint will use: how the log names it, and how an error about it names it and its fix. */
export interface ConfigInUse {
  /** For the log and the summary. */
  label: string;
  /** For an error message, as its subject: which configuration, and where it comes from. */
  named: string;
  fix: string;
}

/**
 * Which configuration yamllint will load, by yamllint 1.29's own discovery order: `-c`/`-d`, then `.yamllint`,
 * `.yamllint.yaml`, `.yamllint.yml` in the working directory, then the user's file, then its default.
 */
export async function configInUse(
  config: Inputs['config'],
  cwd: string,
  workspace: string,
  env: NodeJS.ProcessEnv,
): Promise<ConfigInUse> {
  const fromWorkspace = (path: string): string => {
    const rel = relative(workspace, resolve(cwd, path));
    return rel === '' || rel.startsWith('..') || isAbsolute(rel)
      ? resolve(cwd, path)
      : rel.split(sep).join('/');
  };
  if (config.kind === 'file') {
    const path = fromWorkspace(config.path);
    return {
      label: `${config.path} (config-file)`,
      named: `the yamllint configuration ${JSON.stringify(path)} (input "config-file")`,
      fix: `Fix ${JSON.stringify(path)}, or point "config-file" at another file`,
    };
  }
  if (config.kind === 'data') {
    return {
      label: 'inline YAML (config-data)',
      named: 'the yamllint configuration given inline in input "config-data"',
      fix: 'Fix the YAML given in "config-data"',
    };
  }
  const another = 'or give another configuration with "config-file" or "config-data"';
  for (const name of DISCOVERED) {
    if (await isFile(join(cwd, name))) {
      const path = fromWorkspace(name);
      return {
        label: `${name} (found by yamllint in the working directory)`,
        named: `the yamllint configuration ${JSON.stringify(path)} (found by yamllint, which looks for ${DISCOVERED.join(', ')} in the working directory, in that order)`,
        fix: `Fix ${JSON.stringify(path)}, ${another}`,
      };
    }
  }
  const user = env['YAMLLINT_CONFIG_FILE']
    ? resolve(env['YAMLLINT_CONFIG_FILE'].replace(/^~(?=\/|$)/, homedir()))
    : join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'yamllint', 'config');
  if (await isFile(user)) {
    return {
      label: `${user} (the user's yamllint configuration)`,
      named: `the yamllint configuration ${JSON.stringify(user)} (the user's, as no ${DISCOVERED.join(', ')} is in the working directory)`,
      fix: `Fix ${JSON.stringify(user)}, ${another}`,
    };
  }
  return {
    label: "yamllint's default (no .yamllint, .yamllint.yaml or .yamllint.yml in the working directory)",
    named: "yamllint's default configuration",
    fix: `Give a configuration with "config-file" or "config-data"`,
  };
}
