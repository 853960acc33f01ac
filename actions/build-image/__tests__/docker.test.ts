import { describe, expect, it } from '@jest/globals';
import { parseDockerInfo } from '../src/docker.js';

const info = (fields: object) => JSON.stringify(fields);

describe('parseDockerInfo', () => {
  it('reads the client, engine and buildx versions and the data directory from one docker info', () => {
    expect(
      parseDockerInfo(
        info({
          ServerVersion: '27.5.1',
          DockerRootDir: '/var/lib/docker',
          ClientInfo: {
            Version: '27.5.1',
            Plugins: [
              { Name: 'compose', Version: 'v2.32.4' },
              { Name: 'buildx', Version: 'v0.20.0' },
            ],
          },
        }),
      ),
    ).toEqual({
      client: '27.5.1',
      server: '27.5.1',
      buildx: 'v0.20.0',
      buildxProblem: undefined,
      rootDir: '/var/lib/docker',
    });
  });

  it('says why buildx cannot be used: missing, or failing to load', () => {
    expect(parseDockerInfo(info({ ServerVersion: '20.10.24', ClientInfo: { Plugins: [] } }))).toMatchObject({
      client: 'unknown',
      buildx: undefined,
      buildxProblem: 'docker lists no buildx plugin',
      rootDir: undefined,
    });
    expect(
      parseDockerInfo(
        info({
          ServerVersion: '28.0.0',
          ClientInfo: { Plugins: [{ Name: 'buildx', Err: 'exec format error' }] },
        }),
      ),
    ).toMatchObject({ buildx: undefined, buildxProblem: 'the plugin fails to load: exec format error' });
  });

  it('leaves the engine version empty when no engine answered, and gives up on anything but JSON', () => {
    expect(parseDockerInfo(info({ ServerVersion: '', ClientInfo: { Version: '28.2.2' } }))?.server).toBe('');
    expect(parseDockerInfo('Cannot connect to the Docker daemon')).toBeUndefined();
  });
});
