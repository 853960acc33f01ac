// What `actions/checkout` does for a push, for the inputs our workflows give it: fetch the pushed commit (to the
// depth asked) from the repository's git server with the job token, check it out on the branch, and keep the token
// out of `.git/config` unless `persist-credentials` is true.
import { runCommand } from '@hub-image-actions/local-world/docker-engine';

export interface CheckoutRequest {
  /** The step's `with:`, evaluated. */
  inputs: Record<string, string>;
  workspace: string;
  /** Clone URL of the repository on the git server. */
  url: string;
  sha: string;
  /** `refs/heads/main`. */
  ref: string;
  token: string;
}

export interface CheckoutResult {
  outputs: Record<string, string>;
  lines: string[];
}

const SUPPORTED = new Set(['persist-credentials', 'fetch-depth']);

/** Refuses inputs this emulation does not follow, so a workflow change cannot be half-run. */
export function checkoutProblems(inputs: Record<string, string>): string[] {
  const problems = Object.keys(inputs)
    .filter((name) => !SUPPORTED.has(name))
    .map((name) => `actions/checkout input "${name}" is not emulated by the demo`);
  const depth = inputs['fetch-depth'];
  if (depth !== undefined && !/^\d+$/.test(depth)) problems.push(`fetch-depth "${depth}" is not a number`);
  const persist = inputs['persist-credentials'];
  if (persist !== undefined && persist !== 'true' && persist !== 'false') {
    problems.push(`persist-credentials "${persist}" is not true or false`);
  }
  return problems;
}

export async function checkout(request: CheckoutRequest): Promise<CheckoutResult> {
  const problems = checkoutProblems(request.inputs);
  if (problems.length > 0) throw new Error(problems.join('; '));
  const depth = Number(request.inputs['fetch-depth'] ?? '1');
  const persist = (request.inputs['persist-credentials'] ?? 'true') === 'true';
  const branch = request.ref.replace(/^refs\/heads\//, '');
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${request.token}`).toString('base64')}`;
  const cwd = request.workspace;
  // The token goes to git in the environment, never on the command line; like checkout, only for this server.
  const authEnv = {
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: `http.${new URL(request.url).origin}/.extraheader`,
    GIT_CONFIG_VALUE_0: header,
    GIT_TERMINAL_PROMPT: '0',
  };
  const git = (args: string[], env: Record<string, string> = {}) => runCommand('git', args, { cwd, env });
  await git(['init', '--quiet', cwd]);
  await git(['remote', 'add', 'origin', request.url]);
  await git(
    [
      '-c',
      'protocol.version=2',
      'fetch',
      '--no-tags',
      '--prune',
      '--no-recurse-submodules',
      ...(depth > 0 ? [`--depth=${depth}`] : []),
      'origin',
      `+${request.sha}:refs/remotes/origin/${branch}`,
    ],
    authEnv,
  );
  await git(['checkout', '--quiet', '--force', '-B', branch, `refs/remotes/origin/${branch}`]);
  if (persist) await git(['config', '--local', authEnv.GIT_CONFIG_KEY_0, header]);
  const head = (await git(['rev-parse', 'HEAD'])).stdout.trim();
  if (head !== request.sha) throw new Error(`checked out ${head}, not the pushed commit ${request.sha}`);
  const count = (await git(['rev-list', '--count', 'HEAD'])).stdout.trim();
  return {
    outputs: { ref: request.ref, commit: head },
    lines: [
      `Fetched ${head.slice(0, 12)} of ${request.url} (fetch-depth ${depth === 0 ? 'all' : depth}: ${count} commit${count === '1' ? '' : 's'}), on ${branch}`,
      persist
        ? 'persist-credentials: the token is left in .git/config'
        : 'persist-credentials: false, so no token is left in .git/config',
    ],
  };
}
