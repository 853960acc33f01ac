import * as core from '@actions/core';
import { appendSummary, formatDuration, InputError, runnerInputs } from '@hub-image-actions/action-io';
import {
  absoluteChangedPaths,
  changedFilesSinceMergeBase,
  pullRequestRange,
} from '@hub-image-actions/git-changes';
import { type ProcessRunner, systemRunner } from '@hub-image-actions/process';
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Cancellation } from './cancel.js';
import { type Inputs, readInputs, readRunnerContext, type RunnerContext } from './context.js';
import { LintFailedError, outcomeOf, YamllintConfigError } from './errors.js';
import { crashError, type LintResult, lintFiles, listFiles, type YamllintCall } from './lint-run.js';
import { checkLocalFiles, configInUse } from './local-files.js';
import { absoluteName, displayName, nameFrom, nameKey, quotedName } from './names.js';
import { countLevels, type Problem } from './problems.js';
import {
  annotationTitle,
  describeCounts,
  describePlainExit,
  failureMessage,
  nothingMatched,
  planAnnotations,
  plainExitCode,
  summaryReport,
  verdict,
} from './report.js';
import { toSarif } from './sarif.js';
import { localCommand } from './yamllint-cli.js';
import { resolveYamllint, type Yamllint } from './yamllint-setup.js';

const SOURCE = {
  path: 'found on PATH',
  cached: 'installed by an earlier run',
  installed: 'installed with pip now',
};

export async function main(): Promise<void> {
  const cancellation = new Cancellation();
  try {
    const context = readRunnerContext();
    await lint(readInputs(runnerInputs, context), context, cancellation.runner(systemRunner));
  } catch (caught) {
    let error = caught;
    const cancelled = cancellation.cancelled;
    if (cancelled !== undefined) {
      await cancellation.settled();
      error = cancelled;
      core.info(
        `${cancelled.signalName}: stopped; ${cancellation.stopped.length === 0 ? 'no child process was running' : `the child processes that were running have ended: ${cancellation.stopped.join(', ')}`}.`,
      );
    }
    core.setOutput('outcome', outcomeOf(error));
    if (error instanceof YamllintConfigError && error.yamllintExit !== undefined)
      core.info(`yamllint ${describePlainExit(error.yamllintExit)}; this step fails with exit code 1.`);
    throw error;
  } finally {
    cancellation.dispose();
  }
}

async function lint(inputs: Inputs, context: RunnerContext, runner: ProcessRunner): Promise<void> {
  await checkLocalFiles(inputs, context.cwd);

  const yamllint = await core.group('yamllint', async () => {
    const found = await resolveYamllint({
      wanted: inputs.yamllintVersion,
      runner,
      env: context.env,
      toolRoot: context.toolRoot,
      log: (line) => core.info(line),
    });
    core.info(`Using yamllint ${found.version}: ${found.command}, ${SOURCE[found.source]}.`);
    core.setOutput('yamllint-version', found.version);
    return found;
  });
  const call: YamllintCall = {
    python: yamllint.python,
    runner,
    cwd: context.cwd,
    env: context.env,
    config: inputs.config,
  };

  const { files, configLabel } = await core.group('Configuration and files', async () => {
    const inUse = await configInUse(inputs.config, context.cwd, context.workspace, context.env);
    core.info(`Configuration: ${inUse.label}.`);
    const listed = await listFiles(call, inputs.paths, inUse);
    core.info(
      `yamllint lints ${listed.length} files in ${inputs.paths.join(', ')} (its yaml-files and ignore settings applied).`,
    );
    return { files: listed, configLabel: inUse.label };
  });

  const selection = inputs.changedOnly
    ? await core.group('Changed files', () => selectChangedFiles(files, inputs, context, runner))
    : {
        files,
        description: `all ${files.length} YAML files in ${inputs.paths.join(', ')}`,
        notes: [],
        changedOnly: false,
      };

  if (selection.files.length === 0) {
    if (selection.changedOnly) {
      core.info('No YAML file that yamllint lints changed in this pull request: nothing to lint.');
    } else {
      // Plain yamllint passes when nothing matches; so do we, but loudly, so a typo in "paths" stays visible.
      const note = nothingMatched(inputs.paths, configLabel);
      core.warning(note, { title: 'yamllint: no file to lint' });
      selection.notes.push(note);
    }
  }

  const started = Date.now();
  const jobs = inputs.jobs ?? context.cores;
  const result: LintResult =
    selection.files.length === 0
      ? { problems: [], linted: 0, crashes: [], moreCrashes: false, unlinted: 0, shards: 0, processes: 0 }
      : await core.group(`Lint ${selection.files.length} files`, async () => {
          const linted = await lintFiles(call, selection.files, {
            jobs,
            onShard: (done, total) => core.info(`yamllint finished ${done} of ${total} shards`),
            onCrash: (shards) =>
              core.info(
                `yamllint crashed on ${shards} shard${shards === 1 ? '' : 's'}: linting ${shards === 1 ? 'its' : 'their'} files again in halves to find the file${shards === 1 ? '' : 's'} it crashes on.`,
              ),
          });
          core.info(
            `${linted.processes} concurrent yamllint processes over ${linted.shards} shards, ${formatDuration(Date.now() - started)}.`,
          );
          return linted;
        });
  const elapsed = Date.now() - started;

  await report(inputs, context, {
    yamllint,
    configLabel,
    selection,
    result,
    elapsed,
  });
}

