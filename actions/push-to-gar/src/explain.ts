// A refusal of the registry, turned into the diagnosis the user needs.
import { ConfigurationError } from '@hub-image-actions/action-io';
import { RegistryConnectionError, RegistryError } from '@hub-image-actions/registry-client';
import { diagnoseLoginFailure, diagnoseRefusal, type Attempt, type RefusalKind } from './diagnosis.js';
import { DockerPushFailure } from './docker-push.js';
import { LoginFailedError } from './docker-session.js';
import { isRefused } from './registry-ops.js';

/** Turns a refusal of the registry into the diagnosis the user needs; anything else is returned as is. */
export function explain(error: unknown, attempt: Attempt): unknown {
  if (error instanceof LoginFailedError) {
    const { message, fix } = diagnoseLoginFailure(error.login.failure, attempt);
    return new ConfigurationError(message, fix);
  }
  if (error instanceof DockerPushFailure) {
    const { kind, message } = error.failure;
    if (kind === 'denied' || kind === 'name-unknown' || kind === 'unauthorized' || kind === 'unknown-host') {
      const { message: text, fix } = diagnoseRefusal(kind, message, {
        ...attempt,
        afterNewToken: error.afterNewToken,
      });
      return new ConfigurationError(text, fix);
    }
    return new ConfigurationError(`docker push failed: ${message}`, "See docker's output above");
  }
  if (error instanceof RegistryError && [401, 403, 404].includes(error.status)) {
    const kind: RefusalKind =
      error.status === 401 ? 'unauthorized' : error.status === 403 ? 'denied' : 'name-unknown';
    const detail = error.detail || `${error.status}${error.code ? ` ${error.code}` : ''}`;
    // The registry client already asked for a fresh token after the first 401.
    const afterNewToken = kind === 'unauthorized' && attempt.authMode !== 'access-token';
    const { message, fix } = diagnoseRefusal(kind, detail, {
      ...attempt,
      request: `${error.method} ${error.url}`,
      afterNewToken,
    });
    return new ConfigurationError(message, fix);
  }
  if (error instanceof RegistryConnectionError && error.code === 'ENOTFOUND') {
    const { message, fix } = diagnoseRefusal('unknown-host', error.reason, attempt);
    return new ConfigurationError(message, fix);
  }
  if (isRefused(error)) {
    return new ConfigurationError(
      `nothing answers at ${attempt.host}: ${error.reason}, for ${error.method} ${error.url}; no token was minted and docker did not log in`,
      `Check the host and port in "image" (or "registry"), and that the registry is running and reachable from this runner`,
    );
  }
  return error;
}
