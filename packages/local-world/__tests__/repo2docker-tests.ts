// What the repo2docker contract and double tests share: running a program, the docker CLI, scratch repositories.
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../src/tmp.js';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program with extra env (undefined removes a variable), collecting its output. */
export function run(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const merged: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...process.env, ...env })) {
      if (value !== undefined) merged[key] = value;
    }
    const child = spawn(command, [...args], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      }),
    );
  });
}

/** The docker CLI; a failure throws with its stderr. */
export async function docker(args: readonly string[]): Promise<string> {
  const result = await run('docker', args);
  if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** A scratch repository with `files` (a trailing `*` on a path makes the file executable); its dir goes in `dirs`. */
export async function makeRepo(files: Record<string, string>, dirs: string[]): Promise<string> {
  const dir = await makeTempDir('r2d-repo');
  dirs.push(dir);
  for (const [rawPath, content] of Object.entries(files)) {
    const executable = rawPath.endsWith('*');
    const path = join(dir, executable ? rawPath.slice(0, -1) : rawPath);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
    if (executable) await chmod(path, 0o755);
  }
  return dir;
}