interface Selection {
  files: Buffer[];
  description: string;
  notes: string[];
  /** True when only changed files were selected (possibly none). */
  changedOnly: boolean;
}

async function selectChangedFiles(
  files: Buffer[],
  inputs: Inputs,
  context: RunnerContext,
  runner: ProcessRunner,
): Promise<Selection> {
  const everything = (reason: string, unexpected: boolean): Selection => {
    const note = `changed-only: linting all ${files.length} files because ${reason}.`;
    if (unexpected) core.notice(note);
    else core.info(note);
    return {
      files,
      description: `all ${files.length} YAML files in ${inputs.paths.join(', ')}`,
      notes: [note],
      changedOnly: false,
    };
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

interface RunFacts {
  yamllint: Yamllint;
  configLabel: string;
  selection: Selection;
  result: LintResult;
  elapsed: number;
}

async function report(inputs: Inputs, context: RunnerContext, facts: RunFacts): Promise<void> {
  const { result, selection } = facts;
  const found = countLevels(result.problems);
  const shown = inputs.noWarnings
    ? result.problems.filter((problem) => problem.level === 'error')
    : result.problems;
  const decision = verdict(found, { strict: inputs.strict });
  const stopped = result.crashes.length > 0 ? crashError(result.crashes, result.moreCrashes) : undefined;
  const repoPath = repoPathOf(context);
  const filesWithProblems = new Set(result.problems.map((problem) => nameKey(problem.file))).size;

  printProblems(shown, found, inputs.noWarnings, filesWithProblems, result.linted);
  const plan = planAnnotations(shown, decision.failed || stopped !== undefined);
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

  let sarifPath: string | undefined;
  let sarifProblem: InputError | undefined;
  if (inputs.sarifFile !== undefined) {
    const path = resolve(context.cwd, inputs.sarifFile);
    const sarif = toSarif({ problems: shown, yamllintVersion: facts.yamllint.version, repoPath });
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${JSON.stringify(sarif, null, 2)}\n`);
      sarifPath = path;
      core.info(`SARIF 2.1.0 with ${shown.length} results written to ${sarifPath}.`);
      core.setOutput('sarif-file', sarifPath);
    } catch (error) {
      // Reported after what was linted, like any other stop.
      sarifProblem = new InputError(
        'sarif-file',
        inputs.sarifFile,
        `could not be written to ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        'Name a file in a folder of the workspace that the step can write to',
      );
    }
  }

  const command = localCommand(inputs.config, selection.changedOnly ? selection.files : inputs.paths, {
    noWarnings: inputs.noWarnings,
  });
  const unlinted = selection.files.length - result.linted;
  const summary = summaryReport({
    verdict: decision,
    found,
    problems: shown,
    noWarnings: inputs.noWarnings,
    filesWithProblems,
    filesChecked: result.linted,
    plan,
    facts: [
      [
        'yamllint',
        `${facts.yamllint.version} (<code>${facts.yamllint.command}</code>, ${SOURCE[facts.yamllint.source]})`,
      ],
      ['configuration', facts.configLabel],
      ['files', selection.description],
      [
        'run',
        result.processes === 0
          ? 'nothing to lint'
          : `${result.processes} concurrent processes over ${result.shards} shards, ${formatDuration(facts.elapsed)}`,
      ],
      ...(sarifPath === undefined ? [] : ([['SARIF', `<code>${sarifPath}</code>`]] as const)),
    ],
    notes: selection.notes,
    repoPath,
    sarifFile: sarifPath,
    localCommand: command,
    stopped:
      stopped === undefined
        ? undefined
        : `${unlinted} of ${selection.files.length} files have no verdict: ${stopped.message}`,
  });
  await appendSummary(summary.markdown);

  core.setOutput('errors', String(found.errors));
  core.setOutput('warnings', String(found.warnings));
  core.setOutput('files-checked', String(result.linted));
  if (stopped === undefined && sarifProblem !== undefined) throw sarifProblem;
  if (stopped !== undefined) {
    core.info(
      `yamllint linted ${result.linted} of ${selection.files.length} files; it stopped without a verdict on the others.`,
    );
    throw stopped;
  }
  const exit = plainExitCode(found, inputs.strict);
  core.info(
    `Plain yamllint${inputs.strict ? ' --strict' : ''} ${describePlainExit(exit)}${exit === 0 ? '.' : '; this step fails with exit code 1.'}`,
  );
  if (decision.failed) {
    throw new LintFailedError(
      failureMessage({
        verdict: decision,
        found,
        noWarnings: inputs.noWarnings,
        filesWithProblems,
        filesChecked: result.linted,
        plan,
        sarifFile: sarifPath,
        summaryCut: summary.cut,
        localCommand: command,
      }),
    );
  }
  core.setOutput('outcome', 'passed');
}

/** yamllint prints paths relative to the working directory; annotations and SARIF want them from the repo root. */
function repoPathOf(context: RunnerContext): (file: Buffer) => Buffer {
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
function printProblems(
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
