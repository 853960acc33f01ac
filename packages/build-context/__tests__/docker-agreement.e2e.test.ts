// The context walk against the real docker: what a build with each .dockerignore copies is what listContext lists.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '@hub-image-actions/local-world/base-images';
import { docker } from '@hub-image-actions/local-world/docker-engine';
import { listContext } from '../src/index.js';

const FILES = [
  'README.md',
  'NOTES.md',
  'Secret',
  'secret',
  'docs/a.md',
  'docs/keep.md',
  'docs/deep/file',
  'docs/deep/keep.md',
  'dir/a/b',
  'a/b/c.go',
  'c.go',
  'sub/gha-creds-1234.json',
  ' #not-a-comment',
];

// Each case is one the matcher could get wrong: re-includes below ignored folders, `**`, case, comments.
const CASES = [
  'docs\n!**/keep.md',
  'docs\n!docs/keep.md',
  'docs/\n!docs/deep/keep.md',
  'docs\n!docs/deep',
  '**/*.md\n!docs/**',
  'dir/**\n**/*.go',
  '**/gha-creds-*.json',
  'secret',
  ' #not-a-comment\n#README.md',
  '*.md\n!README.md',
];

/** What `COPY . /c/` copied, from the filesystem of a container of the built image. */
async function copiedByDocker(context: string, tag: string): Promise<string[]> {
  // Without the build cache: a cached step could be another run's intermediate image, removed while this build uses it.
  const built = await docker(['build', '-q', '--no-cache', '-t', tag, context], {
    env: { DOCKER_BUILDKIT: '0' },
  });
  if (built.exitCode !== 0) throw new Error(`docker build failed: ${built.stderr}`);
  try {
    const listed = await docker(['run', '--rm', '--entrypoint', 'find', tag, '/c', '-type', 'f']);
    return listed.stdout
      .split('\n')
      .filter((line) => line.startsWith('/c/'))
      .map((line) => line.slice('/c/'.length))
      .filter((path) => path !== 'Dockerfile' && path !== '.dockerignore')
      .sort();
  } finally {
    await docker(['image', 'rm', tag]);
  }
}

describe('listContext agrees with docker build', () => {
  let root: string;
  beforeAll(async () => {
    await ensureBusyboxImage();
    root = await mkdtemp(join(tmpdir(), 'ignore-agreement-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it.each(CASES.map((text, index) => [text, index] as const))('on %j', async (text, index) => {
    const context = join(root, String(index));
    for (const file of FILES) {
      await mkdir(dirname(join(context, file)), { recursive: true });
      await writeFile(join(context, file), file);
    }
    await writeFile(join(context, 'Dockerfile'), `FROM ${BUSYBOX_IMAGE}\nCOPY . /c/\n`);
    await writeFile(join(context, '.dockerignore'), `${text}\n`);
    const ours = (await listContext(context)).entries
      .filter(
        (entry) => entry.kind === 'file' && entry.path !== 'Dockerfile' && entry.path !== '.dockerignore',
      )
      .map((entry) => entry.path)
      .sort();
    expect(ours).toEqual(await copiedByDocker(context, `hia-test/ignore-agreement:${process.pid}-${index}`));
  });
});
