// What to tell the user when the registry refuses a push for good. A denial or an unknown repository never
// goes away by waiting, so these are not retried; the message says exactly what was tried and what to check.
import type { LoginFailure } from '@hub-image-actions/gar-auth';
import { isGarHost, type GarAddress } from '@hub-image-actions/image-ref';

export type RefusalKind = 'denied' | 'name-unknown' | 'unauthorized' | 'unknown-host';

export interface Attempt {
  /** Registry host, e.g. `us-central1-docker.pkg.dev`. */
  host: string;
  /** Repository path on that host, e.g. `cal-icor-hubs/user-images/base-user-image`. */
  path: string;
  gar: GarAddress | undefined;
  /** Who asked: a service-account e-mail when known. */
  identity: string | undefined;
  authMode: 'workload-identity' | 'credentials-json' | 'access-token';
  /** The exact request that was refused, when known (`PUT https://…/v2/…/manifests/v1`). */
  request?: string;
  /** Whether a freshly minted token was refused too. */
  afterNewToken?: boolean;
}

export interface Diagnosis {
  message: string;
  fix: string;
}

interface GarRepository {
  project: string;
  location: string;
  repository: string;
}

/** The repository GAR names in its errors: `projects/P/locations/L/repositories/R`. */
export function garRepositoryIn(detail: string): GarRepository | undefined {
  const match = /projects\/([^/\s"]+)\/locations\/([^/\s"]+)\/repositories\/([^/\s")]+)/.exec(detail);
  if (match === null) return undefined;
  const [, project = '', location = '', repository = ''] = match;
  return { project, location, repository };
}

function garRepository(attempt: Attempt, detail: string): GarRepository | undefined {
  if (attempt.gar !== undefined) {
    return {
      project: attempt.gar.project,
      location: attempt.gar.location,
      repository: attempt.gar.repository,
    };
  }
  return garRepositoryIn(detail);
}

function isGar(attempt: Attempt, detail: string): boolean {
  return isGarHost(attempt.host) || /artifactregistry\.|\(or it may not exist\)/.test(detail);
}

function who(attempt: Attempt): string {
  if (attempt.identity !== undefined) return attempt.identity;
  return attempt.authMode === 'access-token' ? 'the identity behind "access-token"' : 'the service account';
}

function tried(attempt: Attempt): string {
  return `host ${attempt.host}, repository path ${attempt.path}${attempt.request ? `, request ${attempt.request}` : ''}`;
}

function garCauses(
  attempt: Attempt,
  repo: GarRepository | undefined,
  unauthenticated: boolean,
  closing = 'Not retried: a denial does not go away by waiting.',
): string {
  const r = repo ?? { project: 'PROJECT', location: 'LOCATION', repository: 'REPOSITORY' };
  const member = attempt.identity !== undefined ? `serviceAccount:${attempt.identity}` : 'MEMBER';
  const lines = [
    'It is one of three things:',
    `  1. A missing role: ${who(attempt)} needs roles/artifactregistry.writer on repository "${r.repository}" of project "${r.project}":`,
    `       gcloud artifacts repositories add-iam-policy-binding ${r.repository} --project=${r.project} --location=${r.location} --member=${member} --role=roles/artifactregistry.writer`,
    `  2. The repository was never created: "${r.repository}" must exist in location ${r.location} of project "${r.project}":`,
    `       gcloud artifacts repositories create ${r.repository} --repository-format=docker --location=${r.location} --project=${r.project}`,
    `  3. The wrong regional host: ${attempt.host} serves location ${r.location} only; if the repository lives in another location, use that location's host (LOCATION-docker.pkg.dev):`,
    `       gcloud artifacts repositories list --project=${r.project}`,
  ];
  if (unauthenticated) {
    lines.unshift(
      `The request reached the registry without a credential it accepted: check that the token was minted for ${attempt.host}'s project and that the identity is enabled.`,
    );
  }
  lines.push(closing);
  return lines.join('\n');
}

export function diagnoseRefusal(kind: RefusalKind, detail: string, attempt: Attempt): Diagnosis {
  const target = `${attempt.host}/${attempt.path}`;
  const gar = isGar(attempt, detail);
  const repo = gar ? garRepository(attempt, detail) : undefined;
  switch (kind) {
    case 'denied':
      return gar
        ? {
            message: `Artifact Registry denied access to ${target} (${tried(attempt)}): ${detail}`,
            fix: garCauses(attempt, repo, /unauthenticated/i.test(detail)),
          }
        : {
            message: `the registry denied access to ${target} (${tried(attempt)}): ${detail}`,
            fix: `Check that ${who(attempt)} may push to ${attempt.path} on ${attempt.host}. Not retried: a denial does not go away by waiting`,
          };
    case 'name-unknown':
      return gar
        ? {
            message: `Artifact Registry has no repository for ${target} (${tried(attempt)}): ${detail}`,
            fix: garCauses(attempt, repo, false, 'Not retried: the repository will not appear by waiting.'),
          }
        : {
            message: `the registry has no repository ${attempt.path} on ${attempt.host} (${tried(attempt)}): ${detail}`,
            fix: 'Create the repository, or correct the image path. Not retried',
          };
    case 'unauthorized':
      return {
        message: `the registry ${attempt.host} rejected the ${attempt.authMode === 'access-token' ? 'access token given in "access-token"' : 'access token'}${
          attempt.afterNewToken ? ', and then a freshly minted one too' : ''
        } (${tried(attempt)}): ${detail}`,
        fix:
          attempt.authMode === 'access-token'
            ? 'A given token cannot be renewed and expires (after 1 hour, or about 5 minutes for direct federation): mint it in this job right before this step, or let this action mint its own with "workload-identity-provider" + "service-account"'
            : `Check that ${who(attempt)} is enabled and that its token is for ${attempt.host}`,
      };
    case 'unknown-host':
      return {
        message: `${attempt.host} does not resolve (${detail})`,
        fix: gar
          ? `Artifact Registry hosts are LOCATION-docker.pkg.dev, e.g. us-central1-docker.pkg.dev or us-docker.pkg.dev; use the location of the repository (gcloud artifacts repositories list --project=${repo?.project ?? 'PROJECT'})`
          : 'Check the registry host',
      };
  }
}

function credentialOf(attempt: Attempt): string {
  switch (attempt.authMode) {
    case 'workload-identity':
      return `an access token minted keyless (workload-identity-provider + service-account) for ${who(attempt)}`;
    case 'credentials-json':
      return `an access token minted from the key in "credentials-json" of ${who(attempt)}`;
    case 'access-token':
      return 'the token given in "access-token"';
  }
}

function tokenCheck(attempt: Attempt): string {
  switch (attempt.authMode) {
    case 'workload-identity':
      return `that ${who(attempt)} is enabled and belongs to the project of the repository`;
    case 'credentials-json':
      return `that ${who(attempt)} and its key are not disabled or deleted`;
    case 'access-token':
      return 'that the token in "access-token" is a current Google access token: they expire after 1 hour (about 5 minutes for direct federation), so mint it right before this step, or let this action mint its own';
  }
}

/** What to tell the user when `docker login` failed for good: a denial, or a failure docker gave no status for. */
export function diagnoseLoginFailure(failure: LoginFailure, attempt: Attempt): Diagnosis {
  if (failure.kind !== 'denied') {
    return {
      message: `docker login to ${attempt.host} failed: ${failure.message}`,
      fix: `Check the registry host ${attempt.host} and that dockerd on this runner can reach it`,
    };
  }
  const message = `docker login to ${attempt.host} was refused (${failure.message}); it sent ${credentialOf(attempt)}`;
  const steps = [`Check ${tokenCheck(attempt)}.`];
  if (isGar(attempt, failure.message)) {
    const r = garRepository(attempt, failure.message) ?? {
      project: 'PROJECT',
      location: 'LOCATION',
      repository: 'REPOSITORY',
    };
    const member = attempt.identity !== undefined ? `serviceAccount:${attempt.identity}` : 'MEMBER';
    steps.push(
      `Check that ${who(attempt)} has roles/artifactregistry.writer on repository "${r.repository}" of project "${r.project}":`,
      `  gcloud artifacts repositories add-iam-policy-binding ${r.repository} --project=${r.project} --location=${r.location} --member=${member} --role=roles/artifactregistry.writer`,
    );
  } else {
    steps.push(`Check that ${who(attempt)} may push to ${attempt.path} on ${attempt.host}.`);
  }
  steps.push('Not retried: a denial does not go away by waiting.');
  return { message, fix: steps.join('\n') };
}
