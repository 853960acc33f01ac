// Command-line parsing as repo2docker 2026.04.0 does it: argparse's `parse_known_args` over the real flags (unique
// prefixes, `--flag value` and `--flag=value`, one positional repo, then a REMAINDER command), and whatever argparse
// did not know goes to traitlets (`--Class.trait=value`). Usage errors exit 2 with argparse's message.

const PROG = 'repo2docker';

/**
 * Every flag of the real parser (`__main__.get_argparser`), in its order.
 * kind: `true`/`false` store a boolean into dest, `value` stores, `append` appends, `help` prints help.
 */
const FLAGS = [
  { names: ['-h', '--help'], kind: 'help', dest: 'help' },
  { names: ['--help-all'], kind: 'true', dest: 'helpAll' },
  { names: ['--version'], kind: 'true', dest: 'version' },
  { names: ['--config'], kind: 'value', dest: 'config', metavar: 'CONFIG' },
  { names: ['--json-logs'], kind: 'true', dest: 'jsonLogs' },
  { names: ['--image-name'], kind: 'value', dest: 'imageName', metavar: 'IMAGE_NAME', type: 'image' },
  { names: ['--ref'], kind: 'value', dest: 'ref', metavar: 'REF' },
  { names: ['--debug'], kind: 'true', dest: 'debug' },
  { names: ['--no-build'], kind: 'false', dest: 'build' },
  { names: ['--build'], kind: 'true', dest: 'build' },
  { names: ['--build-memory-limit'], kind: 'value', dest: 'buildMemoryLimit', hidden: true },
  { names: ['--no-run'], kind: 'false', dest: 'run' },
  { names: ['--run'], kind: 'true', dest: 'run' },
  { names: ['--publish', '-p'], kind: 'append', dest: 'ports', metavar: 'PORTS' },
  { names: ['--publish-all', '-P'], kind: 'true', dest: 'allPorts' },
  { names: ['--no-clean'], kind: 'false', dest: 'clean' },
  { names: ['--clean'], kind: 'true', dest: 'clean' },
  { names: ['--push'], kind: 'true', dest: 'push' },
  { names: ['--no-push'], kind: 'false', dest: 'push' },
  { names: ['--volume', '-v'], kind: 'append', dest: 'volumes', metavar: 'VOLUMES' },
  { names: ['--user-id'], kind: 'value', dest: 'userId', metavar: 'USER_ID', type: 'int' },
  { names: ['--user-name'], kind: 'value', dest: 'userName', metavar: 'USER_NAME' },
  { names: ['--env', '-e'], kind: 'append', dest: 'environment', metavar: 'ENVIRONMENT' },
  { names: ['--editable', '-E'], kind: 'true', dest: 'editable' },
  { names: ['--target-repo-dir'], kind: 'value', dest: 'targetRepoDir', metavar: 'TARGET_REPO_DIR' },
  { names: ['--appendix'], kind: 'value', dest: 'appendix', metavar: 'APPENDIX' },
  { names: ['--label'], kind: 'append', dest: 'labels', metavar: 'LABELS' },
  { names: ['--build-arg'], kind: 'append', dest: 'buildArgs', metavar: 'BUILD_ARGS' },
  { names: ['--subdir'], kind: 'value', dest: 'subdir', metavar: 'SUBDIR' },
  { names: ['--cache-from'], kind: 'append', dest: 'cacheFrom', metavar: 'CACHE_FROM' },
  { names: ['--engine'], kind: 'value', dest: 'engine', metavar: 'ENGINE' },
];

/** Traits the double acts on; any other `--Class.trait` is accepted as traitlets accepts it (see `traitArgs`). */
const TRAITS = {
  'Repo2Docker.platform': 'platform',
  'Repo2Docker.base_image': 'baseImage',
  'DockerEngine.extra_buildx_build_args': 'extraBuildxBuildArgs',
};
/** Repo2Docker's configurable traits: setting another name warns, as traitlets does. */
const REPO2DOCKER_TRAITS = new Set([
  'platform',
  'base_image',
  'appendix',
  'labels',
  'extra_build_args',
  'extra_build_kwargs',
  'extra_run_kwargs',
  'subdir',
  'cache_from',
  'engine',
  'user_id',
  'user_name',
  'target_repo_dir',
  'output_image_spec',
  'repo',
  'ref',
  'run',
  'push',
  'dry_run',
  'json_logs',
  'cleanup_checkout',
  'git_workdir',
  'volumes',
  'environment',
  'ports',
  'all_ports',
  'run_cmd',
  'buildpacks',
  'default_buildpack',
  'content_providers',
  'log_level',
  'build_memory_limit',
  'container_engine',
  'swh_token',
  'hydroshare_token',
]);

