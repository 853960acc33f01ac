import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import {
  garAddressFrom,
  isGarHost,
  parseImageName,
  validateDigest,
  validateTag,
  type ImageName,
} from '@hub-image-actions/image-ref';

export type Auth =
  | { mode: 'workload-identity'; provider: string; serviceAccount: string }
  | { mode: 'credentials-json'; json: string }
  | { mode: 'access-token'; token: string };

export type Source = { kind: 'image'; ref: string } | { kind: 'digest'; digest: string };

export interface Inputs {
  target: ImageName;
  tags: string[];
  source: Source;
  overwrite: boolean;
  auth: Auth;
  maxAttempts: number;
  retryTimeoutSeconds: number;
}

const WIF_PROVIDER =
  /^projects\/[0-9]+\/locations\/global\/workloadIdentityPools\/[a-z0-9-]+\/providers\/[a-z0-9-]+$/;
const SERVICE_ACCOUNT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.:-]+\.iam\.gserviceaccount\.com$/;
const AUTH_INPUTS = '"workload-identity-provider" + "service-account", "credentials-json" or "access-token"';

function readTarget(r: InputReader, garOnly: boolean): ImageName | undefined {
  const image = r.optional('image');
  const registry = r.optional('registry');
  const imagePath = r.optional('image-path');
  if (image !== undefined && (registry !== undefined || imagePath !== undefined)) {
    r.reject(
      'image',
      image,
      'cannot be combined with "registry" / "image-path"',
      'Give the whole address, or the two parts.',
    );
    return undefined;
  }
  if (image === undefined && (registry === undefined || imagePath === undefined)) {
    r.reject(
      image === undefined && registry === undefined
        ? 'image'
        : registry === undefined
          ? 'registry'
          : 'image-path',
      undefined,
      'is required: give "image" (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE), or "registry" and "image-path"',
    );
    return undefined;
  }
  const whole = image ?? `${registry}/${imagePath}`;
  const inputName = image !== undefined ? 'image' : 'image-path';
  const name = r.check(inputName, whole, parseImageName);
  if (name === undefined) return undefined;
  if (name.registry === undefined) {
    r.reject(
      inputName,
      whole,
      'has no registry host; expected LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE',
    );
    return undefined;
  }
  if (isGarHost(name.registry)) {
    const gar = r.check(inputName, whole, () => garAddressFrom(name.registry ?? '', name.path));
    return gar?.name;
  }
  if (garOnly) {
    r.reject(
      image !== undefined ? 'image' : 'registry',
      name.registry,
      'is not an Artifact Registry host (LOCATION-docker.pkg.dev) and "gar-only" is true',
    );
    return undefined;
  }
  return name;
}

function readSource(r: InputReader): Source | undefined {
  const ref = r.optional('source');
  const digest = r.optional('source-digest');
  if ((ref === undefined) === (digest === undefined)) {
    r.reject(
      'source',
      ref,
      ref === undefined
        ? 'is required: give "source" (a local image) or "source-digest"'
        : 'cannot be combined with "source-digest"',
    );
    return undefined;
  }
  if (digest !== undefined) {
    const valid = r.check('source-digest', digest, validateDigest);
    return valid === undefined ? undefined : { kind: 'digest', digest: valid };
  }
  return { kind: 'image', ref: ref ?? '' };
}

function readAuth(r: InputReader): Auth | undefined {
  const provider = r.optional('workload-identity-provider');
  const serviceAccount = r.optional('service-account');
  const json = r.secret('credentials-json');
  const token = r.secret('access-token');
  const modes = [
    provider !== undefined || serviceAccount !== undefined,
    json !== undefined,
    token !== undefined,
  ];
  const given = modes.filter(Boolean).length;
  if (given !== 1) {
    r.reject(
      'workload-identity-provider',
      undefined,
      given === 0
        ? `needs exactly one auth mode: ${AUTH_INPUTS}`
        : `conflicts: exactly one auth mode may be given, of ${AUTH_INPUTS}`,
    );
    return undefined;
  }
  if (json !== undefined) return { mode: 'credentials-json', json };
  if (token !== undefined) return { mode: 'access-token', token };
  if (provider === undefined || serviceAccount === undefined) {
    r.reject(
      provider === undefined ? 'workload-identity-provider' : 'service-account',
      undefined,
      'is required for keyless auth: give both "workload-identity-provider" and "service-account"',
    );
    return undefined;
  }
  if (!WIF_PROVIDER.test(provider)) {
    r.reject(
      'workload-identity-provider',
      provider,
      'expected projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER (the project number, not its id)',
    );
  }
  if (!SERVICE_ACCOUNT.test(serviceAccount)) {
    r.reject(
      'service-account',
      serviceAccount,
      'expected a service-account e-mail, NAME@PROJECT.iam.gserviceaccount.com',
    );
  }
  return { mode: 'workload-identity', provider, serviceAccount };
}

/** Reads and validates every input; throws all problems at once, before any network call. */
export function readInputs(source: InputSource = runnerInputs): Inputs {
  const r = new InputReader(source);
  const target = readTarget(r, r.boolean('gar-only', false));
  const tags = r.list('tags');
  if (tags.length === 0) r.reject('tags', undefined, 'is required: give at least one tag');
  for (const tag of tags) r.check('tags', tag, validateTag);
  const inputs = {
    target,
    tags,
    source: readSource(r),
    overwrite: r.boolean('overwrite', false),
    auth: readAuth(r),
    maxAttempts: r.integer('max-attempts', 5, { min: 1, max: 20 }),
    retryTimeoutSeconds: r.integer('retry-timeout', 600, { min: 1, max: 7200 }),
  };
  r.finish();
  return inputs as Inputs;
}
