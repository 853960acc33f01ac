// The repo2docker double's run, in the order of repo2docker 2026.04.0 (`__main__.make_r2d`, `Repo2Docker.build`):
// parse, check the user, fetch, find the image (which first checks docker and buildx), then build or reuse.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, tmpdir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { help, keyValue, parseArgs, traitArgs, usage, UsageError } from './args.mjs';
import { condaRecords, ignoreLines, pickBuildpack, renderDockerfile } from './buildpacks.mjs';
import { Engine, Uncaught, withRegistryCredentials } from './engine.mjs';

export const DEFAULT_VERSION = '2026.04.0';
export const DEFAULT_BASE_IMAGE = 'hia-test/python:bookworm';

const log = (message) => process.stderr.write(message);

/** The version as setuptools-scm (and so `--version` and the label) spells it: PEP 440's normal form. */
export function normalVersion(version) {
  return version.replace(/^v?(\d+(?:\.\d+)*)/, (release) =>
    release
      .replace(/^v/, '')
      .split('.')
      .map((part) => String(Number(part)))
      .join('.'),
  );
}

function logInvocation(argv) {
  const file = process.env.REPO2DOCKER_DOUBLE_LOG;
  if (!file) return;
  appendFileSync(file, `${JSON.stringify({ argv, cwd: process.cwd() })}\n`);
}

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Temp dirs to remove when the run ends, also on SIGINT/SIGTERM. */
const cleanup = [];

