// The docker CLI, as this action uses it. Every call goes through a ProcessRunner with argv only.
import { engineProblem, inspectImage, type LocalImage } from '@hub-image-actions/docker-cli';
import type { ProcessRunner } from '@hub-image-actions/process';

export type { LocalImage } from '@hub-image-actions/docker-cli';

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

  inspectImage(ref: string): Promise<LocalImage | undefined> {
    return inspectImage(this.runner, ref, { env: this.env });
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
