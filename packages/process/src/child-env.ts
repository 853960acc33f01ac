/**
 * What no child gets unless its caller hands it over by name: the action's inputs (`INPUT_*`, which carry its
 * secrets), the OIDC request variables (they would let a child mint tokens in the job's name) and the runner's
 * own token.
 */
const WITHHELD = /^(INPUT_|ACTIONS_ID_TOKEN_REQUEST_|ACTIONS_RUNTIME_TOKEN$)/i;

export function isWithheld(name: string): boolean {
  return WITHHELD.test(name);
}

/** `env` without the withheld variables, except those named in `handOver`. */
export function childEnv(env: NodeJS.ProcessEnv, handOver: readonly string[] = []): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (isWithheld(name) && !handOver.includes(name)) continue;
    out[name] = value;
  }
  return out;
}
