/** yamllint's command line: the argv we run, and what its exit codes and stderr mean. Pure. */
import { tailLines } from '@hub-image-actions/process';
import { shellWord } from './names.js';

export type ConfigSource =
  { kind: 'file'; path: string } | { kind: 'data'; yaml: string } | { kind: 'discovery' };

export function configArgs(config: ConfigSource): string[] {
  switch (config.kind) {
    case 'file':
      return ['-c', config.path];
    case 'data':
      return ['-d', config.yaml];
    case 'discovery':
      return [];
  }
}

/** Lists the files yamllint would lint, after loading (and so validating) the configuration. */
export function listFilesArgv(config: ConfigSource, paths: readonly string[]): string[] {
  return [...configArgs(config), '--list-files', '--', ...paths];
}

/**
 * Lints `files` in the parsable format. No `--strict` (the verdict is ours, from the problems) and no
 * `--no-warnings` (hidden warnings still count under strict, as they do in yamllint).
 */
export function lintArgv(config: ConfigSource, files: readonly Buffer[]): Array<string | Buffer> {
  return [...configArgs(config), '-f', 'parsable', '--', ...files];
}

/**
 * The file list from `--list-files`, or the configuration problem that stopped it. yamllint exits 255
 * ("invalid config: …") for a configuration it cannot use, and 1 with a Python traceback when the config
 * file cannot be read; `--list-files` lints nothing, so any failure is about the configuration.
 */
export function readFileList(result: {
  exitCode: number;
  records: Buffer[];
  stderr: string;
}): { files: Buffer[] } | { configProblem: string } {
  if (result.exitCode === 0) return { files: result.records };
  return { configProblem: describeConfigProblem(result.stderr, result.exitCode) };
}

export function describeConfigProblem(stderr: string, exitCode: number): string {
  const lines = stderr.replace(/\s+$/, '').split('\n');
  const invalid = lines.findIndex((line) => line.startsWith('invalid config:'));
  if (invalid >= 0) return lines.slice(invalid, invalid + 12).join('\n');
  // An unreadable config file ends in a traceback whose last line is "FileNotFoundError: [Errno 2] …".
  const oserror = [...lines].reverse().find((line) => /^[A-Za-z]*Error: \[Errno [0-9]+\]/.test(line));
  if (oserror !== undefined) return oserror.replace(/^[A-Za-z]*Error: /, '');
  const tail = tailLines(stderr, 5);
  return tail.length > 0 ? tail.join('\n') : `yamllint exited with code ${exitCode} and printed nothing`;
}

/** The command that prints every problem this run found, to paste into a shell in the working directory. */
export function localCommand(
  config: ConfigSource,
  files: ReadonlyArray<string | Buffer>,
  options: { noWarnings: boolean },
): string {
  const argv = [
    'yamllint',
    ...configArgs(config),
    '-f',
    'parsable',
    ...(options.noWarnings ? ['--no-warnings'] : []),
    '--',
    ...files,
  ];
  return argv.map(shellWord).join(' ');
}