function removeTempDirs() {
  for (const dir of cleanup.splice(0)) rmSync(dir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    removeTempDirs();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

const ROOT_REFUSED =
  'Root as the primary user in the image is not permitted.\n' +
  'The uid and the username of the user invoking repo2docker is used to create a mirror account in the ' +
  'image by default. To override that behavior pass --user-id <numeric_id> and  --user-name <string> to ' +
  'repo2docker.\nPlease see repo2docker --help for more details.\n\n';

/** The checks `make_r2d` makes after parsing; returns an exit code to stop with, or undefined to go on. */
function refuse(args, dryRun) {
  const userId = args.userId || process.geteuid();
  if (userId === 0 && !dryRun) {
    process.stdout.write(ROOT_REFUSED);
    return 1;
  }
  if (args.buildMemoryLimit) {
    log(
      '--build-memory-limit is no longer supported\nCheck your build engine documentation to set memory limits. ' +
        'Use `docker buildx create` if using the default builder to create a custom builder with appropriate ' +
        'memory limits\n',
    );
    return 255;
  }
  return undefined;
}

async function build(argv, args, traits, version) {
  const dryRun = args.build === false;
  const run = !dryRun && args.run !== false;
  const push = !dryRun && args.push === true;
  const refused = refuse(args, dryRun);
  if (refused !== undefined) return refused;
  if (args.engine !== 'docker') {
    log(
      `\nContainer engine initialization error: Container engine '${args.engine}' not found. Available engines: docker\n\n`,
    );
    return 1;
  }
  if (!isDir(args.repo)) {
    log(`repo2docker test double: only local directories are supported, not ${args.repo}\n`);
    return 1;
  }
  log('Picked Local content provider.\n');
  log(`Using local repo ${args.repo}.\n`);
  const env = { ...process.env };
  const engine = new Engine(env);
  const userName = args.userName || userInfo().username;
  const userId = args.userId || process.geteuid();
  const imageName = args.imageName ?? `r2d${args.repo.replace(/[^A-Za-z0-9]/g, '')}`.toLowerCase();
  if (!dryRun && engine.imageExists(imageName) && !push) {
    log(`Reusing existing image (${imageName}), not building.`);
    return 0;
  }
  const root = args.subdir ? join(args.repo, args.subdir) : args.repo;
  if (!isDir(root)) {
    log(`Subdirectory ${args.subdir} does not exist`);
    throw new Uncaught('FileNotFoundError', `Could not find ${root}`);
  }
  const buildpack = pickBuildpack(root);
  // repo2docker checks the repo path after changing into the checkout, so a relative path rarely names a directory.
  const repoIsDir = isDir(isAbsolute(args.repo) ? args.repo : join(root, args.repo));
  const labels = new Map([
    ['repo2docker.version', version],
    ['repo2docker.repo', repoIsDir ? 'local' : args.repo],
    ['repo2docker.ref', args.ref ?? 'None'],
    ...args.labels.map(keyValue),
  ]);
  const buildArgs = new Map([
    ['NB_USER', userName],
    ['NB_UID', String(userId)],
    ...(args.targetRepoDir ? [['REPO_DIR', args.targetRepoDir]] : []),
    ...args.buildArgs.map(keyValue),
  ]);
  const platform = traits.platform ?? (arch() === 'arm64' ? 'linux/arm64' : 'linux/amd64');
  let dockerfilePath = buildpack.dockerfile;
  let dockerfile;
  if (dockerfilePath !== undefined) {
    dockerfile = readFileSync(join(root, dockerfilePath), 'utf8');
  } else {
    const request = {
      double: 'repo2docker-double',
      version,
      argv,
      imageName,
      buildpack: buildpack.name,
      binderDir: buildpack.binder,
      subdir: args.subdir ?? '',
      userName,
      userId,
      targetRepoDir: args.targetRepoDir || `/home/${userName}`,
      buildArgs: Object.fromEntries(buildArgs),
      labels: Object.fromEntries(labels),
      appendix: args.appendix || null,
      cacheFrom: args.cacheFrom,
      baseImage: traits.baseImage ?? (process.env.REPO2DOCKER_DOUBLE_BASE_IMAGE || DEFAULT_BASE_IMAGE),
      platform,
      extraBuildxBuildArgs: traits.extraBuildxBuildArgs,
    };
    dockerfile = renderDockerfile({
      baseImage: request.baseImage,
      userId,
      appendix: args.appendix,
      request,
      conda: condaRecords(root, buildpack.binder),
    });
    // Outside the context, with the ignore rules beside it: BuildKit reads `<Dockerfile>.dockerignore` first.
    const dir = mkdtempSync(join(tmpdir(), '.repo2docker-double-'));
    cleanup.push(dir);
    dockerfilePath = join(dir, 'Dockerfile');
    writeFileSync(dockerfilePath, dockerfile);
    writeFileSync(
      `${dockerfilePath}.dockerignore`,
      ignoreLines(root, buildpack.binder)
        .map((l) => `${l}\n`)
        .join(''),
    );
  }
  if (dryRun) {
    process.stdout.write(`${dockerfile}\n`);
    return 0;
  }
  if (args.debug) log(`${dockerfile}\n`);
  log(`Using ${buildpack.name} builder\n\n`);
  if (run && !push) {
    log('repo2docker test double: running the container is not supported; pass --no-run\n');
    return 1;
  }
  await withRegistryCredentials(env, (buildEnv) => {
    engine.env = buildEnv;
    return engine.build({
      push,
      load: run,
      buildArgs,
      cacheFrom: args.cacheFrom,
      dockerfile: dockerfilePath,
      tag: imageName,
      labels,
      platform,
      extraBuildxArgs: traits.extraBuildxBuildArgs,
      path: resolve(root),
      cwd: root,
    });
  });
  return 0;
}

/** An uncaught Python exception, as the interpreter prints it. */
function traceback(error) {
  log(
    `Traceback (most recent call last):\n  File "repo2docker-double", line 1, in <module>\n${error.type}: ${error.message}\n`,
  );
}

export async function main(argv) {
  logInvocation(argv);
  const version = normalVersion(process.env.REPO2DOCKER_DOUBLE_VERSION || DEFAULT_VERSION);
  // Like repo2docker: --version is honoured before parsing, which would demand a repo.
  if (argv.includes('--version')) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  let args;
  let traits;
  try {
    args = parseArgs(argv);
    if (args.help) {
      process.stdout.write(`${help()}\n`);
      return 0;
    }
    const parsed = traitArgs(args.extra);
    traits = parsed.traits;
    for (const warning of parsed.warnings) log(`${warning}\n`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.usageText ?? usage()}\nrepo2docker: error: ${error.message}\n`);
    return 2;
  }
  try {
    return await build(argv, args, traits, version);
  } catch (error) {
    if (!(error instanceof Uncaught)) throw error;
    traceback(error);
    return 1;
  } finally {
    removeTempDirs();
  }
}
