// Phase two of the log, the build context: what repo2docker will copy, refused when it holds a credential or leaves
// out the image tests that must run in the image.
import { join } from 'node:path';
import * as core from '@actions/core';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { describeContext, type ContextScan } from './context-scan.js';
import type { Inputs } from './context.js';
import { describeFindings } from './credentials.js';
import { IMAGE_TESTS_DIR, selectSuites } from './test-plan.js';

export async function checkContext(inputs: Inputs, scanning: Promise<ContextScan>): Promise<ContextScan> {
  const context = await scanning;
  core.info(describeContext(context));
  if (context.findings.length > 0) {
    for (const finding of context.findings) {
      core.error(`${finding.what}. ${finding.fix}.`, {
        title: 'Credential in the build context',
        file: join(inputs.contextDir, finding.path),
      });
    }
    throw new ConfigurationError(describeFindings(inputs.contextDir, context.findings));
  }
  core.info('No credential files in what repo2docker will copy.');
  const selection = selectSuites(inputs.test, context.present);
  if (selection.imageTests && context.excludedTestDirs.includes(IMAGE_TESTS_DIR)) {
    throw new ConfigurationError(
      `${IMAGE_TESTS_DIR}/ is left out of the image by ${context.ignoreFiles.join(' or ')}, so the image tests cannot run in it`,
      `Remove it from the ignore file, or set test: false`,
    );
  }
  return context;
}
