import * as core from '@actions/core';
import { declaredInputsOfBundle, unknownInputs } from './declared-inputs.js';
import { cancelRun } from '@hub-image-actions/process';
import { ConfigurationError } from './errors.js';

export interface Failure {
  /** The one-line message for the step's failure annotation, prefixed with the action's name. */
  message: string;
  /** Set for bugs only: user mistakes get no stack trace. */
  stack?: string;
}

export function describeFailure(actionName: string, error: unknown): Failure {
  const message = `${actionName} action failed: ${error instanceof Error ? error.message : String(error)}`;
  if (error instanceof ConfigurationError || !(error instanceof Error)) return { message };
  return { message, stack: error.stack ?? error.message };
}

/** True while the runner executes the action's `post:` step (main saved `isPost`). */
export function isPostStep(): boolean {
  return process.env['STATE_isPost'] === 'true';
}

/** How long the action's own code may go on unwinding after a cancel (the runner kills 2.5 s after SIGTERM). */
const UNWIND_MS = 2_000;

/**
 * A cancelled step gets SIGINT, then SIGTERM, sent to node alone: end the programs the action started, run its
 * cleanups (`onCancel` in the process package), fail the step, and exit once `main` has unwound (code of the action
 * that handles the signal itself gets its moment). A second signal changes nothing.
 */
function stopOnCancel(
  actionName: string,
  unwinding: () => Promise<unknown>,
): { readonly cancelling: boolean; stop: () => void } {
  let cancelling = false;
  const cancel = (signal: NodeJS.Signals) => {
    if (cancelling) return;
    cancelling = true;
    core.info(`${actionName}: ${signal} received, the step was cancelled: ending the programs it started.`);
    void cancelRun(signal).then(async (report) => {
      for (const failure of report.failures) core.warning(`${actionName}: a cleanup failed: ${failure}`);
      core.setFailed(`${actionName} action was cancelled (${signal})`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        unwinding().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, UNWIND_MS))),
      ]);
      clearTimeout(timer);
      process.exit();
    });
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
  for (const signal of signals) process.on(signal, cancel);
  return {
    get cancelling() {
      return cancelling;
    },
    // Once cancelling, the handlers stay: a second signal must not cut the cleanups short.
    stop: () => {
      if (!cancelling) for (const signal of signals) process.off(signal, cancel);
    },
  };
}

/**
 * A warning for each `with:` key that is not an input of the action but is close to one (a misspelt
 * `config_file` for `config-file`): the runner only says "Unexpected input", and the value is ignored.
 */
export function warnUnknownInputs(actionName: string, declared: readonly string[] | undefined): void {
  if (declared === undefined) return;
  for (const { given, meant } of unknownInputs(process.env, declared)) {
    core.warning(
      `input "${given}" is not an input of ${actionName}, so its value is ignored; did you mean "${meant}"? Rename it in the step's \`with:\``,
      { title: `Unknown input "${given}"` },
    );
  }
}

/**
 * The single error boundary of an action. Runs `main`, or `post` during the post step, and turns
 * any error into a failed step: user mistakes as a plain message, bugs with their stack trace. Before
 * main, it warns about misspelt inputs, reading the declared ones from the action.yml next to the bundle.
 */
export async function runAction(
  actionName: string,
  main: () => Promise<void>,
  post?: () => Promise<void>,
): Promise<void> {
  const phase = isPostStep() ? post : main;
  if (post !== undefined && !isPostStep()) core.saveState('isPost', 'true');
  if (phase === undefined) return;
  if (!isPostStep()) warnUnknownInputs(actionName, declaredInputsOfBundle());
  let running: Promise<void> = Promise.resolve();
  const cancel = stopOnCancel(actionName, () => running);
  try {
    running = phase();
    await running;
  } catch (error) {
    // What failed because its programs were ended is not news: the step says it was cancelled.
    if (cancel.cancelling) return;
    const failure = describeFailure(actionName, error);
    if (failure.stack !== undefined)
      core.error(`${actionName}: unexpected error, please report it\n${failure.stack}`);
    core.setFailed(failure.message);
  } finally {
    cancel.stop();
  }
}
