import { describe, expect, it } from '@jest/globals';
import { pushOutputs, summaryMarkdown, type PushReport } from '../src/report.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const report: PushReport = {
  name: 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images/base-user-image',
  digest: DIGEST,
  tags: [
    { tag: '8b48b4867330', result: 'pushed' },
    { tag: 'latest', result: 'tagged' },
    { tag: 'stable', result: 'unchanged' },
  ],
  attempts: 3,
  durationMs: 12_300,
  source: 'local image `base-user-image:8b48b4867330`',
  auth: 'keyless as image-pusher@cal-icor-hubs.iam.gserviceaccount.com',
  notes: ['docker push reported a failure, but the registry had accepted the image: counted as pushed.'],
};

describe('pushOutputs', () => {
  it('names the digest, the image by digest, every reference and the tags written', () => {
    expect(pushOutputs(report)).toEqual({
      digest: DIGEST,
      image: `${report.name}@${DIGEST}`,
      refs: [`${report.name}:8b48b4867330`, `${report.name}:latest`, `${report.name}:stable`].join('\n'),
      pushed: '8b48b4867330\nlatest',
      attempts: '3',
      'package-manifest-artifact': '',
    });
  });

  it.each([
    [
      { result: 'stored', artifact: 'sha256:bb', via: 'tag-schema' } as const,
      'sha256:bb',
      'stored as sha256:bb, found through the referrers tag',
    ],
    [
      { result: 'already-stored', artifact: 'sha256:bb', via: 'referrers-api' } as const,
      'sha256:bb',
      "already stored as sha256:bb (nothing written), found through the registry's referrers API",
    ],
    [
      { result: 'refused', why: 'the registry refused the referrers tag (403)' } as const,
      '',
      'not stored: the registry refused the referrers tag (403)',
    ],
  ])('gives the package manifest artifact, and says what became of it: %j', (stored, output, line) => {
    const withManifest = { ...report, packageManifest: stored };
    expect(pushOutputs(withManifest)['package-manifest-artifact']).toBe(output);
    expect(summaryMarkdown(withManifest)).toContain(`- Package manifest: ${line}`);
  });

  it('lists no tag as pushed on a re-run that changed nothing', () => {
    const rerun = {
      ...report,
      tags: report.tags.map((t) => ({ ...t, result: 'unchanged' as const })),
      attempts: 0,
    };
    expect(pushOutputs(rerun)).toMatchObject({ pushed: '', attempts: '0' });
  });
});

describe('summaryMarkdown', () => {
  it('lists the references, the digest, the attempts and the time', () => {
    const text = summaryMarkdown(report);
    expect(text).toContain('### push-to-gar: 2 tags written to');
    expect(text).toContain(`| \`${report.name}:latest\` | tagged through the registry API (no upload) |`);
    expect(text).toContain(`| \`${report.name}:stable\` | already held this image |`);
    expect(text).toContain(
      `| \`${DIGEST}\` | local image \`base-user-image:8b48b4867330\` | keyless as image-pusher@cal-icor-hubs.iam.gserviceaccount.com | 3 | 12.3 s |`,
    );
    expect(text).toContain('- docker push reported a failure');
  });

  it('says when there was nothing to do', () => {
    const rerun = { ...report, tags: [{ tag: 'v1', result: 'unchanged' as const }], notes: [] };
    expect(summaryMarkdown(rerun)).toMatch(/^### push-to-gar: nothing to do/);
  });
});
