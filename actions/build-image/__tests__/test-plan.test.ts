import { describe, expect, it } from '@jest/globals';
import {
  defaultBrowserTestCommands,
  defaultImageTestCommand,
  imageTestDockerArgs,
  jupyterServerDockerArgs,
  parsePublishedPort,
  selectSuites,
} from '../src/test-plan.js';

const none = {
  imageTests: false,
  imageTestRequirements: false,
  browserTests: false,
  browserTestRequirements: false,
};

describe('selectSuites', () => {
  it.each([
    [
      'auto',
      { ...none, imageTests: true },
      { imageTests: true, browserTests: false, skippedBecause: undefined },
    ],
    [
      'true',
      { ...none, imageTests: true, browserTests: true },
      { imageTests: true, browserTests: true, skippedBecause: undefined },
    ],
    [
      'false',
      { ...none, imageTests: true },
      { imageTests: false, browserTests: false, skippedBecause: 'the "test" input is false' },
    ],
    [
      'auto',
      none,
      {
        imageTests: false,
        browserTests: false,
        skippedBecause: 'the repository has no image-tests/ or browser-tests/',
      },
    ],
  ] as const)('test: %s', (mode, present, expected) => {
    expect(selectSuites(mode, present)).toEqual(expected);
  });
});

describe('image test commands', () => {
  it('runs pytest directly, or installs the requirements first in the same container', () => {
    expect(defaultImageTestCommand(false)).toEqual([
      'python3',
      '-m',
      'pytest',
      '-v',
      '-p',
      'no:cacheprovider',
      'image-tests/',
    ]);
    expect(defaultImageTestCommand(true)).toEqual([
      'sh',
      '-c',
      'python3 -m pip install --no-cache-dir -r image-tests/requirements.txt && exec python3 -m pytest -v -p no:cacheprovider image-tests/',
    ]);
  });

  it('runs inside the image as the image user, in the repository directory, and removes the container', () => {
    expect(
      imageTestDockerArgs({
        image: 'r/i:t',
        containerName: 'c1',
        userId: 1000,
        targetRepoDir: '/srv/repo',
        command: ['python3', '-m', 'pytest'],
      }),
    ).toEqual([
      'run',
      '--rm',
      '--name',
      'c1',
      '--user',
      '1000',
      '--workdir',
      '/srv/repo',
      'r/i:t',
      'python3',
      '-m',
      'pytest',
    ]);
  });
});

describe('browser test commands', () => {
  it('starts jupyter lab on 8888 with an empty token, published on loopback only', () => {
    expect(jupyterServerDockerArgs({ image: 'r/i:t', containerName: 'j', hostPort: 8888 })).toEqual([
      'run',
      '--detach',
      '--name',
      'j',
      '--publish',
      '127.0.0.1:8888:8888',
      'r/i:t',
      'jupyter',
      'lab',
      '--ip=0.0.0.0',
      '--port=8888',
      '--no-browser',
      '--ServerApp.token=',
    ]);
    expect(jupyterServerDockerArgs({ image: 'r/i:t', containerName: 'j', hostPort: 0 })).toContain(
      '127.0.0.1::8888',
    );
  });

  it('reads the published port', () => {
    expect(parsePublishedPort('127.0.0.1:49153\n')).toBe(49153);
    expect(parsePublishedPort('0.0.0.0:49153\n')).toBeUndefined();
  });

  it('runs pytest on the runner, in a virtual environment when there are requirements', () => {
    expect(defaultBrowserTestCommands(false, '/t/venv').steps).toEqual([
      ['python3', '-m', 'pytest', '-v', 'browser-tests/'],
    ]);
    expect(defaultBrowserTestCommands(true, '/t/venv').steps).toEqual([
      ['python3', '-m', 'venv', '--system-site-packages', '/t/venv'],
      [
        '/t/venv/bin/python',
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '-r',
        'browser-tests/requirements.txt',
      ],
      ['/t/venv/bin/python', '-m', 'pytest', '-v', 'browser-tests/'],
    ]);
  });
});
