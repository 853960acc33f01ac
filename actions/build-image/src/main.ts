import * as core from '@actions/core';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { readInputs } from './context.js';

export async function main(): Promise<void> {
  const inputs = readInputs();
  core.info(`Inputs are valid for ${inputs.image.full}.`);
  throw new ConfigurationError(
    'this version of build-image validates its inputs only; the behaviour comes with issue #3',
  );
}

export async function post(): Promise<void> {}
