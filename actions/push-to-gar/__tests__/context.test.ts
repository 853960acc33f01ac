import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { InputErrors, inputsFrom } from '@hub-image-actions/action-io';
import { readInputs } from '../src/context.js';

const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();
const KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'hub-images',
  private_key_id: 'abc',
  private_key: pem,
  client_email: 'pusher@hub-images.iam.gserviceaccount.com',
  token_uri: 'https://oauth2.googleapis.com/token',
});
const PROVIDER = 'projects/123456/locations/global/workloadIdentityPools/github/providers/actions';
const SA = 'image-pusher@hub-images.iam.gserviceaccount.com';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const GOOD = {
  registry: 'us-central1-docker.pkg.dev',
  'image-path': 'cal-icor-hubs/user-images/base-user-image',
  tags: '8b48b4867330',
  source: 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image:8b48b4867330',
  'workload-identity-provider': PROVIDER,
  'service-account': SA,
};

beforeAll(() => {
  // Secrets read from inputs are registered with the runner (::add-mask::); keep them out of the test output.
  const write = process.stdout.write.bind(process.stdout);
  jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk, ...rest) =>
      String(chunk).startsWith('::add-mask::') ? true : write(chunk as string, ...(rest as [])),
    );
});

function problems(values: Record<string, string>): string[] {
  try {
    readInputs(inputsFrom(values));
    return [];
  } catch (error) {
    if (!(error instanceof InputErrors)) throw error;
    return error.errors.map((e) => e.message);
  }
}

