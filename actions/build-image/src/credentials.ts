// Credentials that must never be copied into an image, recognised by where they sit and by what they hold.

export interface CredentialFinding {
  path: string;
  /** What the file is, e.g. "a docker config with registry credentials". */
  what: string;
  /** What to do about it. */
  fix: string;
}

/** Files larger than this are not read for content checks (keys and configs are small). */
export const CONTENT_SCAN_LIMIT = 1024 * 1024;

const IGNORE_IT = 'or add it to .dockerignore';

const FIX = {
  unexpandedHome:
    'A folder literally named "$HOME" comes from `DOCKER_CONFIG: $HOME/.docker` in a workflow `env:` block, where ' +
    '$HOME is not expanded, so docker wrote its login into the workspace. Set `DOCKER_CONFIG: ${{ runner.temp }}/docker-config` ' +
    '(or drop it: this action and push-to-gar keep their own docker config under RUNNER_TEMP), delete the folder, and add `$HOME` to .dockerignore',
  dockerConfig: `Keep DOCKER_CONFIG outside the workspace (e.g. under RUNNER_TEMP), ${IGNORE_IT}`,
  ghaCreds:
    'google-github-actions/auth wrote it into the workspace. Set `create_credentials_file: false` on that step ' +
    `(this action and push-to-gar mint their own tokens), ${IGNORE_IT} (gha-creds-*.json)`,
  serviceAccountKey: `Remove it from the repository and disable the key in IAM (treat it as exposed), ${IGNORE_IT} if it is a test fixture`,
  userCredentials: `Remove it from the workspace, ${IGNORE_IT}`,
  privateKey: `Remove it from the repository (treat it as exposed), ${IGNORE_IT} if it must stay`,
  gitConfig:
    'actions/checkout stored the job token in .git/config. Set `persist-credentials: false` on actions/checkout, or add `.git` to .dockerignore',
  generic: `Move it out of the workspace (e.g. to RUNNER_TEMP), ${IGNORE_IT}`,
} as const;

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function segments(path: string): string[] {
  return path.split('/');
}

/** Findings decided by the path alone. */
export function credentialByPath(path: string): CredentialFinding | undefined {
  const name = basename(path);
  const parts = segments(path);
  const parent = parts.at(-2);
  if (parts.includes('$HOME')) {
    return { path, what: 'a file in a folder literally named "$HOME"', fix: FIX.unexpandedHome };
  }
  if (name === 'config.json' && parent === '.docker') {
    return { path, what: 'a docker config (it holds registry logins)', fix: FIX.dockerConfig };
  }
  if (/^gha-creds-[^/]*\.json$/.test(name)) {
    return {
      path,
      what: 'a Google credentials file written by google-github-actions/auth',
      fix: FIX.ghaCreds,
    };
  }
  if (name === '.git-credentials') {
    return { path, what: 'git credentials (tokens in clear text)', fix: FIX.generic };
  }
  if (name === '.netrc' || name === '_netrc') {
    return { path, what: 'a .netrc (logins in clear text)', fix: FIX.generic };
  }
  if (name === 'credentials' && parent === '.aws') {
    return { path, what: 'AWS credentials', fix: FIX.generic };
  }
  if (name === 'config' && parent === '.kube') {
    return { path, what: 'a kubeconfig (cluster credentials)', fix: FIX.generic };
  }
  const gcloud = parts.findIndex((part, i) => part === '.config' && parts[i + 1] === 'gcloud');
  if (gcloud >= 0 && parts.length > gcloud + 2) {
    return { path, what: 'gcloud credentials', fix: FIX.userCredentials };
  }
  if (/^id_(rsa|dsa|ecdsa|ed25519)(_sk)?$/.test(name)) {
    return { path, what: 'an SSH private key', fix: FIX.privateKey };
  }
  return undefined;
}

/** Whether a file's content is worth reading for `credentialByContent`. */
export function wantsContent(path: string, size: number): boolean {
  if (path === '.git/config') return true;
  if (path.startsWith('.git/')) return false; // objects are compressed; the config is the one place a token sits
  return size > 0 && size <= CONTENT_SCAN_LIMIT;
}

const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const URL_WITH_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function hasDockerAuths(json: unknown): boolean {
  const auths = (json as { auths?: unknown } | undefined)?.auths;
  if (typeof auths !== 'object' || auths === null) return false;
  return Object.values(auths as Record<string, unknown>).some(
    (entry) =>
      typeof entry === 'object' &&
      entry !== null &&
      ['auth', 'identitytoken', 'password', 'registrytoken'].some(
        (field) => typeof (entry as Record<string, unknown>)[field] === 'string',
      ),
  );
}

/** Findings decided by what a (small) file holds. */
export function credentialByContent(path: string, content: Buffer): CredentialFinding | undefined {
  const name = basename(path);
  const text = content.toString('latin1');
  if (path === '.git/config') {
    if (/extraheader\s*=.*authorization/i.test(text) || URL_WITH_PASSWORD.test(text)) {
      return { path, what: 'a git config holding a token', fix: FIX.gitConfig };
    }
    return undefined;
  }
  if (name === '.npmrc' && /(_authToken|_auth|_password)\s*=/.test(text)) {
    return { path, what: 'an .npmrc with a registry token', fix: FIX.generic };
  }
  if (name === '.pypirc' && /^\s*password\s*[=:]/m.test(text)) {
    return { path, what: 'a .pypirc with a password', fix: FIX.generic };
  }
  if (text.trimStart().startsWith('{') && /"(type|auths)"/.test(text)) {
    const json = parseJson(content.toString('utf8')) as Record<string, unknown> | undefined;
    if (json?.['type'] === 'service_account' && typeof json['private_key'] === 'string') {
      return { path, what: 'a Google service-account key', fix: FIX.serviceAccountKey };
    }
    if (json?.['type'] === 'authorized_user' && typeof json['refresh_token'] === 'string') {
      return { path, what: 'Google user credentials (a refresh token)', fix: FIX.userCredentials };
    }
    if (json?.['type'] === 'external_account' && typeof json['credential_source'] === 'object') {
      return { path, what: 'a Google workload identity credentials file', fix: FIX.ghaCreds };
    }
    if (hasDockerAuths(json)) {
      return { path, what: 'a docker config with registry logins', fix: FIX.dockerConfig };
    }
  }
  if (PEM_PRIVATE_KEY.test(text)) {
    return { path, what: 'a PEM private key', fix: FIX.privateKey };
  }
  return undefined;
}

/** The message for a refused build context: every finding, each with its fix. */
export function describeFindings(contextDir: string, findings: readonly CredentialFinding[]): string {
  const shown = findings.slice(0, 20);
  const lines = shown.map((f) => `  - ${f.path}: ${f.what}. ${f.fix}.`);
  if (findings.length > shown.length) lines.push(`  - and ${findings.length - shown.length} more`);
  return (
    `the build context ${contextDir} holds ${findings.length === 1 ? 'a credential' : `${findings.length} credential files`} ` +
    `that repo2docker would copy into the image, so nothing was built:\n${lines.join('\n')}`
  );
}
