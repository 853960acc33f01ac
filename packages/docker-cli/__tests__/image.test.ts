import { describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '@hub-image-actions/action-io';
import { ProcessError, type ProcessRunner, type RunResult } from '@hub-image-actions/process';
import {
  engineProblem,
  inspectImage,
  inspectImages,
  isEngineUnreachable,
  parseImageInspect,
} from '../src/index.js';

function answering(answer: Partial<RunResult>): ProcessRunner {
  return {
    run: async () => ({ exitCode: 0, signal: null, timedOut: false, stdout: '', stderr: '', ...answer }),
  };
}

const line = (fields: object) => JSON.stringify(fields);

describe('parseImageInspect', () => {
  it.each([
    [
      'every field',
      {
        Id: 'sha256:a',
        Size: 7,
        RepoTags: ['r/x:1'],
        RepoDigests: ['r/x@sha256:b'],
        RootFS: { Layers: ['sha256:l'] },
        Config: { Labels: { k: 'v' } },
      },
      {
        id: 'sha256:a',
        size: 7,
        layers: ['sha256:l'],
        labels: { k: 'v' },
        repoTags: ['r/x:1'],
        repoDigests: ['r/x@sha256:b'],
      },
    ],
    [
      'nulls docker prints for an untagged, unlabelled image',
      { Id: 'sha256:a', Size: 0, RepoTags: null, RepoDigests: null, Config: { Labels: null } },
      { id: 'sha256:a', size: 0, layers: [], labels: {}, repoTags: [], repoDigests: [] },
    ],
  ])('reads %s', (_name, json, image) => {
    expect(parseImageInspect(line(json))).toEqual(image);
  });

  it('refuses an answer without an Id', () => {
    expect(() => parseImageInspect(line({ Size: 1 }))).toThrow(/printed no Id/);
  });
});

describe('inspectImage', () => {
  it.each([['Error: No such image: r/x:1'], ['Error response from daemon: No such image: r/x:1']])(
    'is undefined when docker says %j',
    async (stderr) => {
      expect(await inspectImage(answering({ exitCode: 1, stderr }), 'r/x:1')).toBeUndefined();
    },
  );

  it.each([
    [127, 'spawn docker ENOENT', /the docker CLI is not installed/],
    [
      1,
      'Cannot connect to the Docker daemon at unix:///nowhere.sock. Is the docker daemon running?',
      /no docker engine answers at unix:\/\/\/nowhere\.sock: Cannot connect.*Start the docker daemon/,
    ],
  ])('turns exit code %d (%s) into a ConfigurationError', async (exitCode, stderr, message) => {
    const run = inspectImage(answering({ exitCode, stderr }), 'r/x:1', {
      env: { DOCKER_HOST: 'unix:///nowhere.sock' },
    });
    await expect(run).rejects.toThrow(ConfigurationError);
    await expect(run).rejects.toThrow(message);
  });

  it('keeps any other failure a ProcessError with what docker said', async () => {
    const run = inspectImage(answering({ exitCode: 1, stderr: 'permission denied on the socket' }), 'r/x:1');
    await expect(run).rejects.toThrow(ProcessError);
    await expect(run).rejects.toThrow(/permission denied/);
  });
});

describe('inspectImages', () => {
  it('reads the images docker found when it fails for the others', async () => {
    const runner = answering({
      exitCode: 1,
      stdout: `${line({ Id: 'sha256:a', RepoTags: ['r/x:1'] })}\n`,
      stderr: 'Error: No such image: r/x:2',
    });
    expect((await inspectImages(runner, ['r/x:1', 'r/x:2'])).map((image) => image.id)).toEqual(['sha256:a']);
  });

  it('asks nothing for no names', async () => {
    const runner: ProcessRunner = { run: () => Promise.reject(new Error('docker was run')) };
    expect(await inspectImages(runner, [])).toEqual([]);
  });
});

describe('engine diagnosis', () => {
  it('names DOCKER_HOST only when it is set', () => {
    const result = {
      exitCode: 1,
      signal: null,
      timedOut: false,
      stdout: '',
      stderr: 'error during connect: x',
    };
    expect(isEngineUnreachable(result)).toBe(true);
    expect(engineProblem(result, {}).message).toMatch(/^no docker engine answers: error during connect: x/);
  });
});
