// What a run says about itself: the report behind the job summary and the step outputs, filled as the phases end.
import { BuildFailedError, type BuildOutcome } from './build.js';
import type { RegistryView } from './decide.js';
import type { PackagesOutcome } from './packages.js';
import type { ReuseDecision } from './reuse.js';
import type { Report } from './summary.js';
import { normalVersion } from './versions.js';

export class RunRecord {
  readonly report: Report;
  readonly outputs: Record<string, string>;

  constructor(image: string, tag: string, imageRef: string, additionalTags: string[]) {
    this.report = {
      imageRef,
      additionalTags,
      outcome: 'failed',
      why: 'the action stopped before building',
      durationMs: 0,
      tests: { outcome: 'skipped', suites: [] },
      versions: {},
      tagsToPush: [],
      disk: { before: [], after: [], removals: [] },
      warnings: [],
    };
    this.outputs = {
      image,
      tag,
      'image-ref': imageRef,
      'image-id': '',
      built: 'false',
      'reused-digest': '',
      'local-image': '',
      'inputs-hash': '',
      'size-bytes': '',
      'repo2docker-version': '',
      tests: 'skipped',
      tags: '',
      'package-manifest': '',
      'packages-diff': '',
      'packages-added': '',
      'packages-removed': '',
      'packages-upgraded': '',
      'packages-downgraded': '',
      'packages-major': '',
      IMAGE_SHA_NAME: imageRef,
      IMAGE_SHA_TAG: tag,
    };
  }

  hashed(hash: string, readDirectly: string[]): void {
    this.outputs['inputs-hash'] = hash;
    this.report.inputsHash = hash;
    this.report.hashedAlso = readDirectly;
  }

  decided(view: RegistryView, tagsToPush: string[]): void {
    this.report.warnings.push(...view.warnings);
    this.report.tagsToPush = tagsToPush;
    this.outputs['tags'] = tagsToPush.join('\n');
    this.report.why = view.decision.why;
    if (!view.decision.reuse) {
      this.report.cache = {
        images: view.cacheRefs,
        ...(view.cacheNoneBecause ? { noneBecause: view.cacheNoneBecause } : {}),
      };
    }
  }

  /** The registry's image is the result; `testsSkippedBecause` says why nothing was tested now. */
  reused(
    decision: Extract<ReuseDecision, { reuse: true }>,
    builtWith: string,
    testsSkippedBecause: string,
  ): void {
    const version = normalVersion(decision.image.labels['repo2docker.version'] ?? builtWith);
    this.report.outcome = 'reused';
    this.report.why = `${decision.why}, so nothing was built`;
    this.report.digest = decision.digest;
    this.report.size = {
      bytes: decision.image.compressedSize,
      layers: decision.image.layers,
      compressed: true,
    };
    this.report.versions.repo2docker = `${version} (when the image was built)`;
    this.report.tests.skippedBecause = testsSkippedBecause;
    this.outputs['reused-digest'] = decision.digest;
    this.outputs['size-bytes'] = String(decision.image.compressedSize);
    this.outputs['repo2docker-version'] = version;
  }

  repo2docker(version: string): void {
    this.report.versions.repo2docker = normalVersion(version);
    this.outputs['repo2docker-version'] = normalVersion(version);
  }

  built(outcome: BuildOutcome): void {
    const { image } = outcome;
    if (this.report.cache !== undefined) {
      Object.assign(this.report.cache, {
        steps: outcome.stats.steps,
        cachedSteps: outcome.stats.cachedSteps,
        layers: image.layers.length,
        layersFromCache: outcome.layersFromCache,
      });
    }
    this.report.warnings.push(...outcome.warnings);
    this.report.outcome = 'built';
    if (outcome.reusedLocally) {
      this.report.why = `the local engine already had ${this.report.imageRef} built from these inputs`;
    }
    this.report.imageId = image.id;
    this.report.size = { bytes: image.size, layers: image.layers.length, compressed: false };
    this.outputs['built'] = 'true';
    this.outputs['image-id'] = image.id;
    this.outputs['local-image'] = this.report.imageRef;
    this.outputs['size-bytes'] = String(image.size);
  }

  packages(outcome: PackagesOutcome): void {
    this.report.packages = outcome.report;
    this.outputs['package-manifest'] = outcome.manifestFile ?? '';
    this.outputs['packages-diff'] = outcome.diffFile ?? '';
    const counts = outcome.counts;
    for (const kind of ['added', 'removed', 'upgraded', 'downgraded', 'major'] as const) {
      this.outputs[`packages-${kind}`] = counts === undefined ? '' : String(counts[kind]);
    }
  }

  /** A run that threw: the reason goes in the summary; a built image whose tests failed stays "built". */
  failed(error: unknown): void {
    if (error instanceof BuildFailedError) this.report.failure = error.failure;
    if (this.report.outcome === 'built') return;
    this.report.outcome = 'failed';
    this.report.why =
      error instanceof BuildFailedError
        ? error.failure.title
        : error instanceof Error
          ? (error.message.split('\n')[0] ?? '')
          : String(error);
  }

  finished(durationMs: number): void {
    this.report.durationMs = durationMs;
    this.outputs['tests'] = this.report.tests.outcome;
  }
}
