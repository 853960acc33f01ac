// The docker CLI calls repo2docker 2026.04.0 makes (`repo2docker/docker.py`), as argv arrays: the lazy `docker
// version` / `docker buildx version` check, `image inspect`, and `buildx build --progress plain` with its output
// streamed line by line to our stderr, where repo2docker logs it.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** An exception repo2docker does not catch: it ends the run with a traceback and exit code 1. */
export class Uncaught extends Error {
  /** @param {string} type e.g. RuntimeError @param {string} message */
  constructor(type, message) {
    super(message);
    this.type = type;
  }
}

/** Python's repr() of a list of str, as in CalledProcessError messages. */
function pyList(args) {
  return `[${args.map((arg) => `'${arg.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ')}]`;
}

function calledProcessError(args, code) {
  return `Command '${pyList(args)}' returned non-zero exit status ${code}.`;
}

/** subprocess.run with stdout to /dev/null and stderr passed through, as repo2docker checks its tools. */
function check(cli, args, env) {
  const result = spawnSync(cli, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.stderr?.length) process.stderr.write(result.stderr);
  if (result.error !== undefined) return `[Errno 2] No such file or directory: '${cli}'`;
  return result.status === 0 ? undefined : calledProcessError([cli, ...args], result.status ?? 1);
}

/** What the `--no-buildx` stand-in needs: a docker CLI that still has BuildKit built in (before 23.0). */
function builtInBuildkitCli(env) {
  for (const cli of ['docker', '/usr/bin/docker']) {
    const result = spawnSync(cli, ['version', '--format', '{{.Client.Version}}'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const major = Number.parseInt((result.stdout ?? '').trim(), 10);
    if (result.status === 0 && major > 0 && major < 23) return cli;
  }
  return undefined;
}

export class Engine {
  constructor(env) {
    this.env = env;
    this.checked = false;
    /** A docker CLI with built-in BuildKit, when buildx is missing and the stand-in is allowed. */
    this.standIn = undefined;
  }

  /** `container_cli`: checked on first use, like repo2docker's lazy property. */
  cli() {
    if (this.checked) return 'docker';
    const version = check('docker', ['version'], this.env);
    if (version !== undefined) {
      throw new Uncaught('RuntimeError', `The docker commandline client must be installed: ${version}`);
    }
    if (process.env.REPO2DOCKER_DOUBLE_NO_BUILDX === 'engine-buildkit') {
      const quiet = spawnSync('docker', ['buildx', 'version'], { env: this.env, stdio: 'ignore' });
      if (quiet.status !== 0) {
        this.standIn = builtInBuildkitCli(this.env);
        if (this.standIn === undefined) {
          throw new Uncaught(
            'RuntimeError',
            'The buildx plugin must be installed: no buildx, and no docker CLI with built-in BuildKit (< 23) for the double to stand in with',
          );
        }
      }
    }
    if (this.standIn === undefined) {
      const buildx = check('docker', ['buildx', 'version'], this.env);
      if (buildx !== undefined) {
        throw new Uncaught('RuntimeError', `The buildx plugin must be installed: ${buildx}`);
      }
    }
    this.checked = true;
    return 'docker';
  }

  imageExists(image) {
    const cli = this.cli();
    return spawnSync(cli, ['image', 'inspect', image], { env: this.env, stdio: 'ignore' }).status === 0;
  }

  /**
   * `docker buildx build --progress plain …` as `DockerEngine.build` assembles it; resolves when it succeeds and
   * throws CalledProcessError like `execute_cmd` when it does not.
   */
  async build({
    push,
    load,
    buildArgs,
    cacheFrom,
    dockerfile,
    tag,
    labels,
    platform,
    extraBuildxArgs,
    path,
    cwd,
  }) {
    if (load && push)
      throw new Uncaught('ValueError', 'Setting push=True and load=True is currently not supported');
    const args = ['docker', 'buildx', 'build', '--progress', 'plain'];
    if (load) args.push('--load');
    if (push) args.push('--push');
    for (const [key, value] of buildArgs) args.push('--build-arg', `${key}=${value}`);
    for (const image of cacheFrom) args.push('--cache-from', image);
    if (dockerfile) args.push('--file', dockerfile);
    if (tag) args.push('--tag', tag);
    for (const [key, value] of labels) args.push('--label', `${key}=${value}`);
    if (platform) args.push('--platform', platform);
    args.push(...extraBuildxArgs, path);
    const code =
      this.standIn === undefined
        ? await stream(args[0], args.slice(1), this.env, cwd)
        : await this.buildWithStandIn(args.slice(3), cwd);
    if (code !== 0) throw new Uncaught('subprocess.CalledProcessError', calledProcessError(args, code));
  }

  /**
   * No buildx here: the same build through `DOCKER_BUILDKIT=1 docker build`, i.e. the engine's own BuildKit, as
   * buildx's `docker` driver uses it. `--cache-to=type=inline` becomes BuildKit's inline-cache build arg, `--load`
   * is what this builder always does, `--push` a `docker push` afterwards.
   */
  async buildWithStandIn(buildxArgs, cwd) {
    const args = ['build'];
    let push = false;
    for (const arg of buildxArgs) {
      if (arg === '--load') continue;
      if (arg === '--push') push = true;
      else if (arg === '--cache-to=type=inline') args.push('--build-arg', 'BUILDKIT_INLINE_CACHE=1');
      else args.push(arg);
    }
    process.stderr.write(
      `#0 [repo2docker test double] no buildx here: building with the engine's BuildKit through ${this.standIn} build\n`,
    );
    const code = await stream(this.standIn, args, { ...this.env, DOCKER_BUILDKIT: '1' }, cwd);
    if (code !== 0 || !push) return code;
    const tag = args[args.indexOf('--tag') + 1];
    return stream(this.standIn, ['push', tag], this.env, cwd);
  }
}

/** Runs a command with stdout and stderr both going to our stderr (repo2docker logs build output there). */
function stream(command, args, env, cwd) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 2, 2] });
    child.on('error', () => resolve(127));
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

/**
 * `docker_login` for CONTAINER_ENGINE_REGISTRY_CREDENTIALS (JSON {registry, username, password}): a temporary
 * DOCKER_CONFIG seeded with `~/.docker/config.json`, removed afterwards. repo2docker takes a DOCKER_CONFIG that is
 * set for the config file itself and fails to copy the directory; the double does the same.
 */
export async function withRegistryCredentials(env, work) {
  const raw = env.CONTAINER_ENGINE_REGISTRY_CREDENTIALS;
  if (raw === undefined || raw === '') return work(env);
  const { registry, username, password } = JSON.parse(raw);
  const current = env.DOCKER_CONFIG ?? join(homedir(), '.docker', 'config.json');
  if (existsSync(current) && statSync(current).isDirectory()) {
    throw new Uncaught('IsADirectoryError', `[Errno 21] Is a directory: '${current}'`);
  }
  const configDir = mkdtempSync(join(tmpdir(), '.repo2docker-double-docker-config-'));
  try {
    if (existsSync(current)) copyFileSync(current, join(configDir, 'config.json'));
    const loginEnv = { ...env, DOCKER_CONFIG: configDir };
    const args = ['login', '--username', username, '--password-stdin', registry];
    const login = spawnSync('docker', args, { env: loginEnv, input: password, stdio: ['pipe', 1, 2] });
    if (login.status !== 0) {
      throw new Uncaught(
        'subprocess.CalledProcessError',
        calledProcessError(['docker', ...args], login.status ?? 1),
      );
    }
    return await work(loginEnv);
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}
