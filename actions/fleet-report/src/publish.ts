// What the report tells the run: the repos file's state, annotations at file and line, and the outputs.
import * as core from '@actions/core';
import type { Inputs } from './context.js';
import type { DeploymentRead } from './deployment.js';
import type { IssueOutcome } from './issue.js';
import { problemLine } from './markdown.js';
import type { Report } from './report.js';

/** Annotations GitHub shows per step (10 errors and 10 warnings); the rest are in the summary. */
const MAX_ANNOTATIONS = 10;

export function reportReposFile(read: DeploymentRead, inputs: Inputs): void {
  const repos = read.repos;
  const first = inputs.branches[0] ?? '';
  if (repos.state === 'missing') {
    const text = `${repos.path} is not in ${first}: the checks against the list of image repositories (not in the list, unused repository) are left out`;
    if (inputs.reposFileGiven)
      core.warning(
        `input "repos-file" is "${repos.path}", but ${text}. Fix the path, or leave "repos-file" out`,
      );
    else core.info(`${text}.`);
  } else if (repos.state === 'unreadable') {
    core.warning(
      `input "repos-file" is "${repos.path}", which cannot be read as a list of repositories in ${first} (${repos.why}): the checks against it are left out. Make it a text file with one OWNER/NAME or git URL a line`,
      { file: repos.path },
    );
  } else {
    core.info(`${repos.path}: ${repos.list.entries.length} image repositories.`);
    for (const bad of repos.list.invalid) {
      core.warning(
        `${repos.path} line ${bad.line} is ${JSON.stringify(bad.text)}, which names no repository: expected OWNER/NAME or a git URL. It is left out.`,
        { file: repos.path, startLine: bad.line },
      );
    }
  }
}

export function annotate(report: Report): void {
  let errors = 0;
  let warnings = 0;
  for (const problem of report.problems) {
    const properties = {
      title: `fleet-report: ${problem.kind}`,
      ...(problem.file === undefined ? {} : { file: problem.file }),
      ...(problem.line === undefined ? {} : { startLine: problem.line }),
    };
    const text = `${problem.message}. ${problem.fix}.`;
    if (problem.severity === 'broken') {
      errors += 1;
      core.error(text, properties);
    } else if (problem.severity === 'warning' && warnings < MAX_ANNOTATIONS) {
      warnings += 1;
      core.warning(text, properties);
    } else {
      core.info(problemLine(problem));
    }
  }
  if (errors > MAX_ANNOTATIONS) {
    core.info(
      `GitHub shows ${MAX_ANNOTATIONS} error annotations per step: all ${errors} are in the job summary.`,
    );
  }
}

export function setOutputs(report: Report, reportFile: string, issue: IssueOutcome | undefined): void {
  core.setOutput('broken', String(report.broken));
  core.setOutput('problems', String(report.problems.length));
  core.setOutput('unknown', String(report.unknown.length));
  core.setOutput('hubs', String(report.hubs));
  core.setOutput('images', String(report.images));
  core.setOutput('counts', JSON.stringify(report.counts));
  core.setOutput('report-file', reportFile);
  core.setOutput('issue-number', issue?.number === undefined ? '' : String(issue.number));
  core.setOutput('issue-url', issue?.url ?? '');
}
