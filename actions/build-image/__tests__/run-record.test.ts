import { describe, expect, it } from '@jest/globals';
import { BuildFailedError } from '../src/build.js';
import { RunRecord } from '../src/run-record.js';

const REF = 'reg.example/hub/base:abc123abc123';
const record = () => new RunRecord('reg.example/hub/base', 'abc123abc123', REF, []);

describe('RunRecord: the outputs and the summary as the phases end', () => {
  it('starts as a failure before building, with every output set', () => {
    const { outputs, report } = record();
    expect(outputs).toMatchObject({
      built: 'false',
      tests: 'skipped',
      'image-ref': REF,
      IMAGE_SHA_TAG: 'abc123abc123',
    });
    expect(Object.values(outputs).every((value) => typeof value === 'string')).toBe(true);
    expect(report).toMatchObject({ outcome: 'failed', why: 'the action stopped before building' });
  });

  it('reports a reuse with the version of the tool that built the image, in pip spelling', () => {
    const r = record();
    r.reused(
      {
        reuse: true,
        digest: 'sha256:d',
        tag: 'inputs-x',
        why: "the registry's inputs-x was built from the same inputs",
        image: {
          digest: 'sha256:d',
          manifestDigest: 'sha256:d',
          labels: { 'repo2docker.version': '2026.04.0' },
          layers: 4,
          compressedSize: 99,
          diffIds: [],
        },
      },
      '2026.04.0',
      'reused',
    );
    expect(r.outputs).toMatchObject({
      'reused-digest': 'sha256:d',
      'size-bytes': '99',
      'repo2docker-version': '2026.4.0',
    });
    expect(r.report.versions.repo2docker).toBe('2026.4.0 (when the image was built)');
  });

  it('keeps a built image "built" when its tests fail, and a build failure\'s step for the summary', () => {
    const built = record();
    built.built({
      image: { id: 'sha256:i', size: 10, layers: ['a'], labels: {}, repoTags: [], repoDigests: [] },
      reusedLocally: false,
      stats: { steps: 1, cachedSteps: 0 },
      layersFromCache: 0,
      durationMs: 1,
      warnings: [],
    });
    built.failed(new Error('image-tests failed'));
    built.finished(5);
    expect(built.report.outcome).toBe('built');
    expect(built.outputs).toMatchObject({ built: 'true', 'local-image': REF, 'image-id': 'sha256:i' });

    const failed = record();
    failed.failed(
      new BuildFailedError('Build failed at [2/2] RUN x\nboom', {
        title: 'Build failed at [2/2] RUN x',
        lines: ['boom'],
      }),
    );
    expect(failed.report).toMatchObject({
      outcome: 'failed',
      why: 'Build failed at [2/2] RUN x',
      failure: { title: 'Build failed at [2/2] RUN x', lines: ['boom'] },
    });
  });
});
