import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import type { ProcessRunner, RunResult } from '@hub-image-actions/process';
import {
  DockerCommandError,
  manifestFromLocalImage,
  type DockerCli,
  type StreamedCommand,
} from '../src/index.js';
import { layerTar } from './layers.js';

const result = (exitCode: number, stdout = '', stderr = ''): RunResult => ({
  exitCode,
  signal: null,
  timedOut: false,
  stdout,
  stderr,
});

function streamed(bytes: Buffer, exitCode = 0, stderr = ''): StreamedCommand {
  return {
    stdout: Readable.from([bytes]),
    finished:
      exitCode === 0
        ? Promise.resolve()
        : Promise.reject(new DockerCommandError(['run'], exitCode, [stderr])),
    kill: () => undefined,
  };
}

/** `docker image save` output in docker 20.10's layout: layers first, manifest.json last. */
async function savedImage(): Promise<Buffer> {
  const lower = await layerTar([
    { name: 'var/lib/dpkg/status', content: 'Package: a\nStatus: install ok installed\nVersion: 1\n' },
  ]);
  const upper = await layerTar([
    { name: 'var/lib/dpkg/.wh.status', content: '' },
    {
      name: 'usr/lib/R/library/base/DESCRIPTION',
      content: 'Package: base\nVersion: 4.4.1\nBuilt: R 4.4.1\n',
    },
  ]);
  return layerTar([
    { name: 'bbb/layer.tar', content: upper },
    { name: 'aaa/layer.tar', content: lower },
    { name: 'config.json', content: '{}' },
    {
      name: 'manifest.json',
      content: JSON.stringify([{ Config: 'config.json', Layers: ['aaa/layer.tar', 'bbb/layer.tar'] }]),
    },
  ]);
}

describe('manifestFromLocalImage', () => {
  it('falls back to docker image save when the walker container fails, and says why', async () => {
    const saved = await savedImage();
    const calls: string[] = [];
    const docker: DockerCli = {
      run: async () => result(0),
      stream: (args) => {
        calls.push(args[0] === 'run' ? 'run' : args.slice(0, 2).join(' '));
        return args[0] === 'run'
          ? streamed(
              Buffer.alloc(0),
              125,
              'docker: Error response from daemon: bind source path does not exist',
            )
          : streamed(saved);
      },
    };
    const runner: ProcessRunner = {
      run: async () =>
        result(0, '\tlibc.so.6 => /lib/libc.so.6 (0x1)\n\t/lib64/ld-linux-x86-64.so.2 (0x2)\n'),
    };
    const read = await manifestFromLocalImage('example/image:1', { docker, runner });
    expect(calls).toEqual(['run', 'image save']);
    expect(read.method).toBe('save');
    expect(read.fallbackReason).toMatch(
      /^the walker container failed \(docker run exited with code 125: .*bind source path does not exist\); read with docker image save$/,
    );
    // the upper layer's whiteout removed the lower layer's dpkg status
    expect(read.manifest.dpkg).toEqual([]);
    expect(read.manifest.r).toEqual([
      { path: '/usr/lib/R/library', packages: [{ name: 'base', version: '4.4.1' }] },
    ]);
  });

  it('uses only the method asked for, and reports its failure', async () => {
    const docker: DockerCli = {
      run: async () => result(1, '', 'Error: No such image: example/missing:1'),
      stream: () => streamed(Buffer.alloc(0), 1, 'Error: No such image: example/missing:1'),
    };
    await expect(manifestFromLocalImage('example/missing:1', { docker, method: 'export' })).rejects.toThrow(
      /docker create example\/missing:1 exited with code 1: Error: No such image/,
    );
  });
});
