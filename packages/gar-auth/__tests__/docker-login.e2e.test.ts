import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemRunner, type ProcessRunner } from '@hub-image-actions/process';
import { dockerLogin, freshDockerConfigDir, removeDockerConfig } from '../src/index.js';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { makeTempDir, removeDir } from '@hub-image-actions/local-world/tmp';

let registry: TestRegistry;
let dir: string;

beforeAll(async () => {
  registry = await TestRegistry.start();
  dir = await makeTempDir('docker-login');
});

afterAll(async () => {
  await registry?.stop();
  await removeDir(dir);
});

/** A runner whose PATH starts with fake `docker-credential-pass` and `pass` programs that log being called. */
async function runnerWithCredentialHelper(): Promise<{ runner: ProcessRunner; helperLog: string }> {
  const bin = join(dir, 'bin');
  const helperLog = join(dir, 'helper.log');
  await mkdir(bin, { recursive: true });
  for (const name of ['docker-credential-pass', 'pass']) {
    await writeFile(
      join(bin, name),
      `#!/bin/sh\necho "${name} $*" >> '${helperLog}'\ncat >> '${helperLog}'\n`,
    );
    await chmod(join(bin, name), 0o755);
  }
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  return {
    runner: { run: (command, args, options) => systemRunner.run(command, args, { ...options, env }) },
    helperLog,
  };
}

describe('dockerLogin', () => {
  it('keeps the credential in its own config even when a credential helper is installed', async () => {
    // Without an `auths` entry in its config, docker would hand the password to docker-credential-pass.
    const { runner, helperLog } = await runnerWithCredentialHelper();
    const configDir = await freshDockerConfigDir(dir, undefined);
    await dockerLogin(runner, {
      configDir,
      registry: registry.host,
      username: registry.admin.username,
      password: registry.admin.password,
    });
    const config = JSON.parse(await readFile(join(configDir, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth: string }>;
      credsStore?: string;
    };
    expect(config.credsStore).toBeUndefined();
    expect(Buffer.from(config.auths[registry.host]?.auth ?? '', 'base64').toString()).toBe(
      `${registry.admin.username}:${registry.admin.password}`,
    );
    await expect(readFile(helperLog, 'utf8')).rejects.toThrow(/ENOENT/);
    await removeDockerConfig(configDir);
  });

  it('refuses a config that sends credentials to a helper', async () => {
    const configDir = await freshDockerConfigDir(dir, undefined);
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ credsStore: 'pass' }));
    await expect(
      dockerLogin(systemRunner, {
        configDir,
        registry: registry.host,
        username: registry.admin.username,
        password: registry.admin.password,
      }),
    ).rejects.toThrow(/names a credential helper; log in to a fresh directory/);
    await removeDockerConfig(configDir);
  });

  it("fails with docker's message on a wrong password", async () => {
    const configDir = await freshDockerConfigDir(dir, undefined);
    await expect(
      dockerLogin(systemRunner, {
        configDir,
        registry: registry.host,
        username: 'admin',
        password: 'wrong-password',
      }),
    ).rejects.toThrow(/docker --config .* login --username admin --password-stdin .* exited with code 1/);
    await removeDockerConfig(configDir);
  });
});
