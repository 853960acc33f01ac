import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BUSYBOX_IMAGE } from '@hub-image-actions/local-world/base-images';
import { docker } from '@hub-image-actions/local-world/docker-engine';
import { Fixture, imageRepo, repositoryOf } from './fixture.js';

jest.setTimeout(300_000);

let fx: Fixture;

beforeAll(async () => {
  fx = await Fixture.start();
});

afterAll(async () => {
  await fx?.stop();
});

async function containersNamed(prefix: string): Promise<string[]> {
  const result = await docker(['ps', '--all', '--filter', `name=${prefix}`, '--format', '{{.Names}}']);
  return result.stdout.split('\n').filter(Boolean);
}

/** The container name the action used for a suite, read from the docker command it logged. */
function containerOf(log: string, kind: 'tests' | 'jupyter'): string {
  const match = new RegExp(`--name (build-image-${kind}-[0-9a-f]+)`).exec(log);
  if (!match?.[1]) throw new Error(`no ${kind} container in the log`);
  return match[1];
}

describe('image-tests run inside the built image before anything is pushed', () => {
  it('pass as the image user in the repository directory', async () => {
    const image = fx.image('tests-pass');
    const { dir, sha } = await fx.repo(
      imageRepo({
        'image-tests/test_image.py': [
          'import os',
          '',
          'def test_runs_as_the_image_user_in_the_repo():',
          '    assert os.getuid() == 1000',
          "    assert os.getcwd() == '/srv/repo'",
          "    assert os.path.exists('environment.yml')",
          '',
        ].join('\n'),
      }),
    );
    const { run } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['tests']).toBe('passed');
    expect(run.log).toMatch(/image-tests\/test_image.py::test_runs_as_the_image_user_in_the_repo PASSED/);
    expect(run.groups).toContain('Image tests: image-tests/ in the image');
    expect(run.summary).toMatch(
      /\| Tests \| image-tests: \*\*passed\*\* \([^)]+\), passed in the image as uid 1000 in \/srv\/repo \|/,
    );
    expect(await containersNamed(containerOf(run.log, 'tests'))).toEqual([]);
  });

  it('that fail fail the step with their output shown, and leave the registry untouched', async () => {
    const image = fx.image('tests-fail');
    const { dir, sha } = await fx.repo(
      imageRepo({
        'image-tests/test_image.py': 'def test_numpy_is_there():\n    import numpy_missing_module  # noqa\n',
      }),
    );
    const { run } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ built: 'true', tests: 'failed' });
    expect(run.log).toContain("ModuleNotFoundError: No module named 'numpy_missing_module'");
    const error = run.annotations.find((a) => a.level === 'error');
    expect(error?.message).toMatch(
      /^build-image action failed: image-tests failed \(exit code 1\) in the image as uid 1000 in \/srv\/repo\. Nothing may be pushed\./,
    );
    expect(error?.message).toContain('numpy_missing_module');
    expect(run.summary).toContain('**Built, but the tests failed**, so nothing may be pushed');
    expect(run.summary).toContain('#### image-tests failed: last lines');
    expect(await fx.registry.tags(repositoryOf(image))).toEqual([]);
  });

  it('install image-tests/requirements.txt first, and a failed install fails the tests', async () => {
    const image = fx.image('tests-reqs');
    const { dir, sha } = await fx.repo(
      imageRepo({
        'image-tests/requirements.txt': 'hia-package-that-does-not-exist==1.0\n',
        'image-tests/test_x.py': 'def test_x():\n    pass\n',
      }),
    );
    const { run } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['tests']).toBe('failed');
    expect(run.log).toContain('python3 -m pip install --no-cache-dir -r image-tests/requirements.txt');
    expect(run.log).not.toContain('test_x.py::test_x PASSED');
  });

  it('run the image-test-command instead of the default, one argument per line', async () => {
    const image = fx.image('tests-command');
    const { dir, sha } = await fx.repo(
      imageRepo({
        'image-tests/test_image.py': [
          'def test_fast():',
          '    pass',
          '',
          'def test_slow_and_broken():',
          '    raise AssertionError("must be deselected")',
          '',
        ].join('\n'),
      }),
    );
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image,
      // "-k" and its expression are one argument each: no shell splits the line.
      inputs: { 'image-test-command': 'python3\n-m\npytest\n-v\nimage-tests/\n-k\nnot slow_and_broken' },
    });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['tests']).toBe('passed');
    expect(run.log).toMatch(/image-tests\/test_image.py::test_fast PASSED/);
    expect(run.log).toMatch(/1 passed, 1 deselected/);
    expect(run.log).not.toContain('must be deselected');
  });

  it('get every line of image-test-command as an argument, one starting with # too', async () => {
    const image = fx.image('tests-hash-arg');
    const { dir, sha } = await fx.repo(imageRepo({ 'image-tests/test_x.py': 'def test_x():\n    pass\n' }));
    const check =
      "import sys; assert sys.argv[1:] == ['#1', ' spaced '], sys.argv[1:]; print('argv as written')";
    const { run } = await fx.run({
      workspace: dir,
      sha,
      image,
      inputs: { 'image-test-command': `python3\n-c\n${check}\n#1\n spaced \n` },
    });
    expect(run.log).toContain('argv as written');
    expect(run.exitCode).toBe(0);
  });

  it('are refused before any build when .dockerignore leaves image-tests/ out of the image', async () => {
    const image = fx.image('tests-ignored');
    const { dir, sha } = await fx.repo(
      imageRepo({
        '.dockerignore': 'image-tests/\n',
        'image-tests/test_x.py': 'def test_x():\n    pass\n',
      }),
    );
    const { run, builds } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(1);
    expect(builds).toEqual([]);
    expect(run.annotations.find((a) => a.level === 'error')?.message).toBe(
      'build-image action failed: image-tests/ is left out of the image by .dockerignore, so the image tests cannot run in it. Remove it from the ignore file, or set test: false',
    );
  });
});

