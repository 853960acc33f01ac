// What a user who got something slightly wrong sees: a registry host in upper case, a registry with nothing
// listening, and keys that are damaged, encoded twice, blank, in PKCS#1 form or given under a misspelt name. Each
// message names the real problem, and nothing is minted or logged in when it need not be.
import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { imageExists } from '@hub-image-actions/local-world/docker-engine';
import { freePort } from '@hub-image-actions/local-world/net';
import {
  buildImage,
  dockerConfigsLeft,
  leaksOf,
  push,
  requests,
  uniqueRepository,
  useServices,
  type Services,
} from './helpers.js';

jest.setTimeout(120_000);

let s: Services;
let image: { ref: string; id: string };
useServices((started) => (s = started));
beforeAll(async () => {
  image = await buildImage('errors');
});

const dockerCalls = (argv: string[][], command: string) => argv.filter((call) => call.includes(command));

describe('registry hosts in any case', () => {
  it('LOCALHOST:PORT is used as localhost:PORT: plain http like docker, and the push succeeds', async () => {
    const port = s.proxy.host.split(':')[1] ?? '';
    const repository = uniqueRepository('upper-localhost');
    const run = await push({
      inputs: {
        image: `LOCALHOST:${port}/${repository}`,
        tags: 'v1',
        source: image.ref,
        'credentials-json': s.google.serviceAccountKey().json,
      },
    });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain(
      `Host:     LOCALHOST:${port} is used as localhost:${port}: host names are case-insensitive, and docker and the registry API get this one spelling`,
    );
    expect(run.log).toContain(`http://localhost:${port} answers (401 to GET /v2/ without credentials).`);
    expect(run.outputs['image']).toBe(`localhost:${port}/${repository}@${run.outputs['digest']}`);
    expect(run.outputs['refs']).toBe(`localhost:${port}/${repository}:v1`);
    expect(await s.registry.manifestDigest(repository, 'v1')).toBe(run.outputs['digest']);
    expect(dockerCalls(run.argv, 'login')[0]?.at(-1)).toBe(`localhost:${port}`);
    expect(dockerCalls(run.argv, 'push')[0]?.at(-1)).toBe(`localhost:${port}/${repository}:v1`);
    expect(await imageExists(`localhost:${port}/${repository}:v1`)).toBe(false);
    expect(await leaksOf(s.google, [run])).toEqual([]);
  });

  it('US-CENTRAL1-DOCKER.PKG.DEV is an Artifact Registry host, also with gar-only', async () => {
    // A local image that does not exist stops the run before anything is minted or logged in.
    const run = await push({
      inputs: {
        image: 'US-CENTRAL1-DOCKER.PKG.DEV/hub-images/user-images/base-user-image',
        'gar-only': 'true',
        tags: 'v1',
        source: 'hia-test/never-built:nope',
        'credentials-json': s.google.serviceAccountKey().json,
      },
    });
    expect(run.log).toContain(
      'Target:   us-central1-docker.pkg.dev/hub-images/user-images/base-user-image (Artifact Registry: project hub-images, location us-central1, repository user-images)',
    );
    expect(run.log).toContain(
      'Host:     US-CENTRAL1-DOCKER.PKG.DEV is used as us-central1-docker.pkg.dev: host names are case-insensitive',
    );
    expect(run.annotations[0]?.message).toMatch(
      /^push-to-gar action failed: input "source" is "hia-test\/never-built:nope": no such image/,
    );
  });
});

describe('a registry with nothing listening', () => {
  it('says the connection was refused where, before any token is minted or docker logs in', async () => {
    const port = await freePort();
    const googleCalls = s.google.requests.length;
    const run = await push({
      inputs: {
        image: `127.0.0.1:${port}/${uniqueRepository('nothing')}`,
        tags: 'v1',
        source: image.ref,
        'credentials-json': s.google.serviceAccountKey().json,
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.annotations.map((a) => a.message)).toEqual([
      `push-to-gar action failed: nothing answers at 127.0.0.1:${port}: connection refused at 127.0.0.1:${port} (ECONNREFUSED), for GET http://127.0.0.1:${port}/v2/; no token was minted and docker did not log in. Check the host and port in "image" (or "registry"), and that the registry is running and reachable from this runner`,
    ]);
    expect(run.log).not.toMatch(/Retrying in|failing or throttling/);
    expect(s.google.requests.length).toBe(googleCalls);
    expect(dockerCalls(run.argv, 'login')).toEqual([]);
    expect(await dockerConfigsLeft(run)).toEqual([]);
  });
});

describe('keys and auth inputs', () => {
  const key = () => JSON.parse(s.google.serviceAccountKey().json) as Record<string, string>;

  async function pushWith(auth: Record<string, string>) {
    s.proxy.clearLog();
    const googleCalls = s.google.requests.length;
    const run = await push({
      inputs: {
        image: `${s.proxy.host}/${uniqueRepository('keys')}`,
        tags: 'v1',
        source: image.ref,
        ...auth,
      },
    });
    return { run, googleCalls: s.google.requests.length - googleCalls };
  }

  it.each([
    [
      'a key with a corrupt body',
      () => {
        const pem = key()['private_key'] ?? '';
        const corrupt = pem.replace(/\n(.)/, (_m, c: string) => `\n${c === 'A' ? 'B' : 'A'}`);
        return { 'credentials-json': JSON.stringify({ ...key(), private_key: corrupt }) };
      },
      /^push-to-gar action failed: input "credentials-json" has a "private_key" whose body cannot be read as a key \(OpenSSL: [^)]+\): it was changed after it was downloaded/,
    ],
    [
      'a key JSON-encoded twice',
      () => ({ 'credentials-json': JSON.stringify(s.google.serviceAccountKey().json) }),
      /^push-to-gar action failed: input "credentials-json" is the key file JSON-encoded a second time/,
    ],
    [
      'a credentials-json of whitespace only',
      () => ({ 'credentials-json': ' \n' }),
      /^push-to-gar action failed: input "credentials-json" is set, but only to whitespace: the secret it comes from is probably empty/,
    ],
    [
      'a misspelt credential-json',
      () => ({ 'credential-json': s.google.serviceAccountKey().json }),
      /^push-to-gar action failed: input "workload-identity-provider", "service-account", "credentials-json" or "access-token" is required: none of the auth inputs has a value; .*An input under another name is not read \(check the spelling in `with:`\)/,
    ],
  ])('%s: the input is named with what is wrong, before any request', async (_name, auth, message) => {
    const { run, googleCalls } = await pushWith(auth());
    expect(run.exitCode).toBe(1);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(message);
    expect(run.log).not.toMatch(/by Google|not valid JSON/);
    expect(googleCalls).toBe(0);
    expect(requests(s.proxy)).toEqual([]);
    expect(run.argv).toEqual([]);
  });

  it('a PKCS#1 key (BEGIN RSA PRIVATE KEY) is signed with like the key file Google gives', async () => {
    const pkcs1 = createPrivateKey(key()['private_key'] ?? '')
      .export({ type: 'pkcs1', format: 'pem' })
      .toString();
    expect(pkcs1).toContain('-----BEGIN RSA PRIVATE KEY-----');
    const { run } = await pushWith({ 'credentials-json': JSON.stringify({ ...key(), private_key: pkcs1 }) });
    expect(run.exitCode).toBe(0);
    expect(run.log).toContain('Minted an access token (key of');
    expect(await leaksOf(s.google, [run])).toEqual([]);
  });
});
