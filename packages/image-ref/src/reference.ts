// OCI image references, following the grammar of the distribution project's `reference` package:
// [registry[:port]/]path-component[/path-component...][:tag][@digest]

export type ReferencePart = 'registry' | 'path' | 'tag' | 'digest';

/** A reference, or a part of one, that does not follow the grammar. `part` says which part is wrong. */
export class InvalidReferenceError extends Error {
  constructor(
    readonly part: ReferencePart,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`${part} ${JSON.stringify(value)} ${reason}`);
    this.name = 'InvalidReferenceError';
  }
}

export interface ImageName {
  /**
   * Registry host with optional port, in lower case (`normalizeHost`), e.g. `us-central1-docker.pkg.dev` or
   * `127.0.0.1:5000`; undefined for a bare name.
   */
  readonly registry: string | undefined;
  /** Repository path inside the registry, e.g. `cal-icor-hubs/user-images/base-user-image`. */
  readonly path: string;
  /** `registry/path`, or `path` for a bare name. */
  readonly full: string;
}

export interface ImageReference {
  readonly name: ImageName;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

const MAX_NAME_LENGTH = 255;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const IPV6_HOST = /^\[[0-9A-Fa-f:.]+\]$/;
const DIGESTS: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export function validateTag(tag: string): string {
  if (tag === '') throw new InvalidReferenceError('tag', tag, 'is empty');
  if (!TAG.test(tag)) {
    const why =
      tag.length > 128
        ? `is ${tag.length} characters long; at most 128 are allowed`
        : /^[.-]/.test(tag)
          ? 'starts with "." or "-"; a tag must start with a letter, digit or "_"'
          : 'may contain only letters, digits, "_", "." and "-"';
    throw new InvalidReferenceError('tag', tag, why);
  }
  return tag;
}

export function validateDigest(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = colon < 0 ? '' : digest.slice(0, colon);
  const pattern = DIGESTS[algorithm];
  if (colon < 0 || pattern === undefined) {
    throw new InvalidReferenceError(
      'digest',
      digest,
      'must look like "sha256:" followed by 64 lowercase hex digits',
    );
  }
  if (!pattern.test(digest.slice(colon + 1))) {
    const hexLength = algorithm === 'sha256' ? 64 : 128;
    throw new InvalidReferenceError(
      'digest',
      digest,
      `must have exactly ${hexLength} lowercase hex digits after "${algorithm}:"`,
    );
  }
  return digest;
}

/**
 * Host names are case-insensitive (RFC 4343), but docker compares them as written: its config keys its
 * credentials by host, and a name tagged `HOST/…` is another name than `host/…`. So every host is used in lower
 * case, the one spelling docker, the registry API and deployment files share.
 */
export function normalizeHost(registry: string): string {
  return registry.toLowerCase();
}

/** Checks `registry` (host and optional port) and returns it in lower case. */
export function validateRegistry(registry: string): string {
  let host = registry;
  const portMatch = /^(.*):([0-9]+)$/.exec(registry);
  if (portMatch && !registry.endsWith(']')) {
    host = portMatch[1] ?? '';
    const port = Number(portMatch[2]);
    if (port < 1 || port > 65535) {
      throw new InvalidReferenceError('registry', registry, `has port ${portMatch[2]}; a port is 1 to 65535`);
    }
  } else if (registry.includes(':') && !IPV6_HOST.test(registry)) {
    throw new InvalidReferenceError('registry', registry, 'has a port that is not a number');
  }
  if (IPV6_HOST.test(host)) return normalizeHost(registry);
  const labels = host.split('.');
  const bad = labels.find((label) => !DOMAIN_LABEL.test(label));
  if (bad !== undefined) {
    throw new InvalidReferenceError(
      'registry',
      registry,
      bad === ''
        ? 'has an empty host name label'
        : `has the host label ${JSON.stringify(bad)}; labels are letters, digits and inner "-"`,
    );
  }
  return normalizeHost(registry);
}

export function validatePathComponent(component: string, wholePath: string): string {
  if (component === '') {
    throw new InvalidReferenceError(
      'path',
      wholePath,
      'has an empty path component (a leading, trailing or double "/")',
    );
  }
  if (PATH_COMPONENT.test(component)) return component;
  if (PATH_COMPONENT.test(component.toLowerCase())) {
    throw new InvalidReferenceError(
      'path',
      wholePath,
      `has the component ${JSON.stringify(component)} with uppercase letters; image paths must be lowercase (${JSON.stringify(component.toLowerCase())})`,
    );
  }
  throw new InvalidReferenceError(
    'path',
    wholePath,
    `has the component ${JSON.stringify(component)}; components are lowercase letters and digits, separated by ".", "_", "__" or "-"`,
  );
}

/**
 * Docker's rule: the first component is a registry when it has a "." or ":", is "localhost", or has an upper-case
 * letter (a path never has one).
 */
function looksLikeRegistry(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component.startsWith('[') ||
    component !== component.toLowerCase()
  );
}

function makeName(registry: string | undefined, path: string): ImageName {
  return { registry, path, full: registry === undefined ? path : `${registry}/${path}` };
}

/** A name without tag or digest, e.g. `us-central1-docker.pkg.dev/proj/repo/image`; the host in lower case. */
export function parseImageName(input: string): ImageName {
  const value = input.trim();
  if (value === '')
    throw new InvalidReferenceError(
      'path',
      input,
      'is empty; expected a name like "registry.example/path/image"',
    );
  if (value.includes('@')) {
    throw new InvalidReferenceError(
      'digest',
      value,
      'is not allowed here; give the image name without "@sha256:…"',
    );
  }
  const slash = value.indexOf('/');
  const first = slash < 0 ? value : value.slice(0, slash);
  const hasRegistry = slash >= 0 && looksLikeRegistry(first);
  const path = hasRegistry ? value.slice(slash + 1) : value;
  const lastComponent = path.slice(path.lastIndexOf('/') + 1);
  if (lastComponent.includes(':')) {
    throw new InvalidReferenceError(
      'tag',
      value,
      `is not allowed here (":${lastComponent.slice(lastComponent.indexOf(':') + 1)}"); give the image name without a tag`,
    );
  }
  const registry = hasRegistry ? validateRegistry(first) : undefined;
  for (const component of path.split('/')) validatePathComponent(component, path);
  if (value.length > MAX_NAME_LENGTH) {
    throw new InvalidReferenceError(
      'path',
      value,
      `is ${value.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  return makeName(registry, path);
}

/** A full reference: name with an optional tag and an optional digest. */
export function parseReference(input: string): ImageReference {
  let rest = input.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = validateDigest(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon >= 0) {
    tag = validateTag(rest.slice(colon + 1));
    rest = rest.slice(0, colon);
  }
  return { name: parseImageName(rest), tag, digest };
}

export function formatReference(ref: {
  name: ImageName;
  tag?: string | undefined;
  digest?: string | undefined;
}): string {
  let out = ref.name.full;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** The tag image repos use: the first 12 hex characters of the commit. */
export function shortShaTag(sha: string): string {
  if (!/^[0-9a-f]{12,64}$/i.test(sha)) {
    throw new InvalidReferenceError(
      'tag',
      sha,
      'cannot be made from this commit: expected a hex commit SHA of 12 to 64 characters',
    );
  }
  return sha.slice(0, 12).toLowerCase();
}
