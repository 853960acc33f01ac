import { describe, expect, it } from '@jest/globals';
import { highlights, renderLog } from '../highlights.ts';

// Shaped like what the runner receives from our actions: groups, streamed output fenced by stop-commands,
// annotations, indented detail.
const BUILD = [
  'Image r/i:abc (tag from commit abc)',
  '::group::Registry: reuse and cache',
  'Building: no image in the registry was built from these inputs',
  '::endgroup::',
  '$ repo2docker --no-run --image-name=r/i:abc .',
  '::stop-commands::f00d',
  'Step 1/23 : FROM base',
  '::warning::not a command here, just output',
  '======================= 3 passed, 3 deselected in 0.07s ========================',
  'jupyter server ready at http://127.0.0.1:8888 after 0.7 s',
  '::f00d::',
  'Built r/i:abc in 2.2 s: 8 of 23 steps cached',
  '::debug::ID token url is http://x',
  '::notice title=No build needed::Reused r/i@sha256:1',
  '',
].join('\n');

const PUSH_AND_BUMP = [
  'docker push r/i:abc (attempt 1 of 5)',
  '  e8a353dcc9ce: Preparing',
  '  e8a353dcc9ce: Layer already exists',
  '13 reference(s) to r/i.',
  '  astro  deployments/astro/config/common.yaml:15  jupyterhub.singleuser.image.tag  4596ed1d5c0d',
  '  4596ed1d5c0d: older than 092e77e882ba',
  '  20240101: not a commit of org/image, so its order is unknown',
  '  move  deployments/astro/config/common.yaml:15  4596ed1d5c0d → 092e77e882ba',
  '  keep  deployments/gpu/config/common.yaml:6  0be26ba905cb: a newer commit runs there',
  '  2 reference(s) already at 092e77e882ba',
  '::error::bump-hubploy action failed: 2 files cannot be edited safely%0A  - a.yaml:3: anchor%0A  - b.yaml: tab',
].join('\n');

describe('highlights', () => {
  it("keep an action's own lines and annotations, and of what it streamed only the verdicts", () => {
    expect(highlights(BUILD)).toEqual([
      'Image r/i:abc (tag from commit abc)',
      'Building: no image in the registry was built from these inputs',
      '======================= 3 passed, 3 deselected in 0.07s ========================',
      'jupyter server ready at http://127.0.0.1:8888 after 0.7 s',
      'Built r/i:abc in 2.2 s: 8 of 23 steps cached',
      'notice: No build needed: Reused r/i@sha256:1',
    ]);
  });

  it("drop docker's progress and the reference table, keep the order checks, the plan and a whole error", () => {
    expect(highlights(PUSH_AND_BUMP)).toEqual([
      'docker push r/i:abc (attempt 1 of 5)',
      '13 reference(s) to r/i.',
      '  4596ed1d5c0d: older than 092e77e882ba',
      '  20240101: not a commit of org/image, so its order is unknown',
      '  move  deployments/astro/config/common.yaml:15  4596ed1d5c0d → 092e77e882ba',
      '  keep  deployments/gpu/config/common.yaml:6  0be26ba905cb: a newer commit runs there',
      '  2 reference(s) already at 092e77e882ba',
      'error: bump-hubploy action failed: 2 files cannot be edited safely',
      '    - a.yaml:3: anchor',
      '    - b.yaml: tab',
    ]);
  });
});

describe('renderLog', () => {
  it('shows everything but the command plumbing, groups as headings, annotations by level', () => {
    expect(renderLog(BUILD)).toEqual([
      'Image r/i:abc (tag from commit abc)',
      '▸ Registry: reuse and cache',
      'Building: no image in the registry was built from these inputs',
      '$ repo2docker --no-run --image-name=r/i:abc .',
      'Step 1/23 : FROM base',
      '::warning::not a command here, just output',
      '======================= 3 passed, 3 deselected in 0.07s ========================',
      'jupyter server ready at http://127.0.0.1:8888 after 0.7 s',
      'Built r/i:abc in 2.2 s: 8 of 23 steps cached',
      'notice: No build needed: Reused r/i@sha256:1',
    ]);
  });
});
