import * as core from '@actions/core';
import {
  findImageUses,
  formatPath,
  legacyOnlyReferences,
  scanFile,
  selectFiles,
  type ImageUse,
  type LegacyOnlyReference,
} from '@hub-image-actions/deploy-config';
import type { Inputs } from './context.js';
import type { DeploymentClone } from '@hub-image-actions/deployment-repo';
import { legacyWarning, noFileSelected, unsafeFiles } from './messages.js';

export interface Found {
  uses: ImageUse[];
  texts: Map<string, string>;
  /** References hubploy ≥ 1.0 no longer deploys (a hub whose image is set only in hubploy.yaml). */
  legacy: LegacyOnlyReference[];
  /** Set when `paths` (minus `exclude`) selected no file at all. */
  nothingSelected?: string;
}

/** Reads the considered files of the base commit and finds every reference to the image in them. */
export async function findReferences(
  clone: DeploymentClone,
  baseSha: string,
  inputs: Inputs,
): Promise<Found> {
  const tree = await clone.listFiles(baseSha);
  const selected = selectFiles(tree, { include: inputs.paths, exclude: inputs.exclude });
  await clone.checkout(baseSha, selected);
  const files = await Promise.all(selected.map(async (path) => scanFile(path, await clone.readFile(path))));
  core.info(
    `${selected.length} file(s) considered (${inputs.paths.join(', ')}${inputs.exclude.length > 0 ? `; excluding ${inputs.exclude.join(', ')}` : ''}).`,
  );
  const nothingSelected =
    selected.length === 0
      ? noFileSelected(inputs, selectFiles(tree, { include: inputs.paths, exclude: [] }))
      : undefined;
  if (nothingSelected !== undefined) core.warning(nothingSelected);
  const search = findImageUses(files, inputs.image.full);
  for (const problem of search.unreadable) {
    core.warning(
      `${problem.file} cannot be parsed (${problem.reason}); it does not mention the image, so it is skipped.`,
      { file: problem.file },
    );
  }
  if (search.unsafe.length > 0) throw unsafeFiles(inputs.image.full, search.unsafe);
  let uses = search.uses;
  if (inputs.hubs.length > 0) {
    uses = uses.filter((use) => use.hub !== undefined && inputs.hubs.includes(use.hub));
    const using = new Set(search.uses.map((use) => use.hub));
    const idle = inputs.hubs.filter((hub) => !using.has(hub));
    if (idle.length > 0)
      core.warning(`input "hubs" names ${idle.join(', ')}, which do not use ${inputs.image.full}.`);
  }
  for (const use of uses) {
    core.info(
      `  ${use.hub ?? '-'}  ${use.file}:${use.line}  ${formatPath(use.path)}  ${use.tag}${use.digest === undefined ? '' : ` @${use.digest}`}`,
    );
  }
  core.info(`${uses.length} reference(s) to ${inputs.image.full}.`);
  const legacy = legacyOnlyReferences(uses);
  for (const reference of legacy) {
    core.warning(legacyWarning(reference), { file: reference.file, startLine: reference.line });
  }
  return {
    uses,
    texts: new Map(files.map((file) => [file.path, file.text])),
    legacy,
    ...(nothingSelected === undefined ? {} : { nothingSelected }),
  };
}