describe('readInputs', () => {
  it('reads the usual image-repo step: registry + IMAGE path, commit tag, build-image output, keyless', () => {
    const inputs = readInputs(inputsFrom(GOOD));
    expect(inputs).toMatchObject({
      target: {
        registry: 'us-central1-docker.pkg.dev',
        path: 'cal-icor-hubs/user-images/base-user-image',
        full: 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image',
      },
      gar: {
        location: 'us-central1',
        project: 'cal-icor-hubs',
        repository: 'user-images',
        image: 'base-user-image',
      },
      tags: ['8b48b4867330'],
      source: { kind: 'image', ref: GOOD.source },
      overwrite: false,
      auth: { mode: 'workload-identity', provider: PROVIDER, serviceAccount: SA },
      maxAttempts: 5,
      retryTimeoutSeconds: 1800,
    });
  });

  it.each([
    ['US-CENTRAL1-DOCKER.PKG.DEV', 'us-central1-docker.pkg.dev', 'us-central1'],
    ['Us-Central1-Docker.Pkg.Dev', 'us-central1-docker.pkg.dev', 'us-central1'],
  ])(
    'takes the Artifact Registry host %s in any case, also with gar-only, and uses it in lower case',
    (given, host, location) => {
      const inputs = readInputs(inputsFrom({ ...GOOD, registry: given, 'gar-only': 'true' }));
      expect(inputs.target.registry).toBe(host);
      expect(inputs.target.full).toBe(`${host}/cal-icor-hubs/user-images/base-user-image`);
      expect(inputs.gar).toMatchObject({ host, location, project: 'cal-icor-hubs' });
      expect(inputs.hostAsGiven).toBe(given);
    },
  );

  it('uses any other host in lower case, and a digest of the same repository in any case', () => {
    const inputs = readInputs(
      inputsFrom({
        ...GOOD,
        registry: 'LOCALHOST:5000',
        source: '',
        'source-digest': `localhost:5000/${GOOD['image-path']}@${DIGEST}`,
      }),
    );
    expect(inputs.target.full).toBe(`localhost:5000/${GOOD['image-path']}`);
    expect(inputs.hostAsGiven).toBe('LOCALHOST:5000');
    expect(readInputs(inputsFrom(GOOD)).hostAsGiven).toBeUndefined();
  });

  it('takes the whole address, a tag list with duplicates and comments, a digest and bounds', () => {
    const inputs = readInputs(
      inputsFrom({
        image: 'europe-west1-docker.pkg.dev/example.com/hub-images/repo/img',
        tags: 'v1\n# a comment\nlatest, v1',
        'source-digest': DIGEST,
        'access-token': 'ya29.given-token',
        overwrite: 'true',
        'max-attempts': '3',
        'retry-timeout': '60',
      }),
    );
    expect(inputs).toMatchObject({
      target: { full: 'europe-west1-docker.pkg.dev/example.com/hub-images/repo/img' },
      gar: { project: 'example.com:hub-images', repository: 'repo', image: 'img' },
      tags: ['v1', 'latest'],
      source: { kind: 'digest', digest: DIGEST },
      overwrite: true,
      auth: { mode: 'access-token' },
      maxAttempts: 3,
      retryTimeoutSeconds: 60,
    });
  });

  it('accepts other registries (tests, mirrors) unless gar-only, with no GAR address', () => {
    const inputs = readInputs(inputsFrom({ ...GOOD, registry: '127.0.0.1:5000', 'image-path': 'p/r/i' }));
    expect(inputs.target.full).toBe('127.0.0.1:5000/p/r/i');
    expect(inputs.gar).toBeUndefined();
  });

  it.each([
    ['an image id as source', { source: 'sha256:' + 'b'.repeat(64) }],
    ['a short image id as source', { source: 'b'.repeat(12) }],
    [
      'NAME@DIGEST of the target as source-digest',
      { source: '', 'source-digest': `${GOOD.registry}/${GOOD['image-path']}@${DIGEST}` },
    ],
    [
      'a base64-encoded key',
      {
        'workload-identity-provider': '',
        'service-account': '',
        'credentials-json': Buffer.from(KEY).toString('base64'),
      },
    ],
  ])('accepts %s', (_name, values) => {
    expect(problems({ ...GOOD, ...values })).toEqual([]);
  });

  it.each([
    [
      'two auth modes',
      { 'credentials-json': KEY },
      /input "workload-identity-provider" conflicts: "workload-identity-provider", "service-account" and "credentials-json" were all given/,
    ],
    [
      'no auth mode',
      { 'workload-identity-provider': '', 'service-account': '' },
      /^input "workload-identity-provider", "service-account", "credentials-json" or "access-token" is required: none of the auth inputs has a value/,
    ],
    ['half of keyless', { 'service-account': '' }, /"service-account" is required for keyless auth/],
    [
      'a malformed key',
      {
        'workload-identity-provider': '',
        'service-account': '',
        'credentials-json': '{"type": "service_account", ',
      },
      /"credentials-json" is not valid JSON/,
    ],
    [
      'a project id that is not one',
      { 'image-path': 'Cal_Icor/user-images/base' },
      /"image-path" is "Cal_Icor\/user-images\/base": GAR project "Cal_Icor" must start with a lowercase letter/,
    ],
    [
      'a project number',
      { 'image-path': '123456789/user-images/base' },
      /must start with a lowercase letter \(the project id, not its number/,
    ],
    [
      'an uppercase repository',
      { 'image-path': 'cal-icor-hubs/User-Images/base' },
      /GAR repository "User-Images" has uppercase letters; repository ids are lowercase \("user-images"\)/,
    ],
    ['a path without image', { 'image-path': 'cal-icor-hubs/user-images' }, /GAR image "" is missing/],
    [
      'a malformed location',
      { registry: 'us-central-1-docker.pkg.dev' },
      /input "registry" is "us-central-1-docker.pkg.dev": GAR location/,
    ],
    [
      'a path in registry',
      { registry: 'us-central1-docker.pkg.dev/cal-icor-hubs' },
      /"registry" .* is a host only/,
    ],
    [
      'a host that is not GAR with gar-only',
      { registry: 'ghcr.io', 'gar-only': 'true' },
      /"registry" is "ghcr.io": is not an Artifact Registry host .* "gar-only" is true/,
    ],
    [
      'image with registry',
      { image: 'us-central1-docker.pkg.dev/a-project/r/i' },
      /"image" .* cannot be combined with "registry"/,
    ],
    ['no target', { registry: '', 'image-path': '' }, /"image" is required/],
    ['an empty tag list', { tags: ' \n, ' }, /"tags" is required: give at least one tag/],
    ['a tag docker refuses', { tags: 'v1, -bad' }, /"tags" is "-bad": tag "-bad" starts with "." or "-"/],
    ['both sources', { 'source-digest': DIGEST }, /"source" .* cannot be combined with "source-digest"/],
    ['no source', { source: '' }, /"source" is required/],
    ['a malformed source', { source: 'user/Image:tag' }, /input "source" is "user\/Image:tag"/],
    [
      'a malformed digest',
      { source: '', 'source-digest': 'sha256:abc' },
      /input "source-digest" is "sha256:abc"/,
    ],
    [
      'a digest of another repository',
      { source: '', 'source-digest': `${GOOD.registry}/cal-icor-hubs/user-images/other@${DIGEST}` },
      /names the repository .*\/other, not the target/,
    ],
    [
      'a bound out of range',
      { 'max-attempts': '0' },
      /"max-attempts" is "0": expected a whole number from 1 to 20/,
    ],
  ])('rejects %s, naming the input', (_name, values, message) => {
    const found = problems({ ...GOOD, ...values });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it('reports every problem at once', () => {
    expect(
      problems({ tags: '', registry: 'ghcr.io', 'gar-only': 'true', source: '', 'service-account': '' }),
    ).toHaveLength(4);
  });

  it('never quotes a key in its error', () => {
    const text = problems({ ...GOOD, 'credentials-json': KEY }).join('\n');
    expect(text).not.toContain('PRIVATE KEY');
  });
});
