// The hostile-input table of push-to-gar: bad names and tags, damaged or misspelt credentials, ranges at and beyond
// their bounds, keywords and hosts in any case, a registry with nothing listening. Each row fails before anything is
// pushed (the registry's storage unchanged), leaves no docker config in RUNNER_TEMP and shows no secret.
import { beforeAll, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { freePort } from '@hub-image-actions/local-world/net';
import {
  hostileTable,
  rowsOf,
  treeListing,
  type HostileRow,
} from '@hub-image-actions/local-world/hostile-table';
import { makeTempDir } from '@hub-image-actions/local-world/tmp';
import { buildImage, secretsOf, uniqueRepository, useServices, type Services } from './helpers.js';

jest.setTimeout(120_000);

const ACTION = 'push-to-gar';
let s: Services;
let source: string;
let ws: string;
let port: number;
useServices((started) => (s = started));
beforeAll(async () => {
  source = (await buildImage('hostile')).ref;
  ws = await makeTempDir('push-hostile-ws');
  port = await freePort();
});

const key = () => JSON.parse(s.google.serviceAccountKey().json) as Record<string, string>;
const { refused, accepted } = rowsOf(ACTION, { bad: ['max-attempts', '0'] });
const RANGE = {
  'max-attempts': 'expected a whole number from 1 to 20',
  'retry-timeout': 'expected a whole number from 10 to 21600',
};

const rows: HostileRow[] = [
  refused('max-attempts', '0', RANGE['max-attempts']),
  refused('max-attempts', '21', RANGE['max-attempts']),
  refused('max-attempts', 'many', RANGE['max-attempts']),
  refused('retry-timeout', '9', RANGE['retry-timeout']),
  refused('retry-timeout', '21601', RANGE['retry-timeout']),
  refused('overwrite', 'yes', 'expected true or false'),
  refused('gar-only', 'maybe', 'expected true or false'),
  refused('tags', 'v1:latest'),
  refused('image', 'reg.example//image'),
  refused('image', 'reg.example/Hub/Image'),
  accepted({ 'max-attempts': '1' }, undefined, ['retry-timeout', '9']),
  accepted({ 'max-attempts': '20' }, undefined, ['retry-timeout', '9']),
  accepted({ 'retry-timeout': '10' }),
  accepted({ 'retry-timeout': '21600' }),
  accepted({ overwrite: 'True', 'gar-only': 'FALSE' }),
  accepted(
    { image: 'US-CENTRAL1-DOCKER.PKG.DEV/hub-images/user-images/base', 'gar-only': 'true' },
    'an Artifact Registry host in upper case, with gar-only',
  ),
  {
    name: 'credentials-json: whitespace only',
    inputs: { 'credentials-json': ' \n' },
    error:
      /^push-to-gar action failed: input "credentials-json" is set, but only to whitespace: the secret it comes from is probably empty/,
  },
  {
    name: 'credentials-json: a key with a corrupt body',
    inputs: () => {
      const pem = key()['private_key'] ?? '';
      const corrupt = pem.replace(/\n(.)/, (_m, c: string) => `\n${c === 'A' ? 'B' : 'A'}`);
      return { 'credentials-json': JSON.stringify({ ...key(), private_key: corrupt }) };
    },
    error:
      /^push-to-gar action failed: input "credentials-json" has a "private_key" whose body cannot be read as a key/,
  },
  {
    name: 'credentials-json: the key JSON-encoded twice',
    inputs: () => ({ 'credentials-json': JSON.stringify(s.google.serviceAccountKey().json) }),
    error: /^push-to-gar action failed: input "credentials-json" is the key file JSON-encoded a second time/,
  },
  {
    name: 'credentials-json: not JSON',
    inputs: { 'credentials-json': '{"type": "service_account", ' },
    error: /^push-to-gar action failed: input "credentials-json" /,
  },
  {
    name: 'a misspelt credential-json: a warning names both, and the error says no auth input has a value',
    inputs: () => ({ 'credentials-json': '', 'credential-json': s.google.serviceAccountKey().json }),
    warning:
      /^input "credential-json" is not an input of push-to-gar, so its value is ignored; did you mean "credentials-json"\?/,
    error:
      /^push-to-gar action failed: input "workload-identity-provider", "service-account", "credentials-json" or "access-token" is required: none of the auth inputs has a value/,
  },
  {
    name: 'source: an image that does not exist',
    inputs: { source: `hia-test/never-built-${randomBytes(3).toString('hex')}:nope` },
    error:
      /^push-to-gar action failed: input "source" is "hia-test\/never-built-[0-9a-f]+:nope": no such image/,
  },
  {
    name: 'a registry with nothing listening',
    inputs: () => ({ image: `127.0.0.1:${port}/${uniqueRepository('nothing')}` }),
    error: () =>
      new RegExp(
        `^push-to-gar action failed: nothing answers at 127\\.0\\.0\\.1:${port}: connection refused .*no token was minted and docker did not log in`,
      ),
  },
];

hostileTable(
  'push-to-gar: hostile inputs',
  {
    action: ACTION,
    inputs: () => ({
      image: `${s.registry.host}/${uniqueRepository('hostile')}`,
      tags: 'v1',
      source,
      'credentials-json': s.google.serviceAccountKey().json,
    }),
    workspace: () => ws,
    secrets: () => secretsOf(s.google),
    world: async () => ({
      registry: await treeListing(s.registry.storageDir),
      tokens: s.google.issued.length,
    }),
    recordArgvOf: ['docker'],
  },
  rows,
);
