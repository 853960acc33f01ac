import { describe, expect, it } from '@jest/globals';
import { garAddressFrom } from '@hub-image-actions/image-ref';
import { diagnoseLoginFailure, diagnoseRefusal, garRepositoryIn, type Attempt } from '../src/diagnosis.js';

const GAR_DENIED =
  'denied: Permission "artifactregistry.repositories.uploadArtifacts" denied on resource "projects/cal-icor-hubs/locations/us-central1/repositories/user-images" (or it may not exist)';
const gar = garAddressFrom('us-central1-docker.pkg.dev', 'cal-icor-hubs/user-images/base-user-image');
const attempt: Attempt = {
  host: 'us-central1-docker.pkg.dev',
  path: 'cal-icor-hubs/user-images/base-user-image',
  gar,
  identity: 'image-pusher@cal-icor-hubs.iam.gserviceaccount.com',
  authMode: 'workload-identity',
};

describe('diagnoseRefusal', () => {
  it("gives GAR's denial its three causes, with the exact host and path tried and commands to check each", () => {
    const { message, fix } = diagnoseRefusal('denied', GAR_DENIED, {
      ...attempt,
      request:
        'PUT https://us-central1-docker.pkg.dev/v2/cal-icor-hubs/user-images/base-user-image/manifests/v1',
    });
    expect(message).toBe(
      'Artifact Registry denied access to us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image ' +
        '(host us-central1-docker.pkg.dev, repository path cal-icor-hubs/user-images/base-user-image, ' +
        'request PUT https://us-central1-docker.pkg.dev/v2/cal-icor-hubs/user-images/base-user-image/manifests/v1): ' +
        GAR_DENIED,
    );
    expect(fix.split('\n')).toEqual([
      'It is one of three things:',
      '  1. A missing role: image-pusher@cal-icor-hubs.iam.gserviceaccount.com needs roles/artifactregistry.writer on repository "user-images" of project "cal-icor-hubs":',
      '       gcloud artifacts repositories add-iam-policy-binding user-images --project=cal-icor-hubs --location=us-central1 --member=serviceAccount:image-pusher@cal-icor-hubs.iam.gserviceaccount.com --role=roles/artifactregistry.writer',
      '  2. The repository was never created: "user-images" must exist in location us-central1 of project "cal-icor-hubs":',
      '       gcloud artifacts repositories create user-images --repository-format=docker --location=us-central1 --project=cal-icor-hubs',
      "  3. The wrong regional host: us-central1-docker.pkg.dev serves location us-central1 only; if the repository lives in another location, use that location's host (LOCATION-docker.pkg.dev):",
      '       gcloud artifacts repositories list --project=cal-icor-hubs',
      'Not retried: a denial does not go away by waiting.',
    ]);
  });

  it("reads the repository from GAR's message when the host is not GAR (a test host or a mirror)", () => {
    const { message, fix } = diagnoseRefusal('denied', GAR_DENIED, {
      ...attempt,
      host: '127.0.0.1:5000',
      gar: undefined,
    });
    expect(message).toMatch(/^Artifact Registry denied access to 127\.0\.0\.1:5000\/cal-icor-hubs/);
    expect(fix).toContain('--location=us-central1 --project=cal-icor-hubs');
  });

  it('says a request arrived without a credential GAR accepted', () => {
    const { fix } = diagnoseRefusal(
      'denied',
      'denied: Unauthenticated request. Unauthenticated requests do not have permission "artifactregistry.repositories.uploadArtifacts" on resource "projects/p-roject/locations/us/repositories/r" (or it may not exist)',
      attempt,
    );
    expect(fix.split('\n')[0]).toMatch(/^The request reached the registry without a credential it accepted/);
  });

  it('keeps other registries to a plain denial', () => {
    const { message, fix } = diagnoseRefusal('denied', 'denied: requested access to the resource is denied', {
      ...attempt,
      host: 'registry.example.org',
      gar: undefined,
      identity: undefined,
      authMode: 'access-token',
    });
    expect(message).toBe(
      'the registry denied access to registry.example.org/cal-icor-hubs/user-images/base-user-image (host registry.example.org, repository path cal-icor-hubs/user-images/base-user-image): denied: requested access to the resource is denied',
    );
    expect(fix).toMatch(/^Check that the identity behind "access-token" may push/);
  });

  it('explains an unknown GAR repository', () => {
    const { message, fix } = diagnoseRefusal(
      'name-unknown',
      'name unknown: Repository "user-images" not found',
      attempt,
    );
    expect(message).toMatch(
      /^Artifact Registry has no repository for us-central1-docker\.pkg\.dev\/cal-icor-hubs/,
    );
    expect(fix.split('\n')).toEqual([
      'It is one of three things:',
      '  1. A missing role: image-pusher@cal-icor-hubs.iam.gserviceaccount.com needs roles/artifactregistry.writer on repository "user-images" of project "cal-icor-hubs":',
      '       gcloud artifacts repositories add-iam-policy-binding user-images --project=cal-icor-hubs --location=us-central1 --member=serviceAccount:image-pusher@cal-icor-hubs.iam.gserviceaccount.com --role=roles/artifactregistry.writer',
      '  2. The repository was never created: "user-images" must exist in location us-central1 of project "cal-icor-hubs":',
      '       gcloud artifacts repositories create user-images --repository-format=docker --location=us-central1 --project=cal-icor-hubs',
      "  3. The wrong regional host: us-central1-docker.pkg.dev serves location us-central1 only; if the repository lives in another location, use that location's host (LOCATION-docker.pkg.dev):",
      '       gcloud artifacts repositories list --project=cal-icor-hubs',
      'Not retried: the repository will not appear by waiting.',
    ]);
  });

  it('tells a given token from a minted one when the registry rejects it', () => {
    expect(
      diagnoseRefusal('unauthorized', 'unauthorized: authentication required', {
        ...attempt,
        authMode: 'access-token',
      }).fix,
    ).toMatch(/mint it in this job right before this step/);
    expect(
      diagnoseRefusal('unauthorized', 'unauthorized', { ...attempt, afterNewToken: true }).message,
    ).toMatch(/rejected the access token, and then a freshly minted one too/);
  });

  it('points a host that does not resolve at the regional host names', () => {
    const { fix } = diagnoseRefusal('unknown-host', 'no such host', {
      ...attempt,
      host: 'us-centrall-docker.pkg.dev',
    });
    expect(fix).toMatch(/^Artifact Registry hosts are LOCATION-docker\.pkg\.dev/);
  });
});

