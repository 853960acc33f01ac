import { verify } from 'node:crypto';
import {
  GitHubApiError,
  JWT_BAD_EXP,
  JWT_BAD_IAT,
  JWT_EXP_TOO_FAR,
  JWT_UNDECODABLE,
  MAX_JWT_EXP_SECONDS,
  type AppRecord,
} from './types.js';
import { base64UrlJson } from './wire.js';

/**
 * Verifies an App JWT by GitHub's documented rules: RS256, signed by the key of the app `iss` names (its client
 * ID, or its app ID as a number or a string), `iat` not in the future, `exp` in the future and at most 10 minutes
 * away. GitHub's own example (iat 60 s back, exp 10 min ahead) passes: the lifetime itself is not limited.
 */
export function verifyAppJwt(
  credential: string | undefined,
  findApp: (issuer: unknown) => AppRecord | undefined,
  now: number,
): AppRecord {
  if (credential === undefined) throw new GitHubApiError(401, 'Requires authentication');
  const parts = credential.split('.');
  if (parts.length !== 3) throw new GitHubApiError(401, JWT_UNDECODABLE);
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
  let header: unknown;
  let payload: Record<string, unknown>;
  try {
    header = base64UrlJson(headerPart);
    payload = base64UrlJson(payloadPart) as Record<string, unknown>;
  } catch {
    throw new GitHubApiError(401, JWT_UNDECODABLE);
  }
  if (typeof header !== 'object' || header === null || (header as { alg?: unknown }).alg !== 'RS256') {
    throw new GitHubApiError(401, JWT_UNDECODABLE);
  }
  const app = findApp(payload['iss']);
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  if (
    app === undefined ||
    !verify('RSA-SHA256', signed, app.publicKey, Buffer.from(signaturePart, 'base64url'))
  ) {
    throw new GitHubApiError(401, JWT_UNDECODABLE);
  }
  const { iat, exp } = payload;
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > now)
    throw new GitHubApiError(401, JWT_BAD_IAT);
  if (typeof exp !== 'number' || exp <= now) throw new GitHubApiError(401, JWT_BAD_EXP);
  if (exp > now + MAX_JWT_EXP_SECONDS) throw new GitHubApiError(401, JWT_EXP_TOO_FAR);
  return app;
}
