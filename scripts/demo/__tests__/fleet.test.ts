import { describe, expect, it } from '@jest/globals';
import { fleetFindings } from '../fleet.ts';

const seed = {
  missingHub: 'deployments/retired-course/config/common.yaml',
  missingImage: 'cal-icor-hubs/user-images/physics-user-image',
  missingTag: '5e1d0c0ffee1',
  reposFile: 'configs/repos.txt',
  unusedRepo: 'example-org/chemistry-user-image',
};
const missing =
  '- **missing from the registry** **broken** `deployments/retired-course/config/common.yaml:6` (staging, prod): the tag is gone. Push it.';
const unused =
  '- **unused repo** `configs/repos.txt:2`: example-org/chemistry-user-image is listed, but no hub uses its image. Remove it.';

describe("the demo's fleet report findings", () => {
  it('finds both seeded problems with their file and line', () => {
    expect(fleetFindings(['## Fleet', '', missing, unused].join('\n'), seed)).toEqual({
      missingAt: 'deployments/retired-course/config/common.yaml:6',
      unusedAt: 'configs/repos.txt:2',
    });
  });

  it.each([
    ['a missing tag that is not broken', missing.replace(' **broken**', '')],
    ['another file', missing.replace('retired-course', 'biology')],
    ['no line', missing.replace(':6', '')],
    ['another unused repo', unused.replace('chemistry', 'physics')],
    ['an empty summary', ''],
  ])('finds nothing seeded in %s', (_name, line) => {
    expect(fleetFindings(line, seed)).toEqual({ missingAt: undefined, unusedAt: undefined });
  });
});
