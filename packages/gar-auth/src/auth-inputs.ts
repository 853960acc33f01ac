import { createPrivateKey, type KeyObject } from 'node:crypto';
import { maskSecret, type InputReader } from '@hub-image-actions/action-io';

export interface ServiceAccountKey {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  project_id?: string;
  token_uri: string;
}

/** How to get an access token for Artifact Registry. Exactly one mode per run. */
export type GarAuth =
  | { mode: 'workload-identity'; provider: string; serviceAccount: string }
  | { mode: 'credentials-json'; key: ServiceAccountKey }
  | { mode: 'access-token'; token: string };

export const AUTH_INPUT_NAMES = [
  'workload-identity-provider',
  'service-account',
  'credentials-json',
  'access-token',
] as const;

const WIF_PROVIDER =
  /^projects\/[0-9]+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\/providers\/[a-z0-9-]+$/;
const SERVICE_ACCOUNT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.:-]+\.iam\.gserviceaccount\.com$/;
const MODES =
  '"workload-identity-provider" + "service-account" (keyless), "credentials-json" (a key) or "access-token"';
const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** A key file JSON-encoded once more (a JSON string holding the file), as a secret copied from a JSON value is. */
function isEncodedTwice(value: string): boolean {
  if (!value.trim().startsWith('"')) return false;
  try {
    const inner: unknown = JSON.parse(value);
    return typeof inner === 'string' && inner.trim().startsWith('{');
  } catch {
    return false;
  }
}

/**
 * The private key as Node (and so google-auth-library, which signs with Node's crypto) reads it: PKCS#8, the form
 * Google's key files use, or PKCS#1 (`BEGIN RSA PRIVATE KEY`). The problem never quotes the key.
 */
function readPrivateKey(pem: string): KeyObject | string {
  if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(pem)) {
    return /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem)
      ? 'has a "private_key" that is encrypted; service-account keys from Google are not'
      : 'has a "private_key" that is not a PEM private key (-----BEGIN PRIVATE KEY-----)';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    // OpenSSL's reason, e.g. "DECODER routines::unsupported", without its numeric code.
    const reason = String((error as Error).message).replace(/^error:[0-9A-F]+:/, '');
    return `has a "private_key" whose body cannot be read as a key (OpenSSL: ${reason}): it was changed after it was downloaded, e.g. a line cut or its "\\n" escapes turned into other text`;
  }
  if (key.asymmetricKeyType !== 'rsa')
    return `has a "private_key" that is an ${String(key.asymmetricKeyType).toUpperCase()} key; service-account keys are RSA keys`;
  return key;
}

/**
 * Parses a service-account key given as JSON or base64-encoded JSON. The problem is returned as text that
 * never quotes the key itself.
 */
export function parseServiceAccountKey(value: string): ServiceAccountKey | string {
  if (isEncodedTwice(value)) {
    return 'is the key file JSON-encoded a second time (a quoted JSON string that holds the key file); expected the key file itself, starting with "{"';
  }
  const text = value.trim().startsWith('{') ? value : Buffer.from(value.trim(), 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'is not valid JSON (nor base64-encoded JSON); expected the service-account key file as downloaded';
  }
  const key = parsed as Partial<Record<string, unknown>>;
  if (typeof key !== 'object' || key === null || key['type'] !== 'service_account') {
    return `is a JSON document of type ${JSON.stringify(key?.['type'] ?? null)}; expected a key with "type": "service_account"`;
  }
  for (const field of ['client_email', 'private_key'] as const) {
    if (typeof key[field] !== 'string' || key[field] === '')
      return `has no "${field}"; expected a complete service-account key`;
  }
  const privateKey = readPrivateKey(String(key['private_key']));
  if (typeof privateKey === 'string') return privateKey;
  const tokenUri =
    typeof key['token_uri'] === 'string' && key['token_uri'] !== '' ? key['token_uri'] : GOOGLE_TOKEN_URI;
  let url: URL;
  try {
    url = new URL(tokenUri);
  } catch {
    return `has a "token_uri" that is not a URL`;
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) return `has a "token_uri" that is not https`;
  return {
    client_email: String(key['client_email']),
    private_key: String(key['private_key']),
    token_uri: tokenUri,
    ...(typeof key['private_key_id'] === 'string' ? { private_key_id: key['private_key_id'] } : {}),
    ...(typeof key['project_id'] === 'string' ? { project_id: key['project_id'] } : {}),
  };
}

