import { describe, expect, it } from '@jest/globals';
import { garAddressFrom, InvalidGarAddressError, isGarHost, parseGarAddress } from '../src/index.js';

describe('parseGarAddress', () => {
  it('splits a regional address into its parts', () => {
    const gar = parseGarAddress('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image');
    expect(gar).toMatchObject({
      host: 'us-central1-docker.pkg.dev',
      location: 'us-central1',
      project: 'cal-icor-hubs',
      repository: 'user-images',
      image: 'base-user-image',
    });
    expect(gar.name.full).toBe('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image');
  });

  it('takes the host in any case and uses it in lower case', () => {
    const gar = parseGarAddress('US-CENTRAL1-DOCKER.PKG.DEV/cal-icor-hubs/user-images/base-user-image');
    expect(gar).toMatchObject({ host: 'us-central1-docker.pkg.dev', location: 'us-central1' });
    expect(gar.name.full).toBe('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image');
    expect(isGarHost('Europe-West4-Docker.Pkg.Dev')).toBe(true);
    expect(garAddressFrom('US-docker.pkg.dev', 'my-project/repo/img').host).toBe('us-docker.pkg.dev');
  });

  it('accepts multi-regions, nested image paths and domain-scoped projects', () => {
    expect(parseGarAddress('us-docker.pkg.dev/my-project/repo/team/img').image).toBe('team/img');
    const scoped = parseGarAddress('europe-west4-docker.pkg.dev/example.com/my-proj/repo/img');
    expect(scoped.project).toBe('example.com:my-proj');
    expect(scoped.repository).toBe('repo');
    expect(scoped.location).toBe('europe-west4');
  });

  it.each([
    ['gcr.io/proj-ect/repo/img', 'host', /not an Artifact Registry host/],
    ['us-central1-docker.pkg.dev', 'host', /is missing/],
    ['uscentral-1-docker.pkg.dev/proj-ect/repo/img', 'location', /not a location/],
    ['us-central1-docker.pkg.dev/123456789/repo/img', 'project', /must start with a lowercase letter/],
    ['us-central1-docker.pkg.dev/proj/repo/img', 'project', /4 characters long/],
    ['us-central1-docker.pkg.dev/proj-ect-/repo/img', 'project', /must not end with "-"/],
    ['us-central1-docker.pkg.dev/Proj-ect/repo/img', 'project', /must start with a lowercase letter/],
    ['us-central1-docker.pkg.dev/proj-ect/User-Images/img', 'repository', /uppercase letters.*"user-images"/],
    ['us-central1-docker.pkg.dev/proj-ect/1repo/img', 'repository', /must start with a lowercase letter/],
    ['us-central1-docker.pkg.dev/proj-ect/repo', 'image', /is missing/],
    ['us-central1-docker.pkg.dev/proj-ect/repo/Img', 'image', /uppercase letters/],
    ['us-central1-docker.pkg.dev/proj-ect/repo/img:tag', 'image', /component "img:tag"/],
  ])('rejects %s, naming the %s', (input, part, message) => {
    let error: unknown;
    try {
      parseGarAddress(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidGarAddressError);
    expect((error as InvalidGarAddressError).part).toBe(part);
    expect((error as Error).message).toMatch(message);
  });
});

describe('garAddressFrom', () => {
  it('joins the host with the IMAGE variable image repos already have', () => {
    const gar = garAddressFrom('us-central1-docker.pkg.dev', 'cal-icor-hubs/user-images/rstudio-user-image');
    expect(gar.name.full).toBe('us-central1-docker.pkg.dev/cal-icor-hubs/user-images/rstudio-user-image');
  });
});

describe('isGarHost', () => {
  it.each([
    ['us-central1-docker.pkg.dev', true],
    ['europe-docker.pkg.dev', true],
    ['127.0.0.1:5000', false],
    ['gcr.io', false],
  ])('%s → %s', (host, expected) => {
    expect(isGarHost(host)).toBe(expected);
  });
});
