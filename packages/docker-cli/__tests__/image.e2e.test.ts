// The diagnosis against what the real docker CLI prints.
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { systemRunner } from '@hub-image-actions/process';
import { inspectImage } from '../src/index.js';

describe('inspectImage against the real docker CLI', () => {
  it('is undefined for a name the engine does not hold', async () => {
    expect(await inspectImage(systemRunner, 'hub-image-actions.invalid/no-such-image:never')).toBeUndefined();
  });

  it('says that no engine answers at an unused socket', async () => {
    const env = { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' };
    const run = inspectImage(systemRunner, 'hub-image-actions.invalid/x:1', { env });
    await expect(run).rejects.toThrow(ConfigurationError);
    await expect(run).rejects.toThrow(/no docker engine answers at unix:\/\/\/nonexistent\/docker\.sock/);
  });

  it('says that the docker CLI is missing when PATH has none', async () => {
    const run = inspectImage(systemRunner, 'hub-image-actions.invalid/x:1', {
      env: { ...process.env, PATH: '/nonexistent' },
    });
    await expect(run).rejects.toThrow(/the docker CLI is not installed/);
  });
});
