import * as core from '@actions/core';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { readInputs } from './context.js';

export async function main(): Promise<void> {
  readInputs();
  core.info('Inputs are valid.');
  throw new ConfigurationError(
    'this version of yamllint-runner validates its inputs only; the behaviour comes with issue #6',
  );
}
