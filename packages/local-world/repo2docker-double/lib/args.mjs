// Command-line parsing that behaves like repo2docker's argparse parser (plus the three traitlets options the
// actions use): `--flag value` and `--flag=value`, unique prefixes, one positional repo and a REMAINDER command
// that swallows everything after it, exit 2 with a usage line on any mistake.

const PROG = 'repo2docker';

/** @typedef {'bool' | 'value' | 'append' | 'help'} FlagKind */
/** @type {{ name: string, kind: FlagKind, dest: string, metavar?: string, type?: 'int' | 'image' }[]} */
const FLAGS = [
  { name: '--help', kind: 'help', dest: 'help' },
  { name: '--image-name', kind: 'value', dest: 'imageName', metavar: 'IMAGE_NAME', type: 'image' },
  { name: '--ref', kind: 'value', dest: 'ref', metavar: 'REF' },
  { name: '--debug', kind: 'bool', dest: 'debug' },
  { name: '--no-build', kind: 'bool', dest: 'noBuild' },
  { name: '--no-run', kind: 'bool', dest: 'noRun' },
  { name: '--push', kind: 'bool', dest: 'push' },
  { name: '--user-id', kind: 'value', dest: 'userId', metavar: 'USER_ID', type: 'int' },
  { name: '--user-name', kind: 'value', dest: 'userName', metavar: 'USER_NAME' },
  { name: '--target-repo-dir', kind: 'value', dest: 'targetRepoDir', metavar: 'TARGET_REPO_DIR' },
  { name: '--appendix', kind: 'value', dest: 'appendix', metavar: 'APPENDIX' },
  { name: '--label', kind: 'append', dest: 'labels', metavar: 'LABELS' },
  { name: '--build-arg', kind: 'append', dest: 'buildArgs', metavar: 'BUILD_ARGS' },
  { name: '--subdir', kind: 'value', dest: 'subdir', metavar: 'SUBDIR' },
  { name: '--version', kind: 'bool', dest: 'version' },
  { name: '--cache-from', kind: 'append', dest: 'cacheFrom', metavar: 'CACHE_FROM' },
  { name: '--engine', kind: 'value', dest: 'engine', metavar: 'ENGINE' },
];

/** traitlets options (`--Class.trait=value`) that repo2docker passes on to its configuration. */
const TRAITLETS = {
  '--Repo2Docker.platform': 'platform',
  '--Repo2Docker.base_image': 'baseImage',
  '--DockerEngine.extra_buildx_build_args': 'extraBuildxBuildArgs',
};

export class UsageError extends Error {}

