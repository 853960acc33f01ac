// The docker CLI, as this action uses it. Every call goes through a ProcessRunner with argv only.
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { ProcessRunner, RunResult } from '@hub-image-actions/process';

export interface EngineVersions {
  client: string;
  server: string;
  /** Undefined when the buildx plugin is missing. */
  buildx: string | undefined;
  /** What docker said when asked for buildx, when it is missing. */
  buildxProblem: string | undefined;
  /** The engine's data directory, for the disk report; undefined when unknown. */
  rootDir: string | undefined;
}

export interface LocalImage {
  id: string;
  size: number;
  /** Uncompressed layer digests (`RootFS.Layers`). */
  layers: string[];
  labels: Record<string, string>;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

const INSTALL_DOCKER =
  'Install Docker Engine (https://docs.docker.com/engine/install/, or `apt-get install docker.io`) and make sure this job can use it';

/** A missing CLI or an unreachable engine becomes a ConfigurationError that says what to install or start. */
function engineProblem(result: RunResult, env: NodeJS.ProcessEnv): ConfigurationError {
  if (result.exitCode === 127) {
    return new ConfigurationError('the docker CLI is not installed (no "docker" on PATH)', INSTALL_DOCKER);
  }
  const detail = firstLine(result.stderr) || firstLine(result.stdout) || `exit code ${result.exitCode}`;
  const host = env['DOCKER_HOST'] ? ` at ${env['DOCKER_HOST']}` : '';
  return new ConfigurationError(
    `no docker engine answers${host}: ${detail}`,
    `Start the docker daemon (or fix DOCKER_HOST). ${INSTALL_DOCKER}`,
  );
}

export class Docker {
  constructor(
    private readonly runner: ProcessRunner,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  run(args: readonly string[], options: { onLine?: (line: string) => void; timeoutMs?: number } = {}) {
    return this.runner.run('docker', args, {
      env: this.env,
      ...(options.onLine ? { onLine: options.onLine } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }

  /**
   * Client, engine and buildx versions and the data directory, from one `docker info`; throws a
   * ConfigurationError when there is no working engine.
   */
  async versions(): Promise<EngineVersions> {
    const result = await this.run(['info', '--format', '{{json .}}'], { timeoutMs: 30_000 });
    const info = parseDockerInfo(result.stdout);
    if (result.exitCode !== 0 || info === undefined || info.server === '')
      throw engineProblem(result, this.env);
    return info;
  }

  async inspectImage(ref: string): Promise<LocalImage | undefined> {
    const result = await this.run(['image', 'inspect', '--format', '{{json .}}', ref]);
    if (result.exitCode !== 0) return undefined;
    const parsed = JSON.parse(result.stdout) as {
      Id: string;
      Size: number;
      RootFS?: { Layers?: string[] };
      Config?: { Labels?: Record<string, string> | null };
    };
    return {
      id: parsed.Id,
      size: parsed.Size,
      layers: parsed.RootFS?.Layers ?? [],
      labels: parsed.Config?.Labels ?? {},
    };
  }

  /** Removes a container if it exists; never throws (used in cleanup). */
  async removeContainer(name: string): Promise<void> {
    await this.run(['rm', '--force', '--volumes', name]).catch(() => undefined);
  }

  async containerLogs(name: string, lines = 200): Promise<string> {
    const result = await this.run(['logs', '--tail', String(lines), name]);
    return `${result.stdout}${result.stderr}`;
  }

  /** Running, or the exit code when the container stopped; undefined when it does not exist. */
  async containerState(name: string): Promise<{ running: boolean; exitCode: number } | undefined> {
    const result = await this.run(['inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name]);
    if (result.exitCode !== 0) return undefined;
    const [running, code] = result.stdout.trim().split(' ');
    return { running: running === 'true', exitCode: Number(code) };
  }
}

interface DockerInfoJson {
  ServerVersion?: string;
  DockerRootDir?: string;
  ClientInfo?: {
    Version?: string;
    Plugins?: Array<{ Name?: string; Version?: string; Err?: string }> | null;
  };
}

/** What `docker info --format '{{json .}}'` says about the client, the engine and the buildx plugin. */
export function parseDockerInfo(output: string): EngineVersions | undefined {
  let info: DockerInfoJson;
  try {
    info = JSON.parse(output.trim().split('\n')[0] ?? '') as DockerInfoJson;
  } catch {
    return undefined;
  }
  const buildx = info.ClientInfo?.Plugins?.find((plugin) => plugin.Name === 'buildx');
  const usable = buildx !== undefined && !buildx.Err && buildx.Version;
  return {
    client: info.ClientInfo?.Version || 'unknown',
    server: info.ServerVersion ?? '',
    buildx: usable ? buildx.Version : undefined,
    buildxProblem: usable
      ? undefined
      : buildx?.Err
        ? `the plugin fails to load: ${buildx.Err}`
        : 'docker lists no buildx plugin',
    rootDir: info.DockerRootDir || undefined,
  };
}
