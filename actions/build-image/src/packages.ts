// Phase four, packages: what the image contains (its package manifest, for push-to-gar to store with it), and what
// changed against the image it replaces. Never fails the build: what cannot be read is said, and why.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import {
  diffManifests,
  JOB_SUMMARY_LIMIT,
  manifestFromLocalImage,
  renderDiffMarkdown,
  serializeManifest,
  sizeChange,
  storedManifestOf,
  storeLayersRead,
  summarizeDiff,
  withLayersRead,
  type ChangeCounts,
  type ComparedDiff,
  type PackageManifest,
  type RegistryManifest,
} from '@hub-image-actions/package-manifest';
import type { ProcessRunner } from '@hub-image-actions/process';
import type { Inputs } from './context.js';
import type { RegistryReader } from './registry.js';
import type { Comparison } from './tags.js';

export interface PackagesReport {
  /** What the image was compared with, or why it was not. */
  against: string;
  /** The diff in Markdown, when there was one. */
  markdown?: string;
  notes: string[];
}

export interface PackagesOutcome {
  manifestFile: string | undefined;
  diffFile: string | undefined;
  counts: ChangeCounts | undefined;
  report: PackagesReport;
}

/**
 * The manifest stored with the image this run's is compared with, read as soon as the run starts (its tag is known
 * then). Its layers are read only when the run builds (`withLayers`): a reuse must stay quick.
 */
export function startComparison(
  reader: RegistryReader | undefined,
  comparison: Comparison,
): Promise<RegistryManifest> {
  if (comparison.tag === undefined) return Promise.resolve({ found: false, why: comparison.why });
  if (reader === undefined) {
    return Promise.resolve({ found: false, why: 'the image name has no registry host to read it from' });
  }
  return storedManifestOf(reader.client, reader.repository, comparison.tag);
}

/** For a build: the compared image's manifest from its layers when none is stored, read while the build runs. */
export function withLayers(
  reader: RegistryReader | undefined,
  stored: Promise<RegistryManifest>,
): Promise<RegistryManifest> {
  return reader === undefined ? stored : stored.then((lookup) => withLayersRead(reader.client, lookup));
}

export type ThisImage =
  | { built: true; ref: string; uncompressedBytes: number }
  | { built: false; digest: string; compressedBytes: number };

export interface PackagesRequest {
  image: ThisImage;
  comparison: Comparison;
  compared: Promise<RegistryManifest>;
  reader: RegistryReader | undefined;
  /** Where the manifest and diff files go (under RUNNER_TEMP). */
  dir: string;
  /** "this pull request" or "this commit", for the summary's heading. */
  subject: string;
  runner: ProcessRunner;
  log: (line: string) => void;
}

type Read = { manifest: PackageManifest; compressedBytes?: number } | { why: string };

async function thisManifest(request: PackagesRequest): Promise<Read> {
  const { image } = request;
  if (image.built) {
    const read = await manifestFromLocalImage(image.ref, { runner: request.runner });
    if (read.fallbackReason !== undefined) {
      request.log(`Read the image's files with docker ${read.method}: ${read.fallbackReason}`);
    }
    return { manifest: { ...read.manifest, image: { uncompressedBytes: image.uncompressedBytes } } };
  }
  if (request.reader === undefined) return { why: 'the reused image has no registry to read it from' };
  const stored = await storedManifestOf(request.reader.client, request.reader.repository, image.digest);
  return stored.found
    ? { manifest: stored.manifest, compressedBytes: image.compressedBytes }
    : { why: stored.why };
}

export async function recordPackages(request: PackagesRequest): Promise<PackagesOutcome> {
  const outcome: PackagesOutcome = {
    manifestFile: undefined,
    diffFile: undefined,
    counts: undefined,
    report: { against: '', notes: [] },
  };
  const after: Read = await thisManifest(request).catch((error: unknown) => ({
    why: error instanceof Error ? error.message : String(error),
  }));
  if ('why' in after) {
    outcome.report.against = `not compared: this image's packages could not be read (${after.why})`;
    return outcome;
  }
  await mkdir(request.dir, { recursive: true });
  outcome.manifestFile = join(request.dir, 'package-manifest.json');
  await writeFile(outcome.manifestFile, serializeManifest(after.manifest));
  if (after.manifest.empty) {
    outcome.report.notes.push(
      'The image holds no package metadata (conda, pip, Debian, R): its manifest is empty.',
    );
  }
  outcome.report.notes.push(...after.manifest.warnings);

  const before = await request.compared;
  if (!before.found) {
    outcome.report.against = `not compared: ${before.why}`;
    return outcome;
  }
  // Read from its layers: with credentials, stored with that image, so the next run reads it in a few requests.
  if (before.source === 'layers' && request.reader !== undefined && !request.reader.anonymous) {
    const stored = await storeLayersRead(request.reader.client, request.reader.repository, before);
    if (stored !== undefined)
      request.log(`The compared image's package manifest, read from its layers: ${stored}`);
  }
  const diff = diffManifests(
    before.manifest,
    after.manifest,
    sizeChange({ manifest: before.manifest, compressedBytes: before.compressedSize }, after),
  );
  const what = request.comparison.tag === undefined ? 'the compared image' : request.comparison.what;
  outcome.report.against = `${what}${before.source === 'layers' ? ', read from its layers (it has no stored manifest)' : ''}`;
  outcome.diffFile = join(request.dir, 'packages-diff.json');
  const file: ComparedDiff = { ...diff, against: what };
  await writeFile(outcome.diffFile, `${JSON.stringify(file, null, 2)}\n`);
  outcome.counts = diff.counts;
  outcome.report.markdown = renderDiffMarkdown(diff, {
    title: `What ${request.subject} changes in the image`,
    headingLevel: 3,
    maxBytes: JOB_SUMMARY_LIMIT / 8,
    fullDiffLocation: `the \`packages-diff\` output (${outcome.diffFile})`,
  }).markdown;
  request.log(`Against ${outcome.report.against}: ${summarizeDiff(diff)}`);
  return outcome;
}

/** The phase as the log shows it, when `packages` is on: its own group, and the outcome for the outputs and summary. */
export async function packagesPhase(run: {
  inputs: Inputs;
  image: ThisImage;
  pending: { comparison: Promise<Comparison>; reader: RegistryReader | undefined };
  /** The compared image's manifest (see `startComparison` and `withLayers`). */
  compared: Promise<RegistryManifest>;
  runner: ProcessRunner;
  runnerTemp: string;
  record: (outcome: PackagesOutcome) => void;
}): Promise<void> {
  if (!run.inputs.packages) return;
  await core.group('Packages: what changed in the image', async () => {
    run.record(
      await recordPackages({
        image: run.image,
        comparison: await run.pending.comparison,
        compared: run.compared,
        reader: run.pending.reader,
        dir: join(run.runnerTemp, `build-image-packages-${randomBytes(4).toString('hex')}`),
        subject: run.inputs.baseSha === undefined ? 'this commit' : 'this pull request',
        runner: run.runner,
        log: (line) => core.info(line),
      }),
    );
  });
}
