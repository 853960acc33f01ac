// Runs INPUT_SCRIPT with INPUT_SHELL (`{0}` is the script), with this process's environment minus the two inputs,
// as the runner runs a `run:` step; exits with the shell's code.
import { spawnSync } from 'node:child_process';

const { INPUT_SCRIPT: script = '', INPUT_SHELL: shell = '', ...env } = process.env;
const [program, ...args] = shell
  .split(' ')
  .filter((part) => part !== '')
  .map((part) => (part === '{0}' ? script : part));
if (!program || !args.includes(script)) {
  console.error(`run-step: the shell must name the script as {0}: ${shell}`);
  process.exit(2);
}
const result = spawnSync(program, args, { env, stdio: 'inherit' });
if (result.error) {
  console.error(`run-step: could not start ${program}: ${result.error.message}`);
  process.exit(127);
}
process.exit(result.status ?? 128);
