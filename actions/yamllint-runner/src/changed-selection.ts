// Which of the listed files to lint: all of them, or with changed-only those the pull request changed. When the
// changes cannot be known, every file is linted and the reason is said.
import * as core from '@actions/core';
import {
  absoluteChangedPaths,
  changedFilesSinceMergeBase,
  pullRequestRange,
} from '@hub-image-actions/git-changes';
import type { ProcessRunner } from '@hub-image-actions/process';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Inputs, RunnerContext } from './context.js';
import { absoluteName, nameKey, quotedName } from './names.js';

export interface Selection {
  files: Buffer[];
  description: string;
  notes: string[];
  /** True when only changed files were selected (possibly none). */
  changedOnly: boolean;
}

export async function selectChangedFiles(
  files: Buffer[],
  inputs: Inputs,
  context: RunnerContext,
  runner: ProcessRunner,
): Promise<Selection> {
  const everything = (reason: string, unexpected: boolean): Selection => {
    const note = `changed-only: linting all ${files.length} files because ${reason}.`;
    if (unexpected) core.notice(note);
    else core.info(note);
    return { ...allFiles(files, inputs.paths), notes: [note] };
  };
  let payload: unknown;
  if (context.eventName === 'pull_request') {
    if (context.eventPath === undefined) return everything('GITHUB_EVENT_PATH is not set', true);
    try {
      payload = JSON.parse(await readFile(context.eventPath, 'utf8'));
    } catch (error) {
      return everything(
        `the event payload ${context.eventPath} could not be read (${error instanceof Error ? error.message : String(error)})`,
        true,
      );
    }
  }
  const range = pullRequestRange(context.eventName, payload);
  if ('reason' in range) return everything(range.reason, context.eventName === 'pull_request');
  core.info(
    `Pull request${range.number === undefined ? '' : ` #${range.number}`}: base ${range.base}, head ${range.head}.`,
  );
  const changed = await changedFilesSinceMergeBase(range, {
    runner,
    cwd: context.cwd,
    env: context.env,
    log: (line) => core.info(line),
  });
  if (!changed.found) return everything(changed.reason, true);

  const changedPaths = new Set(absoluteChangedPaths(changed).map(nameKey));
  const cwd = realpathSync(context.cwd);
  const selected = files.filter((file) => changedPaths.has(nameKey(absoluteName(cwd, file))));
  core.info(
    `${changed.files.length} files changed against the merge base ${changed.mergeBase}; ` +
      `${selected.length} of them are YAML files yamllint lints here:`,
  );
  for (const file of selected) core.info(`  ${quotedName(file)}`);
  return {
    files: selected,
    description: `${selected.length} changed of ${files.length} YAML files (merge base ${changed.mergeBase.slice(0, 12)})`,
    notes: [],
    changedOnly: true,
  };
}

/** Every listed file. */
export function allFiles(files: Buffer[], paths: readonly string[]): Selection {
  return {
    files,
    description: `all ${files.length} YAML files in ${paths.join(', ')}`,
    notes: [],
    changedOnly: false,
  };
}
