/**
 * The environment for the programs this action starts (repo2docker, docker, test commands): ours without the
 * action's own inputs (which include the registry credentials) and without the OIDC request variables, which
 * would let test code mint tokens in the job's name.
 */
export function childEnv(env: NodeJS.ProcessEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.startsWith('INPUT_') || key.startsWith('ACTIONS_ID_TOKEN_REQUEST_')) continue;
    out[key] = value;
  }
  return { ...out, ...extra };
}
