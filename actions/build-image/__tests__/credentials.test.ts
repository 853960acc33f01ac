import { describe, expect, it } from '@jest/globals';
import { credentialByContent, credentialByPath, describeFindings, wantsContent } from '../src/credentials.js';

// Test material assembled at run time, so no scanner mistakes this file for a real secret.
const PEM = ['-----BEGIN', 'RSA PRIVATE KEY-----\nMIIB\n-----END RSA', 'PRIVATE KEY-----\n'].join(' ');
const OPENSSH = ['-----BEGIN OPENSSH', 'PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE', 'KEY-----\n'].join(
  ' ',
);
const SA_KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'a@b.iam.gserviceaccount.com',
  private_key: PEM,
});

describe('credentialByPath', () => {
  it.each([
    ['$HOME/.docker/config.json', /literally named "\$HOME"/, /runner\.temp/],
    ['sub/$HOME/.cache/x', /literally named "\$HOME"/, /DOCKER_CONFIG/],
    ['.docker/config.json', /docker config/, /RUNNER_TEMP/],
    ['gha-creds-1a2b3c4d5e6f.json', /google-github-actions\/auth/, /create_credentials_file: false/],
    ['deep/gha-creds-x.json', /google-github-actions\/auth/, /gha-creds-\*\.json/],
    ['.git-credentials', /git credentials/, /\.dockerignore/],
    ['home/.netrc', /\.netrc/, /\.dockerignore/],
    ['.aws/credentials', /AWS/, /\.dockerignore/],
    ['.kube/config', /kubeconfig/, /\.dockerignore/],
    ['.config/gcloud/application_default_credentials.json', /gcloud/, /\.dockerignore/],
    ['keys/id_ed25519', /SSH private key/, /treat it as exposed/],
  ])('flags %s', (path, what, fix) => {
    const finding = credentialByPath(path);
    expect(finding?.path).toBe(path);
    expect(finding?.what).toMatch(what);
    expect(finding?.fix).toMatch(fix);
  });

  it.each([['config.json'], ['docker/config.json'], ['environment.yml'], ['id_rsa.pub'], ['.config/gcloud']])(
    'leaves %s alone',
    (path) => {
      expect(credentialByPath(path)).toBeUndefined();
    },
  );
});

describe('credentialByContent', () => {
  const at = (path: string, text: string) => credentialByContent(path, Buffer.from(text));

  it.each([
    ['key.json', SA_KEY, /service-account key/],
    ['secrets/anything.txt', PEM, /PEM private key/],
    ['deploy', OPENSSH, /PEM private key/],
    ['.npmrc', '//registry.npmjs.org/:_authToken=npm_abc\n', /\.npmrc/],
    ['.pypirc', '[pypi]\nusername = __token__\npassword = pypi-abc\n', /\.pypirc/],
    [
      'cfg/config.json',
      JSON.stringify({ auths: { 'us-docker.pkg.dev': { auth: 'b2F1dGg6eA==' } } }),
      /docker config/,
    ],
    ['adc.json', JSON.stringify({ type: 'authorized_user', refresh_token: 'r' }), /refresh token/],
    [
      'wif.json',
      JSON.stringify({
        type: 'external_account',
        credential_source: { url: 'https://x', headers: { Authorization: 'bearer x' } },
      }),
      /workload identity/,
    ],
    [
      '.git/config',
      '[http "https://github.com/"]\n\textraheader = AUTHORIZATION: basic eC1hY2Nlc3M=\n',
      /git config/,
    ],
    [
      '.git/config',
      '[remote "origin"]\n\turl = https://x-access-token:ghs_abc@github.com/o/r\n',
      /git config/,
    ],
  ])('flags %s by what it holds', (path, text, what) => {
    expect(at(path, text)?.what).toMatch(what);
  });

  it.each([
    ['config.json', JSON.stringify({ credsStore: 'desktop', auths: { 'x.io': {} } })],
    ['package.json', JSON.stringify({ type: 'module' })],
    ['.npmrc', 'registry=https://registry.npmjs.org/\n'],
    ['.git/config', '[remote "origin"]\n\turl = https://github.com/o/r\n'],
    ['README.md', 'To make a key, run ssh-keygen; it prints BEGIN OPENSSH lines.'],
    ['cert.pem', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'],
  ])('leaves %s alone', (path, text) => {
    expect(at(path, text)).toBeUndefined();
  });
});

describe('wantsContent', () => {
  it('reads small files and .git/config, not git objects or big files', () => {
    expect(wantsContent('key.json', 2300)).toBe(true);
    expect(wantsContent('.git/config', 300)).toBe(true);
    expect(wantsContent('.git/objects/ab/cdef', 300)).toBe(false);
    expect(wantsContent('data.parquet', 50 * 1024 * 1024)).toBe(false);
    expect(wantsContent('empty', 0)).toBe(false);
  });
});

describe('describeFindings', () => {
  it('names every file with its fix, and says nothing was built', () => {
    const message = describeFindings('/w/repo', [
      credentialByPath('$HOME/.docker/config.json')!,
      credentialByPath('gha-creds-1.json')!,
    ]);
    expect(message).toMatch(
      /^the build context \/w\/repo holds 2 credential files that repo2docker would copy/,
    );
    expect(message).toMatch(/nothing was built/);
    expect(message).toContain('  - $HOME/.docker/config.json: ');
    expect(message).toContain('  - gha-creds-1.json: ');
  });
});
