import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { systemRunner, tailLines, type ProcessRunner, type RunResult } from '@hub-image-actions/process';
import { buildManifest } from './build.js';
import { ImageFileView, LayerChanges, type ViewLimits } from './file-view.js';
import type { PackageManifest } from './manifest.js';
import { FILE_CAPS, METADATA_PATTERNS } from './paths.js';
import { readLayer, tarEntries, type ByteSource } from './tar-source.js';
import { walkerProgram, type WalkerConfig } from './walker.js';

/** A docker command whose stdout is streamed (a tar) rather than collected. */
export interface StreamedCommand {
  stdout: Readable;
  /** Settles once the command exited; rejects with its stderr tail unless the exit code is 0. */
  finished: Promise<void>;
  /** Stops it early (the caller stopped reading). */
  kill(): void;
}

export interface DockerCli {
  /** Runs docker with argv (never a shell); resolves whatever the exit code. */
  run(args: readonly string[]): Promise<RunResult>;
  stream(args: readonly string[]): StreamedCommand;
}

/** A docker command that failed, with what docker said. */
export class DockerCommandError extends Error {
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly stderrTail: string[];

  constructor(args: readonly string[], exitCode: number, stderrTail: string[]) {
    super(
      `docker ${args.slice(0, 2).join(' ')} exited with code ${exitCode}${stderrTail.length ? `: ${stderrTail.join('\n')}` : ''}`,
    );
    this.name = 'DockerCommandError';
    this.args = args;
    this.exitCode = exitCode;
    this.stderrTail = stderrTail;
  }
}

export function systemDocker(command = 'docker', runner: ProcessRunner = systemRunner): DockerCli {
  return {
    run: (args) => runner.run(command, args),
    stream(args) {
      const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-16_384)));
      const finished = new Promise<void>((resolve, reject) => {
        child.on('error', (error) => reject(new DockerCommandError(args, 127, [error.message])));
        child.on('close', (code, signal) => {
          if (code === 0) resolve();
          else reject(new DockerCommandError(args, code ?? 128, tailLines(stderr || `killed by ${signal}`)));
        });
      });
      finished.catch(() => undefined); // observed by the caller; never an unhandled rejection
      return { stdout: child.stdout, finished, kill: () => child.kill('SIGKILL') };
    },
  };
}

/** How a local image's files are read. See the README for the measurements behind the default. */
export type LocalImageMethod = 'walker' | 'save' | 'export';

export interface LocalImageOptions {
  docker?: DockerCli;
  /** Only this method; by default `walker`, falling back to `save` when the walker cannot run here. */
  method?: LocalImageMethod;
  /** Runs `ldd` (and docker, when `docker` is not given). */
  runner?: ProcessRunner;
  limits?: ViewLimits;
  /** The Node.js the walker runs as; default this process's. */
  nodePath?: string;
}

export interface LocalImageManifest {
  manifest: PackageManifest;
  method: LocalImageMethod;
  /** Why the preferred method was not used, when it was not. */
  fallbackReason?: string;
}

async function consume(view: ImageFileView, command: StreamedCommand): Promise<LayerChanges> {
  try {
    const layer = await readLayer(view, command.stdout);
    await command.finished;
    return layer;
  } catch (error) {
    command.kill();
    await command.finished.catch(() => undefined);
    throw error;
  }
}

