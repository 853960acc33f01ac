// Google Artifact Registry addresses: LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE.
// A domain-scoped project `example.com:proj` appears in the path as `example.com/proj`.
import {
  InvalidReferenceError,
  normalizeHost,
  parseImageName,
  validatePathComponent,
  type ImageName,
} from './reference.js';

export type GarPart = 'host' | 'location' | 'project' | 'repository' | 'image';

export class InvalidGarAddressError extends Error {
  constructor(
    readonly part: GarPart,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`GAR ${part} ${JSON.stringify(value)} ${reason}`);
    this.name = 'InvalidGarAddressError';
  }
}

export interface GarAddress {
  /** In lower case, e.g. `us-central1-docker.pkg.dev`. */
  readonly host: string;
  readonly location: string;
  /** The project as GCP names it: `proj` or, domain-scoped, `example.com:proj`. */
  readonly project: string;
  readonly repository: string;
  /** The image path inside the repository; may itself contain "/". */
  readonly image: string;
  readonly name: ImageName;
}

const HOST_SUFFIX = '-docker.pkg.dev';
const LOCATION = /^[a-z]+(?:-[a-z]+[0-9]+)?$/;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const PROJECT_DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/;
const REPOSITORY_ID = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `host` is `LOCATION-docker.pkg.dev`, in any case. */
export function isGarHost(host: string): boolean {
  return normalizeHost(host).endsWith(HOST_SUFFIX);
}

export function garLocation(given: string): string {
  const host = normalizeHost(given);
  if (!isGarHost(host)) {
    throw new InvalidGarAddressError(
      'host',
      given,
      `is not an Artifact Registry host; expected LOCATION${HOST_SUFFIX}`,
    );
  }
  const location = host.slice(0, -HOST_SUFFIX.length);
  if (!LOCATION.test(location)) {
    throw new InvalidGarAddressError(
      'location',
      location,
      'is not a location; expected a region such as "us-central1" or a multi-region such as "us"',
    );
  }
  return location;
}

function validateProjectId(id: string): void {
  if (PROJECT_ID.test(id)) return;
  const why =
    id.length < 6 || id.length > 30
      ? `is ${id.length} characters long; project ids have 6 to 30`
      : !/^[a-z]/.test(id)
        ? 'must start with a lowercase letter'
        : /-$/.test(id)
          ? 'must not end with "-"'
          : 'may contain only lowercase letters, digits and "-"';
  throw new InvalidGarAddressError('project', id, `${why} (the project id, not its number or display name)`);
}

/** Parses `LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE`, naming the part that is wrong. */
export function parseGarAddress(input: string): GarAddress {
  const value = input.trim();
  const slash = value.indexOf('/');
  if (slash < 0) {
    throw new InvalidGarAddressError(
      'host',
      value,
      'is missing; expected LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE',
    );
  }
  return garAddressFrom(value.slice(0, slash), value.slice(slash + 1));
}

/** Builds an address from a host and the `PROJECT/REPOSITORY/IMAGE` path that image repos keep in `IMAGE`. */
export function garAddressFrom(given: string, imagePath: string): GarAddress {
  const host = normalizeHost(given);
  const location = garLocation(host);
  const components = imagePath.split('/');
  let project: string;
  let rest: string[];
  if (components[0] !== undefined && components[0].includes('.')) {
    const domain = components[0];
    const id = components[1] ?? '';
    if (!PROJECT_DOMAIN.test(domain)) {
      throw new InvalidGarAddressError(
        'project',
        `${domain}:${id}`,
        `has the invalid domain ${JSON.stringify(domain)}`,
      );
    }
    validateProjectId(id);
    project = `${domain}:${id}`;
    rest = components.slice(2);
  } else {
    project = components[0] ?? '';
    validateProjectId(project);
    rest = components.slice(1);
  }
  const repository = rest[0] ?? '';
  if (repository === '') {
    throw new InvalidGarAddressError(
      'repository',
      repository,
      'is missing; expected PROJECT/REPOSITORY/IMAGE',
    );
  }
  if (!REPOSITORY_ID.test(repository)) {
    const why = /[A-Z]/.test(repository)
      ? `has uppercase letters; repository ids are lowercase (${JSON.stringify(repository.toLowerCase())})`
      : 'must start with a lowercase letter, end with a letter or digit, and contain only lowercase letters, digits and "-" (at most 63)';
    throw new InvalidGarAddressError('repository', repository, why);
  }
  const imageComponents = rest.slice(1);
  const image = imageComponents.join('/');
  if (image === '') {
    throw new InvalidGarAddressError('image', image, 'is missing; expected PROJECT/REPOSITORY/IMAGE');
  }
  try {
    for (const component of imageComponents) validatePathComponent(component, image);
  } catch (error) {
    if (!(error instanceof InvalidReferenceError)) throw error;
    throw new InvalidGarAddressError('image', image, error.reason);
  }
  const name = parseImageName(`${host}/${imagePath}`);
  return { host, location, project, repository, image, name };
}
