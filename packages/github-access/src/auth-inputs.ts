import { createPrivateKey } from 'node:crypto';
import type { InputReader } from '@hub-image-actions/action-io';

/** How an action reaches the GitHub API: a token, or a GitHub App whose installation token it mints. */
export type GitHubAuth =
  { mode: 'token'; token: string } | { mode: 'app'; appId: string; privateKey: string };

/** The inputs every action that calls GitHub with its own credentials declares, with these exact names. */
export const GITHUB_AUTH_INPUTS = ['token', 'app-id', 'private-key'] as const;

/** A PEM key pasted with literal "\n" sequences (a common secret-store accident) is read as the key it means. */
export function normalizePrivateKey(value: string): string {
  return value.includes('\\n') && !value.includes('\n') ? value.replace(/\\n/g, '\n') : value;
}

/**
 * Reads `token`, or `app-id` + `private-key`; every problem goes to the reader, so it is reported with the
 * action's other input problems. Undefined when the inputs are unusable.
 */
export function readGitHubAuth(r: InputReader): GitHubAuth | undefined {
  const token = r.secret('token');
  const appId = r.optional('app-id');
  const rawKey = r.secret('private-key');
  if (token !== undefined && (appId !== undefined || rawKey !== undefined)) {
    r.reject(
      'token',
      undefined,
      'conflicts with "app-id" / "private-key": give a token or a GitHub App, not both',
    );
    return undefined;
  }
  if (token !== undefined) return { mode: 'token', token };
  if (appId === undefined || rawKey === undefined) {
    r.reject(
      appId === undefined && rawKey === undefined ? 'token' : appId === undefined ? 'app-id' : 'private-key',
      undefined,
      'is required: give "token", or "app-id" and "private-key"',
    );
    return undefined;
  }
  if (!/^[0-9]+$/.test(appId)) r.reject('app-id', appId, 'expected the numeric GitHub App id');
  const privateKey = normalizePrivateKey(rawKey);
  try {
    createPrivateKey(privateKey);
  } catch {
    r.reject(
      'private-key',
      undefined,
      'is not a PEM private key',
      'Paste the whole .pem file the GitHub App settings page gave you, BEGIN and END lines included',
    );
  }
  return { mode: 'app', appId, privateKey };
}