/** `docker image save`: every layer, whiteouts applied in the order `manifest.json` gives. */
async function viaSave(docker: DockerCli, image: string, view: ImageFileView): Promise<void> {
  const command = docker.stream(['image', 'save', image]);
  const layers = new Map<string, LayerChanges>();
  let manifest: Array<{ Layers?: string[] }> | undefined;
  try {
    for await (const entry of tarEntries(command.stdout)) {
      const name = entry.header.name.replace(/^\.\//, '');
      if (name === 'manifest.json') {
        const chunks: Buffer[] = [];
        for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
        manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof manifest;
      } else if (entry.header.type === 'file' && (name.endsWith('/layer.tar') || name.startsWith('blobs/'))) {
        // Layers, and in the OCI layout also configs and manifests: a blob that is not a tar adds nothing.
        layers.set(name, await readLayer(view, entry as ByteSource).catch(() => new LayerChanges()));
      } else entry.resume();
    }
    await command.finished;
  } catch (error) {
    command.kill();
    throw error;
  }
  const order = manifest?.[0]?.Layers;
  if (order === undefined) throw new Error(`docker image save ${image} gave no manifest.json with Layers`);
  for (const name of order) {
    const layer = layers.get(name);
    if (layer !== undefined) view.commit(layer);
  }
}

/** `docker create` + `docker export`: the merged file system as one tar; the container is removed after. */
async function viaExport(docker: DockerCli, image: string, view: ImageFileView): Promise<void> {
  const create = await docker.run(['create', '--network=none', image, '/hia-never-started']);
  if (create.exitCode !== 0)
    throw new DockerCommandError(['create', image], create.exitCode, tailLines(create.stderr));
  const id = create.stdout.trim();
  try {
    view.commit(await consume(view, docker.stream(['export', id])));
  } finally {
    await docker.run(['rm', '--force', id]);
  }
}

const LOADER_LINE = /^\s*(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/;
const LIBRARY_LINE = /^\s*\S+\s+=>\s+(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/;

/** The host Node.js's loader and libraries (from `ldd`), to mount into the container beside it. */
export function parseLdd(output: string): { loader?: string; libraries: string[] } {
  let loader: string | undefined;
  const libraries: string[] = [];
  for (const line of output.split('\n')) {
    const library = LIBRARY_LINE.exec(line)?.[1];
    if (library !== undefined) libraries.push(library);
    else {
      const found = LOADER_LINE.exec(line)?.[1];
      if (found !== undefined) loader = found;
    }
  }
  return { ...(loader === undefined ? {} : { loader }), libraries };
}

const CONTAINER_DIR = '/.hub-image-actions';

/** `docker run` arguments for the walker: host Node.js, no network, no capability but reading, nothing from the image run. */
export function walkerRunArgs(
  image: string,
  nodePath: string,
  ldd: { loader?: string; libraries: string[] },
): string[] {
  const mount = (source: string, target: string) => [
    '--mount',
    `type=bind,source=${source},target=${target},readonly`,
  ];
  const config: WalkerConfig = {
    patterns: Object.values(METADATA_PATTERNS),
    maxFileBytes: Math.max(...Object.values(FILE_CAPS)),
    skip: ['/proc', '/sys', '/dev', CONTAINER_DIR],
  };
  const libraries = [...ldd.libraries, ...(ldd.loader === undefined ? [] : [ldd.loader])];
  const program = [`${CONTAINER_DIR}/node`, '-e', walkerProgram(), JSON.stringify(config)];
  return [
    'run',
    '--rm',
    '--pull=never',
    '--network=none',
    '--user=0:0',
    '--cap-drop=ALL',
    '--cap-add=DAC_READ_SEARCH',
    '--security-opt=no-new-privileges',
    '--read-only',
    '--log-driver=none',
    // The image's environment and its /etc/ld.so.preload could make the loader or Node.js run the image's code.
    ...[
      'LD_PRELOAD',
      'LD_AUDIT',
      'LD_LIBRARY_PATH',
      'NODE_OPTIONS',
      'NODE_PATH',
      'NODE_EXTRA_CA_CERTS',
    ].flatMap((name) => ['--env', `${name}=`]),
    ...mount('/dev/null', '/etc/ld.so.preload'),
    ...mount(nodePath, `${CONTAINER_DIR}/node`),
    ...libraries.flatMap((library) => mount(library, `${CONTAINER_DIR}/lib/${basename(library)}`)),
    `--entrypoint=${ldd.loader === undefined ? `${CONTAINER_DIR}/node` : `${CONTAINER_DIR}/lib/${basename(ldd.loader)}`}`,
    image,
    ...(ldd.loader === undefined ? program.slice(1) : ['--library-path', `${CONTAINER_DIR}/lib`, ...program]),
  ];
}

async function viaWalker(
  docker: DockerCli,
  runner: ProcessRunner,
  image: string,
  view: ImageFileView,
  nodePath: string,
): Promise<void> {
  const ldd = await runner.run('ldd', [nodePath]);
  // A static Node.js ("not a dynamic executable") needs no loader; a failed ldd on a dynamic one would.
  const libraries = parseLdd(ldd.stdout);
  if (ldd.exitCode !== 0 && !/not a dynamic executable/.test(ldd.stdout + ldd.stderr)) {
    throw new Error(`ldd ${nodePath} exited with ${ldd.exitCode}: ${tailLines(ldd.stderr).join(' ')}`);
  }
  if (ldd.exitCode === 0 && libraries.loader === undefined) {
    throw new Error(`ldd ${nodePath} named no program loader; cannot run this Node.js in a container`);
  }
  view.commit(await consume(view, docker.stream(walkerRunArgs(image, nodePath, libraries))));
}

/**
 * The manifest of an image in the local docker engine. Nothing from the image is executed: the walker runs the host's
 * own Node.js with the image as its root file system and no network; `save` and `export` only stream tars.
 */
export async function manifestFromLocalImage(
  image: string,
  options: LocalImageOptions = {},
): Promise<LocalImageManifest> {
  const runner = options.runner ?? systemRunner;
  const docker = options.docker ?? systemDocker('docker', runner);
  const read = async (how: LocalImageMethod) => {
    const view = new ImageFileView(options.limits);
    if (how === 'walker') await viaWalker(docker, runner, image, view, options.nodePath ?? process.execPath);
    else if (how === 'save') await viaSave(docker, image, view);
    else await viaExport(docker, image, view);
    view.finish();
    return buildManifest(view);
  };
  if (options.method !== undefined) return { manifest: await read(options.method), method: options.method };
  try {
    return { manifest: await read('walker'), method: 'walker' };
  } catch (error) {
    const fallbackReason = `the walker container failed (${(error as Error).message.split('\n')[0]}); read with docker image save`;
    return { manifest: await read('save'), method: 'save', fallbackReason };
  }
}
