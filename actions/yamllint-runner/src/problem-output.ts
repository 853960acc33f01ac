// What the log shows of the problems found: yamllint's own lines, and annotations on the files.
import * as core from '@actions/core';
import { InputError } from '@hub-image-actions/action-io';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RunnerContext } from './context.js';
import { displayName, nameFrom, nameKey } from './names.js';
import { annotationTitle, describeCounts, type planAnnotations } from './report.js';
import type { countLevels, Problem } from './problems.js';

/** yamllint prints paths relative to the working directory; annotations and SARIF want them from the repo root. */
export function repoPathOf(context: RunnerContext): (file: Buffer) => Buffer {
  const cache = new Map<string, Buffer>();
  return (file) => {
    const key = nameKey(file);
    let path = cache.get(key);
    if (path === undefined) {
      path = nameFrom(context.workspace, context.cwd, file);
      cache.set(key, path);
    }
    return path;
  };
}

/**
 * Every problem shown, as yamllint printed it. File names and messages come from the repository, so workflow
 * commands are switched off while they are printed: a file named `::error::…` stays text.
 */
export function printProblems(
  problems: readonly Problem[],
  found: ReturnType<typeof countLevels>,
  noWarnings: boolean,
  filesWithProblems: number,
  filesChecked: number,
): void {
  core.info(
    `yamllint found ${describeCounts(found, noWarnings)} in ${filesWithProblems} of ${filesChecked} files.`,
  );
  if (problems.length === 0) return;
  const token = `yamllint-output-${randomUUID()}`;
  const newline = Buffer.from('\n');
  process.stdout.write(
    Buffer.concat([
      Buffer.from(`::stop-commands::${token}\n`),
      ...problems.flatMap((problem) => [problem.raw, newline]),
      Buffer.from(`::${token}::\n`),
    ]),
  );
}

/** The annotations the plan chose, on the files from the repository root. */
export function annotate(plan: ReturnType<typeof planAnnotations>, repoPath: (file: Buffer) => Buffer): void {
  for (const problem of plan.annotated) {
    const properties = {
      title: annotationTitle(problem),
      file: displayName(repoPath(problem.file)),
      startLine: problem.line,
      startColumn: problem.column,
    };
    if (problem.level === 'error') core.error(problem.description, properties);
    else core.warning(problem.description, properties);
  }
}

/**
 * Writes the problems shown as SARIF to `sarif-file`. A file that cannot be written is an InputError, handed back to
 * be reported after what was linted.
 */
export async function writeSarifFile(
  sarifFile: string,
  cwd: string,
  sarif: object,
  results: number,
): Promise<{ path: string } | { problem: InputError }> {
  const path = resolve(cwd, sarifFile);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(sarif, null, 2)}\n`);
    core.info(`SARIF 2.1.0 with ${results} results written to ${path}.`);
    core.setOutput('sarif-file', path);
    return { path };
  } catch (error) {
    return {
      problem: new InputError(
        'sarif-file',
        sarifFile,
        `could not be written to ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        'Name a file in a folder of the workspace that the step can write to',
      ),
    };
  }
}
