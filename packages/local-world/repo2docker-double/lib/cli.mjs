// The repo2docker double's flow, in repo2docker's order: parse, check the engine, fetch, reuse or build, push.
import { spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { arch, tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { help, keyValue, parseArgs, usage, UsageError } from './args.mjs';
import { detectBuild, renderDockerfile, RepoError, writeBuildContext } from './context.mjs';
import {
  checkBuildx,
  checkEngine,
  dockerStream,
  EngineError,
  imageExists,
  isRegistryReference,
  withRegistryCredentials,
} from './engine.mjs';

export const DEFAULT_VERSION = '2026.04.0';
export const DEFAULT_BASE_IMAGE = 'hia-test/python:bookworm';

/** A failure that ends the run with exit 1 and a message, like repo2docker's logged errors. */
class Failure extends Error {}

const log = (message) => process.stderr.write(message.endsWith('\n') ? message : `${message}\n`);

function logInvocation(argv) {
  const file = process.env.REPO2DOCKER_DOUBLE_LOG;
  if (!file) return;
  const entry = {
    argv,
    cwd: process.cwd(),
    env: { DOCKER_CONFIG: process.env.DOCKER_CONFIG ?? null, DOCKER_HOST: process.env.DOCKER_HOST ?? null },
  };
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function git(args, cwd) {
  return spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** escapism.escape(value, escape_char='-'): anything but ASCII letters and digits becomes -XX. */
function escapeName(value) {
  return [...Buffer.from(value, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `-${byte.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

/** Local directories are used in place; anything else is cloned with git, like the Git content provider. */
function fetchRepo(repo, ref) {
  if (isDir(repo)) {
    log('Picked Local content provider.\n');
    return { checkout: resolve(repo), contentId: undefined };
  }
  log('Picked Git content provider.\n');
  const checkout = mkdtempSync(join(tmpdir(), 'repo2docker'));
  cleanup.push(checkout);
  log(`Cloning into '${checkout}'...\n`);
  const clone = git(['clone', '--quiet', repo, checkout]);
  if (clone.status !== 0)
    throw new Failure(`Failed to clone repository from ${repo}:\n${clone.stderr.trim()}`);
  if (ref) {
    const checkoutRef = git(['checkout', '--quiet', '--detach', ref], checkout);
    if (checkoutRef.status !== 0) {
      const remote = git(['checkout', '--quiet', '--detach', `origin/${ref}`], checkout);
      if (remote.status !== 0) throw new Failure(`Failed to check out ref ${ref}`);
    }
  }
  const head = git(['rev-parse', 'HEAD'], checkout).stdout.trim();
  log(`HEAD is now at ${head.slice(0, 7)}\n`);
  return { checkout, contentId: head.slice(0, 7) };
}

/** `--ref`, else the HEAD commit when the repo is a git checkout, else None (as repo2docker labels it). */
function refLabel(ref, checkout) {
  if (ref !== undefined) return ref;
  if (!existsSync(join(checkout, '.git'))) return 'None';
  const head = git(['rev-parse', 'HEAD'], checkout);
  return head.status === 0 ? head.stdout.trim() : 'None';
}

function defaultPlatform() {
  return arch() === 'arm64' ? 'linux/arm64' : 'linux/amd64';
}

async function build(settings, env, plan) {
  for (const cache of settings.cacheFrom) {
    if (!isRegistryReference(cache)) continue;
    log(`Pulling cache image ${cache}\n`);
    const code = await dockerStream(['pull', cache], env);
    if (code !== 0) log(`Could not pull ${cache}: building without it (cache miss)\n`);
  }
  const common = [
    '--file',
    plan.dockerfilePath,
    '--tag',
    settings.imageName,
    ...[...plan.labels].flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    ...[...plan.buildArgs].flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
    ...settings.cacheFrom.flatMap((cache) => ['--cache-from', cache]),
    '--platform',
    settings.platform,
  ];
  let args;
  let buildEnv = env;
  if (settings.requireBuildx) {
    args = ['buildx', 'build', '--progress', 'plain', ...(settings.push ? ['--push'] : []), ...common];
    args.push(...settings.extraBuildxBuildArgs, plan.contextDir);
  } else {
    // This machine has no buildx: the legacy builder builds the same context into the local engine.
    if (settings.extraBuildxBuildArgs.length > 0) {
      log(`Not passing to the legacy builder (buildx only): ${settings.extraBuildxBuildArgs.join(' ')}\n`);
    }
    // --force-rm: a failed step leaves no container behind (buildx leaves none either).
    args = ['build', '--force-rm', ...common, plan.contextDir];
    buildEnv = { ...env, DOCKER_BUILDKIT: '0' };
  }
  log(`Using ${plan.buildpack} builder\n`);
  const code = await dockerStream(args, buildEnv);
  if (code !== 0) throw new Failure(`Error during build: docker ${args[0]} exited with code ${code}`);
}

async function push(imageName, env) {
  const code = await dockerStream(['push', imageName], env);
  if (code !== 0) throw new Failure(`Error pushing ${imageName}: docker push exited with code ${code}`);
  log(`Successfully pushed ${imageName}`);
}

function settingsFrom(args) {
  const dryRun = args.noBuild;
  const userId = args.userId ? args.userId : process.geteuid();
  return {
    dryRun,
    run: !dryRun && !args.noRun,
    push: !dryRun && args.push,
    userId,
    userName: args.userName || userInfo().username,
    imageName: args.imageName,
    ref: args.ref,
    subdir: args.subdir ?? '',
    targetRepoDir: args.targetRepoDir ?? '',
    appendix: args.appendix ?? '',
    labels: args.labels.map(keyValue),
    extraBuildArgs: args.buildArgs.map(keyValue),
    cacheFrom: args.cacheFrom,
    engine: args.engine ?? 'docker',
    platform: args.traitlets.platform ?? defaultPlatform(),
    baseImage: args.traitlets.baseImage ?? (process.env.REPO2DOCKER_DOUBLE_BASE_IMAGE || DEFAULT_BASE_IMAGE),
    extraBuildxBuildArgs: args.traitlets.extraBuildxBuildArgs,
    requireBuildx: process.env.REPO2DOCKER_DOUBLE_REQUIRE_BUILDX === '1',
  };
}

/** Temp dirs to delete when the run ends, also on SIGINT/SIGTERM (a test timing out). */
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

/** The engine checks repo2docker makes before building, and the combinations it cannot run. */
function preflight(settings, env) {
  if (settings.engine !== 'docker') {
    throw new Failure(
      `\nContainer engine initialization error: Container engine '${settings.engine}' not found. ` +
        'Available engines: docker\n',
    );
  }
  try {
    checkEngine(env);
    if (settings.requireBuildx) checkBuildx(env);
  } catch (error) {
    if (error instanceof EngineError)
      throw new Failure(`\nContainer engine initialization error: ${error.message}\n`);
    throw error;
  }
  if (settings.push && settings.run) {
    throw new Failure('ValueError: Setting push=True and load=True is currently not supported');
  }
  if (settings.run) {
    throw new Failure(
      'repo2docker-double: running the container is not supported by the test double; pass --no-run',
    );
  }
}

/** What to build from `root`: the Dockerfile text, and for generated images the request they record. */
function planBuild({ argv, args, settings, version, checkout, root }) {
  const detected = detectBuild(root);
  const labels = new Map([
    ['repo2docker.version', version],
    ['repo2docker.repo', isDir(args.repo) ? 'local' : args.repo],
    ['repo2docker.ref', refLabel(settings.ref, checkout)],
    ...settings.labels,
  ]);
  const buildArgs = new Map([
    ['NB_USER', settings.userName],
    ['NB_UID', String(settings.userId)],
    ...(settings.targetRepoDir ? [['REPO_DIR', settings.targetRepoDir]] : []),
    ...settings.extraBuildArgs,
  ]);
  if (detected.dockerfile !== undefined) {
    const dockerfilePath = join(root, detected.dockerfile);
    return {
      ...detected,
      labels,
      buildArgs,
      dockerfile: readFileSync(dockerfilePath, 'utf8'),
      dockerfilePath,
    };
  }
  const request = {
    double: 'repo2docker-double',
    version,
    argv,
    repo: args.repo,
    ref: labels.get('repo2docker.ref'),
    imageName: settings.imageName,
    buildpack: detected.buildpack,
    binderDir: detected.binderDir,
    configFiles: detected.configFiles,
    subdir: settings.subdir,
    userName: settings.userName,
    userId: settings.userId,
    targetRepoDir: settings.targetRepoDir || `/home/${settings.userName}`,
    buildArgs: Object.fromEntries(buildArgs),
    labels: Object.fromEntries(labels),
    appendix: settings.appendix || null,
    cacheFrom: settings.cacheFrom,
    baseImage: settings.baseImage,
    platform: settings.platform,
    extraBuildxBuildArgs: settings.extraBuildxBuildArgs,
  };
  return { ...detected, labels, buildArgs, dockerfile: renderDockerfile({ ...settings, labels }), request };
}

async function start(argv, args, version) {
  const settings = settingsFrom(args);
  if (settings.userId === 0 && !settings.dryRun) {
    process.stdout.write(ROOT_REFUSED);
    return 1;
  }
  const env = { ...process.env };
  if (!settings.dryRun) preflight(settings, env);
  try {
    const { checkout, contentId } = fetchRepo(args.repo, settings.ref);
    if (!settings.imageName) {
      const spec = `r2d${args.repo}${settings.subdir}${contentId ?? Math.floor(Date.now() / 1000)}`;
      settings.imageName = escapeName(spec).toLowerCase();
    }
    if (!settings.dryRun && imageExists(settings.imageName, env)) {
      log(`Reusing existing image (${settings.imageName}), not building.`);
      if (settings.push) await withRegistryCredentials(env, (loginEnv) => push(settings.imageName, loginEnv));
      return 0;
    }
    const root = settings.subdir ? join(checkout, settings.subdir) : checkout;
    if (!isDir(root)) throw new Failure(`Subdirectory ${settings.subdir} does not exist`);
    const plan = planBuild({ argv, args, settings, version, checkout, root });
    if (settings.dryRun) {
      process.stdout.write(plan.dockerfile.endsWith('\n') ? plan.dockerfile : `${plan.dockerfile}\n`);
      return 0;
    }
    if (args.debug) log(plan.dockerfile);
    if (plan.request === undefined) {
      plan.contextDir = root;
    } else {
      plan.contextDir = writeBuildContext(root, plan.dockerfile, plan.request);
      cleanup.push(plan.contextDir);
      plan.dockerfilePath = join(plan.contextDir, 'Dockerfile');
    }
    await withRegistryCredentials(env, async (loginEnv) => {
      await build(settings, loginEnv, plan);
      if (settings.push) await push(settings.imageName, loginEnv);
    });
    return 0;
  } finally {
    removeTempDirs();
  }
}

export async function main(argv) {
  logInvocation(argv);
  const version = process.env.REPO2DOCKER_DOUBLE_VERSION || DEFAULT_VERSION;
  // Like repo2docker: --version is honoured before parsing, which would demand a repo.
  if (argv.includes('--version')) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  let args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${usage()}\nrepo2docker: error: ${error.message}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${help()}\n`);
    return 0;
  }
  if (args.cmd.length > 0) {
    log(
      `repo2docker-double: note: arguments after the repository are the command to run: ${args.cmd.join(' ')}`,
    );
  }
  try {
    return await start(argv, args, version);
  } catch (error) {
    if (error instanceof Failure || error instanceof EngineError) {
      log(error.message);
      return 1;
    }
    if (error instanceof RepoError) {
      log(`RuntimeError: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