export function usage() {
  const parts = ['[-h]'];
  for (const flag of FLAGS) {
    if (flag.kind === 'help') continue;
    parts.push(flag.metavar === undefined ? `[${flag.name}]` : `[${flag.name} ${flag.metavar}]`);
  }
  parts.push('repo', '...');
  const lead = `usage: ${PROG} `;
  const lines = [];
  let line = lead;
  for (const part of parts) {
    if (line.length + part.length > 78 && line.trim() !== lead.trim()) {
      lines.push(line.trimEnd());
      line = ' '.repeat(lead.length);
    }
    line += `${part} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

export function help() {
  const rows = FLAGS.map((flag) =>
    flag.kind === 'help' ? '  -h, --help' : `  ${flag.name}${flag.metavar ? ` ${flag.metavar}` : ''}`,
  );
  return [
    usage(),
    '',
    'Fetch a repository and build a container image (repo2docker test double)',
    '',
    'positional arguments:',
    '  repo                  Path to repository that should be built. Could be local path or a git URL.',
    '  cmd                   Custom command to run after building container',
    '',
    'options:',
    ...rows,
    ...Object.keys(TRAITLETS).map((name) => `  ${name}=VALUE`),
  ].join('\n');
}

/** Python's repr() of a str, as argparse puts it in messages. */
export function pyRepr(value) {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  const body = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

// repo2docker's stricter-than-docker image reference pattern (repo2docker/utils.py).
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

function convert(flag, value) {
  if (flag.type === 'int') {
    if (!/^\s*[+-]?\d+(?:_\d+)*\s*$/.test(value)) {
      throw new UsageError(`argument ${flag.name}: invalid int value: ${pyRepr(value)}`);
    }
    return Number.parseInt(value.replace(/_/g, ''), 10);
  }
  if (flag.type === 'image' && !isValidImageName(value)) {
    throw new UsageError(
      `argument ${flag.name}: ${pyRepr(value)} is not a valid docker image name. Image name must start with a ` +
        'lowercase or numeric character and can then use _ . or - in addition to lowercase and numeric.',
    );
  }
  return value;
}

/** The flag `token` names, by exact name or unique prefix like argparse's allow_abbrev; undefined if none. */
function resolveFlag(token) {
  if (token === '-h') return FLAGS[0];
  if (!token.startsWith('--')) return undefined;
  const name = token.split('=', 1)[0];
  const exact = FLAGS.find((flag) => flag.name === name);
  if (exact !== undefined) return exact;
  const candidates = FLAGS.filter((flag) => flag.name.startsWith(name));
  if (candidates.length > 1) {
    throw new UsageError(
      `ambiguous option: ${name} could match ${candidates.map((flag) => flag.name).join(', ')}`,
    );
  }
  return candidates[0];
}

function traitletName(token) {
  const name = token.split('=', 1)[0];
  return Object.hasOwn(TRAITLETS, name) ? name : undefined;
}

/** argparse's rule for whether a token is an option string rather than a value or positional. */
function looksLikeOption(token) {
  if (!token.startsWith('-') || token === '-') return false;
  if (token === '--') return true;
  try {
    if (resolveFlag(token) !== undefined || traitletName(token) !== undefined) return true;
  } catch {
    return true;
  }
  if (/^-\d+$|^-\d*\.\d+$/.test(token)) return false;
  return !token.includes(' ');
}

/**
 * Parses repo2docker's argv. Throws UsageError (exit 2) like argparse; `--version` and `--help` are
 * reported in the result for the caller to act on.
 */
export function parseArgs(argv) {
  const args = {
    help: false,
    version: false,
    debug: false,
    noBuild: false,
    noRun: false,
    push: false,
    labels: [],
    buildArgs: [],
    cacheFrom: [],
    traitlets: { platform: undefined, baseImage: undefined, extraBuildxBuildArgs: [] },
    repo: undefined,
    cmd: [],
  };
  const unrecognized = [];
  for (let i = 0; i < argv.length; i += 1) {
    const token = argv[i];
    if (args.repo !== undefined) {
      // argparse.REMAINDER: everything after the repo is the command to run, options included.
      args.cmd = argv.slice(i);
      break;
    }
    if (token === '--') {
      const rest = argv.slice(i + 1);
      args.repo = rest[0];
      args.cmd = rest.slice(1);
      break;
    }
    if (!looksLikeOption(token)) {
      args.repo = token;
      continue;
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const explicit = eq === -1 ? undefined : token.slice(eq + 1);
    const takeValue = (name) => {
      if (explicit !== undefined) return explicit;
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(next)) {
        throw new UsageError(`argument ${name}: expected one argument`);
      }
      i += 1;
      return next;
    };

    const trait = traitletName(token);
    if (trait !== undefined) {
      const value = takeValue(trait);
      const dest = TRAITLETS[trait];
      if (dest === 'extraBuildxBuildArgs') args.traitlets.extraBuildxBuildArgs.push(...listValue(value));
      else args.traitlets[dest] = unquote(value);
      continue;
    }

    const flag = resolveFlag(token);
    if (flag === undefined) {
      unrecognized.push(token);
      continue;
    }
    if (flag.kind === 'help') return { ...args, help: true };
    if (flag.kind === 'bool') {
      if (explicit !== undefined) {
        throw new UsageError(`argument ${flag.name}: ignored explicit argument ${pyRepr(explicit)}`);
      }
      args[flag.dest] = true;
      continue;
    }
    const value = convert(flag, takeValue(flag.name));
    if (flag.kind === 'append') args[flag.dest].push(value);
    else args[flag.dest] = value;
  }
  if (args.version) return args;
  if (args.repo === undefined) throw new UsageError('the following arguments are required: repo');
  if (unrecognized.length > 0) throw new UsageError(`unrecognized arguments: ${unrecognized.join(' ')}`);
  return args;
}

/** traitlets strips one pair of matching quotes from a string value (`--ServerApp.token=''`). */
function unquote(value) {
  if (value.length >= 2 && value[0] === value.at(-1) && (value[0] === "'" || value[0] === '"')) {
    return value.slice(1, -1);
  }
  return value;
}

/** A traitlets List given on the command line: one item, or a JSON-style list literal. */
function listValue(value) {
  const trimmed = value.trim();
  if (trimmed.startsWith('[') && trimmed.endsWith(']')) {
    try {
      const parsed = JSON.parse(trimmed.replace(/'/g, '"'));
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // not a literal: a single item
    }
  }
  return [unquote(value)];
}

/** `k=v` → [k, v]; a bare `k` gives an empty value, like str.partition. */
export function keyValue(item) {
  const eq = item.indexOf('=');
  return eq === -1 ? [item, ''] : [item.slice(0, eq), item.slice(eq + 1)];
}
