import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describeContext, scanContext } from '../src/context-scan.js';

const dirs: string[] = [];

async function repo(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hia-scan-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const paths = async (dir: string, workingDir?: string) =>
  (await scanContext(dir, workingDir)).hashed.map((entry) => entry.path).sort();

describe('scanContext: what repo2docker copies and reads', () => {
  it('reads the ignore files from binder/ for an image repo2docker generates, not from the root', async () => {
    const dir = await repo({
      'binder/environment.yml': 'dependencies: []\n',
      'binder/.dockerignore': 'drafts\n',
      '.dockerignore': 'notes.md\n',
      'notes.md': 'kept: the root .dockerignore is not read\n',
      'drafts/a.md': 'left out\n',
    });
    const scan = await scanContext(dir);
    expect(scan.ignoreFiles).toEqual(['binder/.dockerignore']);
    expect(await paths(dir)).toContain('notes.md');
    expect(await paths(dir)).not.toContain('drafts/a.md');
  });

  it('reads .containerignore beside .dockerignore for a generated image, and neither file for a Dockerfile build', async () => {
    const generated = await repo({ 'requirements.txt': '', '.containerignore': 'scratch\n', scratch: 'x\n' });
    expect((await scanContext(generated)).ignoreFiles).toEqual(['.containerignore']);
    expect(await paths(generated)).not.toContain('scratch');
    const dockerfile = await repo({
      Dockerfile: 'FROM x\n',
      '.containerignore': 'scratch\n',
      scratch: 'x\n',
    });
    expect((await scanContext(dockerfile)).ignoreFiles).toEqual([]);
    expect(await paths(dockerfile)).toContain('scratch');
  });

  it("takes BuildKit's Dockerfile.dockerignore over the root .dockerignore for a Dockerfile build", async () => {
    const dir = await repo({
      'binder/Dockerfile': 'FROM x\n',
      'binder/Dockerfile.dockerignore': 'secret.txt\n',
      '.dockerignore': 'kept.txt\n',
      'secret.txt': 'x\n',
      'kept.txt': 'y\n',
    });
    const scan = await scanContext(dir);
    expect(scan.ignoreFiles).toEqual(['binder/Dockerfile.dockerignore']);
    expect(await paths(dir)).toContain('kept.txt');
    expect(await paths(dir)).not.toContain('secret.txt');
  });

  it('hashes the repo2docker_config.py repo2docker executes from where it runs, even when it is not copied', async () => {
    const root = await repo({
      'images/gpu/environment.yml': 'dependencies: []\n',
      'repo2docker_config.py': "c.Repo2Docker.labels = {'a': 'b'}\n",
    });
    const context = join(root, 'images/gpu');
    const scan = await scanContext(context, root);
    expect(scan.readDirectly).toEqual(['../../repo2docker_config.py']);
    expect(scan.hashed.map((e) => e.path)).toContain(
      'repo2docker_config.py (executed by repo2docker from its working directory)',
    );
    expect(describeContext(scan)).toMatch(
      /; also read by repo2docker and hashed: \.\.\/\.\.\/repo2docker_config\.py$/,
    );

    await writeFile(join(root, 'repo2docker_config.py'), "c.Repo2Docker.labels = {'a': 'c'}\n");
    const changed = await scanContext(context, root);
    expect(changed.hashed).not.toEqual(scan.hashed);
  });
});