/**
 * Reads the auth inputs shared by every action that talks to Artifact Registry. With `required`, exactly one
 * mode must be given; otherwise none means anonymous access (a public registry).
 */
export function readGarAuth(r: InputReader, options: { required: boolean }): GarAuth | undefined {
  const provider = r.optional('workload-identity-provider');
  const serviceAccount = r.optional('service-account');
  const json = r.secret('credentials-json');
  const token = r.secret('access-token');
  const given = [
    provider !== undefined || serviceAccount !== undefined,
    json !== undefined,
    token !== undefined,
  ].filter(Boolean).length;
  // A secret that holds only whitespace reads as no value; said when it leaves the step without any auth mode.
  const blank =
    given === 0 && options.required
      ? (['credentials-json', 'access-token'] as const).filter((name) => r.blank(name))
      : [];
  for (const name of blank) {
    r.reject(
      name,
      undefined,
      'is set, but only to whitespace: the secret it comes from is probably empty or holds only a line break',
      `Put the ${name === 'credentials-json' ? 'service-account key file' : 'access token'} in the secret, or remove "${name}" and give another auth mode`,
    );
  }
  if (given === 0) {
    if (options.required && blank.length === 0) {
      r.reject(
        'workload-identity-provider", "service-account", "credentials-json" or "access-token',
        undefined,
        `is required: none of the auth inputs has a value; give one auth mode, ${MODES}`,
        'An input under another name is not read (check the spelling in `with:`), and one set from a secret that is empty or not available to this run (pull requests from forks get no secrets) has no value',
      );
    }
    return undefined;
  }
  if (given > 1) {
    const values: Record<(typeof AUTH_INPUT_NAMES)[number], string | undefined> = {
      'workload-identity-provider': provider,
      'service-account': serviceAccount,
      'credentials-json': json,
      'access-token': token,
    };
    const names = AUTH_INPUT_NAMES.filter((name) => values[name] !== undefined).map((name) => `"${name}"`);
    const listed = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
    r.reject(
      AUTH_INPUT_NAMES.find((name) => values[name] !== undefined) ?? 'credentials-json',
      undefined,
      `conflicts: ${listed} were ${names.length === 2 ? 'both' : 'all'} given, which is more than one auth mode; give exactly one, ${MODES}`,
    );
    return undefined;
  }
  if (token !== undefined) return { mode: 'access-token', token };
  if (json !== undefined) {
    const key = parseServiceAccountKey(json);
    if (typeof key === 'string') {
      r.reject(
        'credentials-json',
        undefined,
        key,
        'Paste the whole key file into the secret, or switch to keyless auth.',
      );
      return undefined;
    }
    // The input itself is masked; a base64-encoded key decodes to a private key the masker has not seen yet.
    maskSecret(key.private_key);
    return { mode: 'credentials-json', key };
  }
  if (provider === undefined || serviceAccount === undefined) {
    r.reject(
      provider === undefined ? 'workload-identity-provider' : 'service-account',
      undefined,
      'is required for keyless auth: give both "workload-identity-provider" and "service-account"',
    );
    return undefined;
  }
  let valid = true;
  if (!WIF_PROVIDER.test(provider)) {
    valid = false;
    r.reject(
      'workload-identity-provider',
      provider,
      'expected projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER (the project number, not its id)',
    );
  }
  if (!SERVICE_ACCOUNT.test(serviceAccount)) {
    valid = false;
    r.reject(
      'service-account',
      serviceAccount,
      'expected a service-account e-mail, NAME@PROJECT.iam.gserviceaccount.com',
    );
  }
  return valid ? { mode: 'workload-identity', provider, serviceAccount } : undefined;
}
