import * as core from '@actions/core';
import { declaredInputsOfBundle, unknownInputs } from './declared-inputs.js';
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
  try {
    await phase();
  } catch (error) {
    const failure = describeFailure(actionName, error);
    if (failure.stack !== undefined)
      core.error(`${actionName}: unexpected error, please report it\n${failure.stack}`);
    core.setFailed(failure.message);
  }
}