describe('garRepositoryIn', () => {
  it('finds the repository GAR names', () => {
    expect(garRepositoryIn(GAR_DENIED)).toEqual({
      project: 'cal-icor-hubs',
      location: 'us-central1',
      repository: 'user-images',
    });
    expect(garRepositoryIn('denied: nothing here')).toBeUndefined();
  });
});

describe('diagnoseLoginFailure', () => {
  const denied = {
    kind: 'denied' as const,
    status: 403,
    reason: 'denied (403)',
    message: 'login attempt to https://us-central1-docker.pkg.dev/v2/ failed with status: 403 Forbidden',
  };

  it('names the auth mode, the identity, the host and the role to check on the repository', () => {
    const { message, fix } = diagnoseLoginFailure(denied, { ...attempt, authMode: 'credentials-json' });
    expect(message).toBe(
      'docker login to us-central1-docker.pkg.dev was refused (login attempt to https://us-central1-docker.pkg.dev/v2/ failed with status: 403 Forbidden); it sent an access token minted from the key in "credentials-json" of image-pusher@cal-icor-hubs.iam.gserviceaccount.com',
    );
    expect(fix.split('\n')).toEqual([
      'Check that image-pusher@cal-icor-hubs.iam.gserviceaccount.com and its key are not disabled or deleted.',
      'Check that image-pusher@cal-icor-hubs.iam.gserviceaccount.com has roles/artifactregistry.writer on repository "user-images" of project "cal-icor-hubs":',
      '  gcloud artifacts repositories add-iam-policy-binding user-images --project=cal-icor-hubs --location=us-central1 --member=serviceAccount:image-pusher@cal-icor-hubs.iam.gserviceaccount.com --role=roles/artifactregistry.writer',
      'Not retried: a denial does not go away by waiting.',
    ]);
  });

  it('says a given token expires', () => {
    const { message, fix } = diagnoseLoginFailure(denied, {
      ...attempt,
      authMode: 'access-token',
      identity: undefined,
    });
    expect(message).toMatch(/it sent the token given in "access-token"$/);
    expect(fix).toMatch(
      /the token in "access-token" is a current Google access token: they expire after 1 hour/,
    );
  });

  it('for another registry, names the path to check', () => {
    const { fix } = diagnoseLoginFailure(denied, {
      ...attempt,
      host: '127.0.0.1:5000',
      gar: undefined,
      path: 'hub/image',
    });
    expect(fix).toContain(
      'Check that image-pusher@cal-icor-hubs.iam.gserviceaccount.com may push to hub/image on 127.0.0.1:5000.',
    );
    expect(fix).not.toContain('artifactregistry');
  });

  it('passes on a failure that is not a denial as docker said it', () => {
    expect(
      diagnoseLoginFailure(
        {
          kind: 'other',
          reason: 'login failed',
          message: 'Get "https://x/v2/": x509: certificate signed by unknown authority',
        },
        attempt,
      ).message,
    ).toBe(
      'docker login to us-central1-docker.pkg.dev failed: Get "https://x/v2/": x509: certificate signed by unknown authority',
    );
  });
});