export class UsageError extends Error {
  /** @param {string} message @param {string} usageText */
  constructor(message, usageText = usage()) {
    super(message);
    this.usageText = usageText;
  }
}

function flagUsage(flag) {
  const name = flag.names.find((n) => n.startsWith('--')) ?? flag.names[0];
  if (flag.kind === 'help') return '[-h]';
  return flag.metavar === undefined ? `[${name}]` : `[${name} ${flag.metavar}]`;
}

/** argparse's usage block, wrapped as it wraps it. */
export function usage() {
  const parts = FLAGS.filter((flag) => !flag.hidden).map(flagUsage);
  parts.push('repo', '...');
  const lead = `usage: ${PROG} `;
  const lines = [];
  let line = lead;
  for (const part of parts) {
    if (line.length + part.length > 78 && line.length > lead.length) {
      lines.push(line.trimEnd());
      line = ' '.repeat(lead.length);
    }
    line += `${part} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

/** The usage of traitlets' own parser, which reports mistakes in `--Class.trait` arguments. */
const TRAITLETS_USAGE = `usage: ${PROG} [-h] [extra_args ...]`;

export function help() {
  const rows = FLAGS.filter((flag) => !flag.hidden).map(
    (flag) => `  ${flag.names.join(', ')}${flag.metavar ? ` ${flag.metavar}` : ''}`,
  );
  return [
    usage(),
    '',
    'Fetch a repository and build a container image',
    '',
    'positional arguments:',
    '  repo                  Path to repository that should be built. Could be',
    '                        local path or a git URL.',
    '  cmd                   Custom command to run after building container',
    '',
    'options:',
    ...rows,
  ].join('\n');
}

/** Python's repr() of a str, as argparse puts it in messages. */
export function pyRepr(value) {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

// repo2docker's image reference pattern (stricter than docker's: lower case only).
const NAME_COMPONENT = '[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?';
const IMAGE_NAME = new RegExp(
  '^(?:(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])(?:(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?/)?' +
    `${NAME_COMPONENT}(?:(?:/${NAME_COMPONENT})+)?` +
    '(?::([\\w][\\w.-]{0,127}))?' +
    '(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][A-Fa-f0-9]{32,})?$',
);

export function isValidImageName(name) {
  return IMAGE_NAME.test(name);
}

function convert(flag, name, value) {
  if (flag.type === 'int') {
    if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) {
      throw new UsageError(`argument ${name}: invalid int value: ${pyRepr(value)}`);
    }
    return Number.parseInt(value.replace(/_/g, ''), 10);
  }
  if (flag.type === 'image' && !isValidImageName(value)) {
    throw new UsageError(
      `argument ${name}: ${pyRepr(value)} is not a valid docker image name. Image name must start with a ` +
        'lowercase or numeric character and can then use _ . or - in addition to lowercase and numeric.',
    );
  }
  return value;
}

function longName(flag) {
  return flag.names.find((n) => n.startsWith('--')) ?? flag.names[0];
}

/** The flag an option string names, exactly or as a unique prefix of a long option (argparse's allow_abbrev). */
function resolveFlag(token) {
  const name = token.startsWith('--') ? token.split('=', 1)[0] : token;
  const exact = FLAGS.find((flag) => flag.names.includes(name));
  if (exact !== undefined) return { flag: exact, name };
  if (!name.startsWith('--')) return undefined;
  const candidates = FLAGS.filter((flag) => flag.names.some((n) => n.startsWith('--') && n.startsWith(name)));
  if (candidates.length > 1) {
    throw new UsageError(`ambiguous option: ${name} could match ${candidates.map(longName).join(', ')}`);
  }
  return candidates.length === 1 ? { flag: candidates[0], name: longName(candidates[0]) } : undefined;
}

/** argparse's test for an option string, rather than a value or a positional. */
function isOptionString(token) {
  if (!token.startsWith('-') || token === '-') return false;
  if (/^-\d+$|^-\d*\.\d+$/.test(token)) return false;
  return !token.includes(' ') || resolveFlag(token) !== undefined;
}

/**
 * Parses argv like `argparser.parse_known_args`: returns the known arguments, and the rest (`extra`) that
 * traitlets will read. Throws UsageError (exit 2) where argparse would.
 */
export function parseArgs(argv) {
  const args = {
    help: false,
    helpAll: false,
    version: false,
    config: 'repo2docker_config.py',
    jsonLogs: undefined,
    imageName: undefined,
    ref: undefined,
    debug: false,
    build: undefined,
    buildMemoryLimit: undefined,
    run: undefined,
    ports: [],
    allPorts: undefined,
    clean: undefined,
    push: undefined,
    volumes: [],
    userId: undefined,
    userName: undefined,
    environment: [],
    editable: false,
    targetRepoDir: undefined,
    appendix: undefined,
    labels: [],
    buildArgs: [],
    subdir: undefined,
    cacheFrom: [],
    engine: 'docker',
    repo: undefined,
    cmd: [],
  };
  const extra = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i];
    if (args.repo !== undefined) {
      args.cmd = argv.slice(i); // argparse.REMAINDER: everything after the repository, options included
      break;
    }
    if (token === '--') {
      const rest = argv.slice(i + 1);
      if (args.repo === undefined) args.repo = rest.shift();
      args.cmd = rest;
      break;
    }
    if (!isOptionString(token)) {
      args.repo = token;
      continue;
    }
    const found = resolveFlag(token);
    if (found === undefined) {
      extra.push(token);
      continue;
    }
    const { flag, name } = found;
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const explicit = eq === -1 ? undefined : token.slice(eq + 1);
    if (flag.kind === 'help') return { ...args, help: true, extra };
    if (flag.kind === 'true' || flag.kind === 'false') {
      if (explicit !== undefined) {
        throw new UsageError(`argument ${name}: ignored explicit argument ${pyRepr(explicit)}`);
      }
      args[flag.dest] = flag.kind === 'true';
      continue;
    }
    let value = explicit;
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || isOptionString(next))
        throw new UsageError(`argument ${name}: expected one argument`);
      value = next;
      i += 1;
    }
    value = convert(flag, name, value);
    if (flag.kind === 'append') args[flag.dest].push(value);
    else args[flag.dest] = value;
  }
  if (args.repo === undefined && !args.version) {
    throw new UsageError('the following arguments are required: repo, cmd');
  }
  return { ...args, extra };
}

/** traitlets' Unicode.from_string: one pair of surrounding quotes is dropped (deprecated, still done). */
function unquote(value) {
  if (value.length >= 2 && value[0] === value.at(-1) && (value[0] === "'" || value[0] === '"')) {
    return value.slice(1, -1);
  }
  return value;
}

/**
 * What traitlets makes of the arguments argparse left: the traits the double acts on, and the warnings traitlets
 * logs. A repeated List trait appends. Throws UsageError (exit 2, traitlets' usage) for an option without a value.
 */
export function traitArgs(extra) {
  const traits = { platform: undefined, baseImage: undefined, extraBuildxBuildArgs: [] };
  const warnings = [];
  for (let i = 0; i < extra.length; i += 1) {
    const token = extra[i];
    const body = token.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    let value = eq === -1 ? undefined : body.slice(eq + 1);
    if (value === undefined) {
      const next = extra[i + 1];
      if (next === undefined || next.startsWith('-')) {
        throw new UsageError(`argument --${name}: expected one argument`, TRAITLETS_USAGE);
      }
      value = next;
      i += 1;
    }
    if (!name.includes('.')) {
      warnings.push(`[Repo2Docker] WARNING | Unrecognized alias: '${name}', it will have no effect.`);
      continue;
    }
    const dest = TRAITS[name];
    if (dest === 'extraBuildxBuildArgs') traits.extraBuildxBuildArgs.push(unquote(value));
    else if (dest !== undefined) traits[dest] = unquote(value);
    else {
      const [cls, trait] = name.split('.');
      if (cls === 'Repo2Docker' && !REPO2DOCKER_TRAITS.has(trait)) {
        warnings.push(
          `[Repo2Docker] WARNING | Config option \`${trait}\` not recognized by \`Repo2Docker\`.`,
        );
      }
    }
  }
  return { traits, warnings };
}

/** `k=v` → [k, v]; a bare `k` gives an empty value, like str.partition. */
export function keyValue(item) {
  const eq = item.indexOf('=');
  return eq === -1 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)];
}
