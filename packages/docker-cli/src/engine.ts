// Why docker did not answer: no CLI, or no engine behind it. Both are the runner's set-up, so both are user errors.
import { ConfigurationError } from '@hub-image-actions/action-io';
import type { RunResult } from '@hub-image-actions/process';

const INSTALL_DOCKER =
  'Install Docker Engine (https://docs.docker.com/engine/install/, or `apt-get install docker.io`) and make sure this job can use it';

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

/** Whether a failed docker command failed because there is no docker CLI or no engine answering it. */
export function isEngineUnreachable(result: RunResult): boolean {
  return (
    result.exitCode === 127 ||
    /cannot connect to the docker daemon|error during connect|is the docker daemon running/i.test(
      result.stderr,
    )
  );
}

/** A missing CLI or an unreachable engine, as a ConfigurationError that says what to install or start. */
export function engineProblem(result: RunResult, env: NodeJS.ProcessEnv): ConfigurationError {
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