describe('browser-tests run on the runner against the image serving jupyter lab', () => {
  it('pass once /api/status answers, with JUPYTER_URL set, and the container is removed', async () => {
    const image = fx.image('browser-pass');
    const { dir, sha } = await fx.repo(
      imageRepo({
        'browser-tests/test_server.py': [
          'import json, os, urllib.request',
          '',
          'def test_jupyter_answers_without_a_token():',
          "    url = os.environ['JUPYTER_URL']",
          "    assert url.startswith('http://127.0.0.1:')",
          "    with urllib.request.urlopen(url + '/api/status') as response:",
          "        assert 'started' in json.load(response)",
          '',
        ].join('\n'),
      }),
    );
    const { run } = await fx.run({ workspace: dir, sha, image });
    expect(run.exitCode).toBe(0);
    expect(run.outputs['tests']).toBe('passed');
    expect(run.log).toMatch(/browser-tests\/test_server.py::test_jupyter_answers_without_a_token PASSED/);
    expect(run.log).toMatch(/jupyter lab --ip=0\.0\.0\.0 --port=8888 --no-browser --ServerApp\.token=/);
    expect(await containersNamed(containerOf(run.log, 'jupyter'))).toEqual([]);
  });

  it('fail after a bounded wait when the server never answers, attach its log and remove the container', async () => {
    const image = fx.image('browser-hang');
    const { dir, sha } = await fx.repo({
      Dockerfile: `FROM ${BUSYBOX_IMAGE}\nCOPY jupyter /usr/local/bin/jupyter\nUSER 1000\n`,
      'jupyter*': '#!/bin/sh\necho "fake jupyter starting, will never listen"\nexec sleep 600\n',
      'browser-tests/test_never.py': 'def test_never():\n    raise AssertionError("must not run")\n',
    });
    // How long the wait lasts is the unit tests' (tests.test.ts, on a clock of their own); here, that it ends.
    const { run } = await fx.run({ workspace: dir, sha, image, inputs: { 'browser-test-timeout': '3' } });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['tests']).toBe('failed');
    expect(run.annotations.find((a) => a.level === 'error')?.message).toMatch(
      /browser-tests the jupyter server did not answer http:\/\/127\.0\.0\.1:\d+\/api\/status within 3 s \(browser-test-timeout\)/,
    );
    expect(run.log).not.toContain('must not run');
    expect(run.groups).toContain('Jupyter server log');
    expect(run.summary).toContain('fake jupyter starting, will never listen');
    expect(await containersNamed(containerOf(run.log, 'jupyter'))).toEqual([]);
  });
});
