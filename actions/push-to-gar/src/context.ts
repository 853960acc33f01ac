import { InputReader, type InputSource, runnerInputs } from '@hub-image-actions/action-io';
import { readGarAuth, type GarAuth } from '@hub-image-actions/gar-auth';
import {
  garAddressFrom,
  InvalidGarAddressError,
  InvalidReferenceError,
  isGarHost,
  parseImageName,
  parseReference,
  validateDigest,
  validateTag,
  type GarAddress,
  type ImageName,
} from '@hub-image-actions/image-ref';

export type Source = { kind: 'image'; ref: string } | { kind: 'digest'; digest: string };

export interface Inputs {
  /** The repository pushed to: registry host (in lower case) and path. */
  target: ImageName & { registry: string };
  /** The host as the input spelt it, when that differs from `target.registry` (in case only). */
  hostAsGiven: string | undefined;
  /** Set when the host is an Artifact Registry host: its location, project and repository. */
  gar: GarAddress | undefined;
  tags: string[];
  source: Source;
  overwrite: boolean;
  auth: GarAuth;
  maxAttempts: number;
  retryTimeoutSeconds: number;
}

const TARGET_SHAPE = 'LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE';
// A local image as docker names it: a reference (name, name:tag, name@digest) or an image id, full or short.
const IMAGE_ID = /^(sha256:)?[0-9a-f]{12,64}$/;

interface Target {
  name: ImageName & { registry: string };
  gar: GarAddress | undefined;
  hostAsGiven: string;
}

function readTarget(r: InputReader, garOnly: boolean): Target | undefined {
  const image = r.optional('image');
  const registry = r.optional('registry');
  const imagePath = r.optional('image-path');
  if (image !== undefined && (registry !== undefined || imagePath !== undefined)) {
    r.reject(
      'image',
      image,
      `cannot be combined with ${registry !== undefined ? '"registry"' : '"image-path"'}`,
      'Give the whole address in "image", or its two parts in "registry" and "image-path"',
    );
    return undefined;
  }
  if (image === undefined && (registry === undefined || imagePath === undefined)) {
    const missing =
      registry === undefined && imagePath === undefined
        ? 'image'
        : registry === undefined
          ? 'registry'
          : 'image-path';
    r.reject(
      missing,
      undefined,
      `is required: give "image" (${TARGET_SHAPE}), or "registry" (LOCATION-docker.pkg.dev) and "image-path" (PROJECT/REPOSITORY/IMAGE)`,
    );
    return undefined;
  }
  const whole = image ?? `${registry}/${imagePath}`;
  const inputName = image !== undefined ? 'image' : 'image-path';
  if (image === undefined && registry !== undefined && registry.includes('/')) {
    r.reject(
      'registry',
      registry,
      'is a host only, e.g. "us-central1-docker.pkg.dev"; put the path in "image-path"',
    );
    return undefined;
  }
  const slash = whole.indexOf('/');
  const host = slash < 0 ? '' : whole.slice(0, slash);
  // GAR addresses are checked part by part first, so an error names the project or repository that is wrong.
  if (isGarHost(host)) {
    try {
      const gar = garAddressFrom(host, whole.slice(slash + 1));
      return { name: { ...gar.name, registry: gar.host }, gar, hostAsGiven: host };
    } catch (error) {
      if (!(error instanceof InvalidGarAddressError) && !(error instanceof InvalidReferenceError))
        throw error;
      const hostPart =
        error instanceof InvalidGarAddressError && (error.part === 'host' || error.part === 'location');
      const input = image !== undefined ? 'image' : hostPart ? 'registry' : 'image-path';
      r.reject(input, image ?? (hostPart ? host : imagePath), error.message);
      return undefined;
    }
  }
  const name = r.check(inputName, whole, parseImageName);
  if (name === undefined) return undefined;
  if (name.registry === undefined) {
    r.reject(inputName, whole, `has no registry host; expected ${TARGET_SHAPE}`);
    return undefined;
  }
  if (garOnly) {
    r.reject(
      image !== undefined ? 'image' : 'registry',
      name.registry,
      'is not an Artifact Registry host (LOCATION-docker.pkg.dev) and "gar-only" is true',
      'Use the regional host of the repository, e.g. us-central1-docker.pkg.dev',
    );
    return undefined;
  }
  return { name: { ...name, registry: name.registry }, gar: undefined, hostAsGiven: host };
}

function readSource(r: InputReader, target: Target | undefined): Source | undefined {
  const ref = r.optional('source');
  const digest = r.optional('source-digest');
  if (ref !== undefined && digest !== undefined) {
    r.reject(
      'source',
      ref,
      'cannot be combined with "source-digest"',
      'Give "source" to push a local image, or "source-digest" to add tags to an image the registry already holds',
    );
    return undefined;
  }
  if (ref === undefined && digest === undefined) {
    r.reject(
      'source',
      undefined,
      'is required: give "source" (a local image, e.g. build-image\'s image-ref) or "source-digest" (a digest in the target repository)',
    );
    return undefined;
  }
  if (digest !== undefined) return readSourceDigest(r, digest, target);
  const local = ref ?? '';
  if (!IMAGE_ID.test(local)) {
    const parsed = r.check('source', local, parseReference);
    if (parsed === undefined) return undefined;
  }
  return { kind: 'image', ref: local };
}

/** A bare digest, or `NAME@DIGEST` naming the target repository itself. */
function readSourceDigest(r: InputReader, value: string, target: Target | undefined): Source | undefined {
  if (!value.includes('@')) {
    const digest = r.check('source-digest', value, validateDigest);
    return digest === undefined ? undefined : { kind: 'digest', digest };
  }
  const ref = r.check('source-digest', value, parseReference);
  if (ref === undefined || ref.digest === undefined) return undefined;
  if (target !== undefined && ref.name.full !== target.name.full) {
    r.reject(
      'source-digest',
      value,
      `names the repository ${ref.name.full}, not the target ${target.name.full}`,
      'Tags can be added only to a digest in the same repository; push the image with "source" instead',
    );
    return undefined;
  }
  return { kind: 'digest', digest: ref.digest };
}

function readTags(r: InputReader): string[] {
  const tags = r.list('tags');
  if (tags.length === 0) {
    r.reject(
      'tags',
      undefined,
      'is required: give at least one tag, e.g. the 12-character commit tag build-image outputs',
    );
  }
  for (const tag of tags) r.check('tags', tag, validateTag);
  return [...new Set(tags)];
}

/** Reads and validates every input; throws all problems at once, before any network call. */
export function readInputs(source: InputSource = runnerInputs): Inputs {
  const r = new InputReader(source);
  const target = readTarget(r, r.boolean('gar-only', false));
  const inputs = {
    target: target?.name,
    hostAsGiven: target?.hostAsGiven === target?.name.registry ? undefined : target?.hostAsGiven,
    gar: target?.gar,
    tags: readTags(r),
    source: readSource(r, target),
    overwrite: r.boolean('overwrite', false),
    auth: readGarAuth(r, { required: true }),
    maxAttempts: r.integer('max-attempts', 5, { min: 1, max: 20 }),
    retryTimeoutSeconds: r.integer('retry-timeout', 1800, { min: 10, max: 21600 }),
  };
  r.finish();
  return inputs as Inputs;
}
