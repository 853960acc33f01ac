// The exact repo2docker command line: a pure function of the plan, so it can be tested as a table.

export interface Repo2DockerPlan {
  /** `NAME:TAG` for `--image-name`. */
  imageRef: string;
  userId: number;
  userName: string;
  targetRepoDir: string;
  /** Images whose layers may be reused, in order. */
  cacheFrom: readonly string[];
  /** Every `--label`, in order: ours first, then the user's (repo2docker applies them in order, last wins). */
  labels: ReadonlyArray<readonly [string, string]>;
  buildArgs: ReadonlyArray<readonly [string, string]>;
  appendix: string | undefined;
  subdir: string | undefined;
  platform: string;
  /** repo2docker >= 2025.08.0 builds with buildx, which writes inline cache metadata only when asked. */
  inlineCache: boolean;
  /** The buildx builder keeps its image to itself unless told to load it into the engine (any driver but `docker`). */
  load: boolean;
  extraArgs: readonly string[];
  /** The repository to build: an absolute local path. */
  repoDir: string;
}

/** Labels this action sets, besides repo2docker's own `repo2docker.version`. */
export const INPUTS_HASH_LABEL = 'hub-image-actions.inputs-hash';

/**
 * Options take their value with "=", so a value that starts with "-" (an appendix, a build arg) can never be read
 * as another option. The repository comes last: repo2docker reads anything after it as a command to run.
 */
export function repo2dockerArgv(plan: Repo2DockerPlan): string[] {
  const argv = [
    '--no-run',
    `--user-id=${plan.userId}`,
    `--user-name=${plan.userName}`,
    `--target-repo-dir=${plan.targetRepoDir}`,
    `--image-name=${plan.imageRef}`,
  ];
  for (const image of plan.cacheFrom) argv.push(`--cache-from=${image}`);
  for (const [key, value] of plan.labels) argv.push(`--label=${key}=${value}`);
  for (const [key, value] of plan.buildArgs) argv.push(`--build-arg=${key}=${value}`);
  if (plan.appendix !== undefined && plan.appendix !== '') argv.push(`--appendix=${plan.appendix}`);
  if (plan.subdir !== undefined && plan.subdir !== '') argv.push(`--subdir=${plan.subdir}`);
  argv.push(`--Repo2Docker.platform=${plan.platform}`);
  // A list trait: each occurrence appends, in order, just before the context path.
  if (plan.inlineCache) argv.push('--DockerEngine.extra_buildx_build_args=--cache-to=type=inline');
  if (plan.load) argv.push('--DockerEngine.extra_buildx_build_args=--load');
  argv.push(...plan.extraArgs);
  argv.push(plan.repoDir);
  return argv;
}

/** Options the action sets itself, with the input to use instead; `undefined` means it is refused outright. */
const OWNED_OPTIONS: Record<string, { use?: string; why: string }> = {
  '--image-name': { use: 'image and tag', why: 'the action names the image' },
  '--user-id': { use: 'user-id', why: 'the action sets the user' },
  '--user-name': { use: 'user-name', why: 'the action sets the user' },
  '--target-repo-dir': { use: 'target-repo-dir', why: 'the action sets it' },
  '--appendix': { use: 'appendix or appendix-file', why: 'the action sets it' },
  '--subdir': { use: 'subdir', why: 'the action sets it' },
  '--label': { use: 'labels', why: 'labels are part of the inputs hash' },
  '--build-arg': { use: 'build-args', why: 'build args are part of the inputs hash' },
  '--cache-from': { use: 'cache-from', why: 'the action resolves the cache images' },
  '--Repo2Docker.platform': { use: 'platform', why: 'the platform is part of the inputs hash' },
  '--push': { why: 'build-image never pushes: tests run first, then push-to-gar pushes' },
  '--no-run': { why: 'the action always passes it' },
  '--no-build': { why: 'it builds nothing' },
  '--ref': { why: 'the repository is a local checkout' },
  '--build-memory-limit': { why: 'repo2docker removed it and exits with an error' },
};

/** Problems with `extra-args`, one message per offending item. */
export function extraArgsProblems(extraArgs: readonly string[]): string[] {
  const problems: string[] = [];
  for (const arg of extraArgs) {
    const name = arg.split('=', 1)[0] ?? '';
    // argparse accepts any unambiguous abbreviation, so "--image=x" would set --image-name.
    const abbreviated =
      name.startsWith('--') && name.length > 3 && !name.includes('.')
        ? Object.keys(OWNED_OPTIONS).find((option) => option !== name && option.startsWith(name))
        : undefined;
    const owned = OWNED_OPTIONS[name] ?? (abbreviated === undefined ? undefined : OWNED_OPTIONS[abbreviated]);
    if (owned !== undefined) {
      const spelled =
        abbreviated === undefined || OWNED_OPTIONS[name] ? '' : ` (it abbreviates ${abbreviated})`;
      problems.push(
        `${JSON.stringify(arg)} is not allowed${spelled}: ${owned.why}${owned.use ? `; use the "${owned.use}" input` : ''}`,
      );
    } else if (/^--[Rr]epo2[Dd]ocker\.user_id\b/.test(name)) {
      problems.push(`${JSON.stringify(arg)} is not allowed: use the "user-id" input`);
    }
  }
  return problems;
}

/** A command line as one readable log line: plain words as they are, anything else JSON-quoted. */
export function formatCommand(command: string, args: readonly string[]): string {
  return [command, ...args]
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg)))
    .join(' ');
}
