import { describe, expect, it } from '@jest/globals';
import { BuildLog } from '../src/build-log.js';

function feed(text: string): BuildLog {
  const log = new BuildLog(5);
  for (const line of text.split('\n')) log.line(line);
  return log;
}

const LEGACY_OK = `Sending build context to Docker daemon  10.24kB
Step 1/6 : FROM hia-test/python:bookworm
 ---> 4e4524d5caed
Step 2/6 : ARG NB_USER
 ---> Using cache
 ---> 0a1b2c3d4e5f
Step 3/6 : RUN useradd jovyan
 ---> Using cache
 ---> 1a1b2c3d4e5f
Step 4/6 : COPY src/ /srv/repo/
 ---> 2a1b2c3d4e5f
Step 5/6 : LABEL a=b
 ---> Running in 3a1b2c3d4e5f
Removing intermediate container 3a1b2c3d4e5f
 ---> 4a1b2c3d4e5f
Step 6/6 : USER 1000
 ---> Running in 5a1b2c3d4e5f
 ---> 6a1b2c3d4e5f
Successfully built 6a1b2c3d4e5f
Successfully tagged x:y`;

const LEGACY_FAIL = `Step 1/4 : FROM hia-test/python:bookworm
 ---> 4e4524d5caed
Step 2/4 : RUN pip install nonexistent-package
 ---> Running in 7a1b2c3d4e5f
ERROR: Could not find a version that satisfies the requirement nonexistent-package
ERROR: No matching distribution found for nonexistent-package
The command '/bin/sh -c pip install nonexistent-package' returned a non-zero code: 1
Error during build: docker build exited with code 1`;

const BUILDKIT_FAIL = `#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 1.2kB done
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/buildpack-deps:noble
#2 DONE 0.4s

#3 [1/4] FROM docker.io/library/buildpack-deps:noble@sha256:abc
#3 CACHED

#4 [2/4] RUN apt-get update
#4 CACHED

#5 [3/4] COPY environment.yml /tmp/env.yml
#5 DONE 0.1s

#6 [4/4] RUN mamba env update -f /tmp/env.yml
#6 0.512 Looking for: ['nonexistent']
#6 3.104 error    libmamba Could not solve for environment specs
#6 3.105 critical libmamba Could not solve for environment specs
#6 ERROR: process "/bin/sh -c mamba env update -f /tmp/env.yml" did not complete successfully: exit code: 1
------
 > [4/4] RUN mamba env update -f /tmp/env.yml:
------
ERROR: failed to solve: process "/bin/sh -c mamba env update" did not complete successfully: exit code: 1`;

describe('BuildLog', () => {
  it('counts cached steps of the legacy builder', () => {
    expect(feed(LEGACY_OK).cacheStats()).toEqual({ steps: 6, cachedSteps: 2 });
  });

  it('names the failing legacy step and keeps its output', () => {
    expect(feed(LEGACY_FAIL).failure()).toEqual({
      step: 'Step 2/4 : RUN pip install nonexistent-package',
      lines: [
        'ERROR: Could not find a version that satisfies the requirement nonexistent-package',
        'ERROR: No matching distribution found for nonexistent-package',
        "The command '/bin/sh -c pip install nonexistent-package' returned a non-zero code: 1",
        'Error during build: docker build exited with code 1',
      ],
    });
  });

  it('counts cached BuildKit steps, leaving out internal ones', () => {
    expect(feed(BUILDKIT_FAIL).cacheStats()).toEqual({ steps: 4, cachedSteps: 2 });
  });

  it('names the failing BuildKit step with its output, timestamps removed', () => {
    expect(feed(BUILDKIT_FAIL).failure()).toEqual({
      step: '[4/4] RUN mamba env update -f /tmp/env.yml',
      lines: [
        "Looking for: ['nonexistent']",
        'error    libmamba Could not solve for environment specs',
        'critical libmamba Could not solve for environment specs',
        'ERROR: process "/bin/sh -c mamba env update -f /tmp/env.yml" did not complete successfully: exit code: 1',
      ],
    });
  });

  it('falls back to the last lines when no step failed (e.g. repo2docker refused to start)', () => {
    const log = feed('Container engine initialization error: nope\nCheck if docker is running on the host.');
    expect(log.failure()).toEqual({
      step: undefined,
      lines: ['Container engine initialization error: nope', 'Check if docker is running on the host.'],
    });
    expect(log.cacheStats()).toEqual({ steps: 0, cachedSteps: 0 });
  });
});
