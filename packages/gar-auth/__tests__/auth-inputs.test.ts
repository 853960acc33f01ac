import { describe, expect, it, jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { InputErrors, InputReader, inputsFrom } from '@hub-image-actions/action-io';
import { isFresh, isFreshDockerConfigDir, parseServiceAccountKey, readGarAuth } from '../src/index.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
/** The key with one character of its base64 body changed: still PEM-shaped, no longer a key. */
const corrupt = pem.replace(/\n(.)/, (_m, c: string) => `\n${c === 'A' ? 'B' : 'A'}`);
const key = {
  type: 'service_account',
  project_id: 'hub-images',
  private_key_id: 'abc',
  private_key: pem,
  client_email: 'pusher@hub-images.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
};
const PROVIDER = 'projects/123456/locations/global/workloadIdentityPools/github/providers/actions';
const SA = 'image-pusher@hub-images.iam.gserviceaccount.com';

function read(values: Record<string, string>, required = true) {
  const r = new InputReader(inputsFrom(values));
  const auth = readGarAuth(r, { required });
  try {
    r.finish();
    return { auth, problems: [] as string[] };
  } catch (error) {
    return { auth, problems: (error as InputErrors).errors.map((e) => e.message) };
  }
}

describe('readGarAuth', () => {
  it('reads each mode', () => {
    expect(read({ 'workload-identity-provider': PROVIDER, 'service-account': SA }).auth).toEqual({
      mode: 'workload-identity',
      provider: PROVIDER,
      serviceAccount: SA,
    });
    expect(read({ 'access-token': 'ya29.abcdefgh' }).auth).toEqual({
      mode: 'access-token',
      token: 'ya29.abcdefgh',
    });
    expect(read({ 'credentials-json': JSON.stringify(key) }).auth).toMatchObject({
      mode: 'credentials-json',
      key: { client_email: key.client_email, token_uri: key.token_uri },
    });
  });

  it('accepts a base64-encoded key, as the legacy secret sometimes is', () => {
    const encoded = Buffer.from(JSON.stringify(key)).toString('base64');
    expect(read({ 'credentials-json': encoded }).auth?.mode).toBe('credentials-json');
  });

  it('allows no auth when not required (a public registry)', () => {
    expect(read({}, false)).toEqual({ auth: undefined, problems: [] });
  });

  it.each([
    [
      {},
      /^input "workload-identity-provider", "service-account", "credentials-json" or "access-token" is required: none of the auth inputs has a value; give one auth mode, .*An input under another name is not read \(check the spelling in `with:`\)/,
    ],
    [
      { 'credentials-json': ' \n ' },
      /^input "credentials-json" is set, but only to whitespace: the secret it comes from is probably empty or holds only a line break\. Put the service-account key file in the secret/,
    ],
    [{ 'access-token': '\n' }, /^input "access-token" is set, but only to whitespace/],
    [{ 'workload-identity-provider': PROVIDER }, /"service-account" is required for keyless auth/],
    [{ 'service-account': SA }, /"workload-identity-provider" is required for keyless auth/],
    [
      {
        'workload-identity-provider':
          'projects/hub-images/locations/global/workloadIdentityPools/p/providers/q',
        'service-account': SA,
      },
      /the project number, not its id/,
    ],
    [
      { 'workload-identity-provider': PROVIDER, 'service-account': 'image-pusher' },
      /expected a service-account e-mail/,
    ],
    [{ 'credentials-json': '{not json' }, /is not valid JSON/],
    [{ 'credentials-json': JSON.stringify({ type: 'authorized_user' }) }, /of type "authorized_user"/],
    [{ 'credentials-json': JSON.stringify({ ...key, private_key: '' }) }, /has no "private_key"/],
    [
      { 'credentials-json': JSON.stringify({ ...key, token_uri: 'http://evil.example/token' }) },
      /"token_uri" that is not https/,
    ],
  ])('rejects %j', (values, message) => {
    const { problems } = read(values as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it.each([
    [
      'a key JSON-encoded twice',
      { 'credentials-json': JSON.stringify(JSON.stringify(key)) },
      /^input "credentials-json" is the key file JSON-encoded a second time \(a quoted JSON string that holds the key file\); expected the key file itself, starting with "\{"/,
    ],
    [
      'a key with a corrupt body',
      { 'credentials-json': JSON.stringify({ ...key, private_key: corrupt }) },
      /^input "credentials-json" has a "private_key" whose body cannot be read as a key \(OpenSSL: [^)]+\): it was changed after it was downloaded/,
    ],
    [
      'a private key without its PEM armour',
      { 'credentials-json': JSON.stringify({ ...key, private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }) },
      /has a "private_key" that is not a PEM private key \(-----BEGIN PRIVATE KEY-----\)/,
    ],
  ])('rejects %s, without quoting it', (_label, values, message) => {
    const { problems } = read(values as Record<string, string>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('accepts a PKCS#1 key (BEGIN RSA PRIVATE KEY), which google-auth-library signs with as well', () => {
    expect(pkcs1).toContain('-----BEGIN RSA PRIVATE KEY-----');
    const { auth, problems } = read({ 'credentials-json': JSON.stringify({ ...key, private_key: pkcs1 }) });
    expect(problems).toEqual([]);
    expect(auth).toMatchObject({ mode: 'credentials-json', key: { private_key: pkcs1 } });
  });

  it('reports a blank secret only when it leaves the step without auth', () => {
    expect(read({ 'credentials-json': ' ', 'access-token': 'ya29.abcdefgh' }).problems).toEqual([]);
    expect(read({ 'credentials-json': ' ' }, false).problems).toEqual([]);
  });

  it('never quotes a key in its error', () => {
    const broken = JSON.stringify({ ...key, type: 'nope' });
    const { problems } = read({ 'credentials-json': broken });
    expect(problems.join('\n')).not.toContain('PRIVATE KEY');
    expect(problems.join('\n')).not.toContain(key.client_email);
    const corrupted = read({ 'credentials-json': JSON.stringify({ ...key, private_key: corrupt }) }).problems;
    expect(corrupted).toHaveLength(1);
    for (const line of corrupt.split('\n').slice(1, -2)) expect(corrupted.join('\n')).not.toContain(line);
  });
});

describe('parseServiceAccountKey', () => {
  it('keeps a loopback http token_uri (private endpoints and tests) and defaults a missing one', () => {
    expect(
      parseServiceAccountKey(JSON.stringify({ ...key, token_uri: 'http://127.0.0.1:8080/token' })),
    ).toMatchObject({
      token_uri: 'http://127.0.0.1:8080/token',
    });
    const { token_uri: _unused, ...withoutUri } = key;
    expect(parseServiceAccountKey(JSON.stringify(withoutUri))).toMatchObject({
      token_uri: 'https://oauth2.googleapis.com/token',
    });
  });
});

describe('masking', () => {
  it('masks the private key inside a base64-encoded key, which the runner only saw encoded', () => {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      read({ 'credentials-json': Buffer.from(JSON.stringify(key)).toString('base64') });
    } finally {
      spy.mockRestore();
    }
    const masks = written
      .join('')
      .split(/\r?\n/)
      .filter((line) => line.startsWith('::add-mask::'));
    for (const line of pem.trim().split('\n').slice(1, -1)) expect(masks).toContain(`::add-mask::${line}`);
  });
});

describe('isFreshDockerConfigDir', () => {
  it.each([
    ['/runner/_temp/hub-image-actions-docker-a1B2c3', true],
    ['/runner/_temp/hub-image-actions-docker-a1B2c3/../../work', false],
    ['/runner/_temp/other', false],
    ['/runner/_temp', false],
    ['/elsewhere/hub-image-actions-docker-a1B2c3', false],
    ['hub-image-actions-docker-a1B2c3', false],
  ])('%s → %s', (path, expected) => {
    expect(isFreshDockerConfigDir(path, '/runner/_temp')).toBe(expected);
  });

  it('is false without RUNNER_TEMP', () => {
    expect(isFreshDockerConfigDir('/runner/_temp/hub-image-actions-docker-a1B2c3', undefined)).toBe(false);
  });
});

describe('isFresh', () => {
  const now = 1_000_000;
  it.each([
    ['an hour-long token with 2 minutes left', { expiresAt: now + 120_000 }, now - 3_480_000, true],
    ['an hour-long token with 30 s left', { expiresAt: now + 30_000 }, now - 3_570_000, false],
    ['a 5-minute token with 3 minutes left', { expiresAt: now + 180_000 }, now - 120_000, true],
    ['a 5-second token just minted', { expiresAt: now + 4_000 }, now - 1_000, true],
    ['a 5-second token past half its life', { expiresAt: now + 2_000 }, now - 3_000, false],
    ['a token of unknown lifetime (given)', { expiresAt: undefined }, now, true],
  ])('%s: %s', (_name, token, mintedAt, expected) => {
    expect(isFresh({ token: 't', ...token }, mintedAt, now)).toBe(expected);
  });
});
