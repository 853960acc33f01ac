import * as core from '@actions/core';
import { apiFailure, isNoAnswer, type Repo } from '@hub-image-actions/github-access';
import * as gh from './github.js';
import { chooseIssue, planIssue, type ExistingIssue } from './issue-plan.js';
import { issueBody, issueContent } from './markdown.js';
import type { Report } from './report.js';

export interface IssueOutcome {
  action: 'created' | 'updated' | 'reopened' | 'closed' | 'unchanged' | 'none';
  number: number | undefined;
  url: string | undefined;
}

/** Keeps the one report issue in step with the report: opened, edited in place, closed when no problem remains. */
export async function settleIssue(
  api: gh.Api,
  repo: Repo,
  report: Report,
  options: { title: string; runUrl: string | undefined; repoName: string },
): Promise<IssueOutcome> {
  const found = await gh.reportIssues(api, repo);
  const { issue, others } = chooseIssue(found);
  if (others.length > 0) {
    core.warning(
      `Other open issues also carry the report's marker (${others.map((n) => `#${n}`).join(', ')}); only #${issue?.number} is kept up to date. Close the others.`,
    );
  }
  const content = issueContent(report, options.repoName);
  const body = issueBody(content, options.runUrl);
  const plan = planIssue(issue, {
    problems: report.problems.length,
    title: options.title,
    content,
    body,
    runUrl: options.runUrl,
  });
  switch (plan.action) {
    case 'none':
      core.info(`Report issue: nothing to do (${plan.reason}).`);
      return { action: issue === undefined ? 'none' : 'unchanged', number: issue?.number, url: issue?.url };
    case 'create': {
      const created = await createOnce(api, repo, plan.title, plan.body);
      core.info(`Opened the report issue ${created.url}.`);
      return { action: 'created', number: created.number, url: created.url };
    }
    case 'update': {
      const updated = await gh.updateIssue(api, repo, plan.number, { title: plan.title, body: plan.body });
      core.info(`Updated the report issue ${updated.url}.`);
      return { action: 'updated', number: updated.number, url: updated.url };
    }
    case 'reopen': {
      const reopened = await gh.updateIssue(api, repo, plan.number, {
        title: plan.title,
        body: plan.body,
        state: 'open',
      });
      core.info(`Reopened the report issue ${reopened.url}: problems are back.`);
      return { action: 'reopened', number: reopened.number, url: reopened.url };
    }
    case 'close': {
      await gh.commentOnIssue(api, repo, plan.number, plan.comment);
      const closed = await gh.updateIssue(api, repo, plan.number, { state: 'closed' });
      core.info(`Closed the report issue ${closed.url}: no problem remains.`);
      return { action: 'closed', number: closed.number, url: closed.url };
    }
  }
}

/** Creates the issue; after a lost answer, looks whether GitHub made it before trying once more. */
async function createOnce(api: gh.Api, repo: Repo, title: string, body: string): Promise<ExistingIssue> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const created = await gh.createIssue(api, repo, title, body);
      if (!created.labelled) {
        core.warning(
          `GitHub dropped the label "${gh.ISSUE_LABEL}" of the report issue (the token may not set labels); the issue is found by its marker while it stays open.`,
        );
      }
      return created;
    } catch (error) {
      const lost = isNoAnswer(error) || (apiFailure(error).status ?? 0) >= 500;
      if (!lost || attempt >= 2) throw gh.createFailure(error, repo);
      const landed = chooseIssue(await gh.reportIssues(api, repo)).issue;
      if (landed?.state === 'open') return landed;
      core.info('Opening the report issue got no answer, and it is not there: trying once more.');
    }
  }
}
