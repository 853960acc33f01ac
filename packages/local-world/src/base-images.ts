import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { docker, imageExists, runCommand } from './docker-engine.js';
import { withLockFile } from './lock.js';
import { cacheDir } from './tmp.js';

/** Busybox with a shell, coreutils-like applets, wget and httpd; users root and jovyan (uid 1000). */
export const BUSYBOX_IMAGE = 'hia-test/busybox:1';
/** Debian bookworm (minbase) with python3, pytest, pip, venv and CA certificates. */
export const PYTHON_IMAGE = 'hia-test/python:bookworm';

const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------------------------------------------------
// busybox: a tar stream written here, imported with `docker import -`.

interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid?: number;
  gid?: number;
  content?: Buffer;
  linkTarget?: string;
}

function tarHeader(entry: TarEntry): Buffer {
  const header = Buffer.alloc(512);
  const put = (offset: number, length: number, value: string) => header.write(value, offset, length, 'utf8');
  const octal = (offset: number, length: number, value: number) =>
    put(offset, length, value.toString(8).padStart(length - 1, '0'));
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar name too long: ${entry.name}`);
  put(0, 100, entry.name);
  octal(100, 8, entry.mode);
  octal(108, 8, entry.uid ?? 0);
  octal(116, 8, entry.gid ?? 0);
  octal(124, 12, entry.content?.length ?? 0);
  octal(136, 12, Math.floor(Date.now() / 1000));
  put(156, 1, { file: '0', dir: '5', symlink: '2' }[entry.type]);
  put(157, 100, entry.linkTarget ?? '');
  put(257, 8, 'ustar\u000000');
  put(148, 8, '        ');
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  put(148, 8, `${checksum.toString(8).padStart(6, '0')}\u0000 `);
  return header;
}

function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(tarHeader(entry));
    if (entry.content !== undefined && entry.content.length > 0) {
      parts.push(entry.content, Buffer.alloc((512 - (entry.content.length % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

async function busyboxRootfs(): Promise<Buffer> {
  const busyboxPath = '/usr/bin/busybox';
  let busybox: Buffer;
  try {
    busybox = await readFile(busyboxPath);
  } catch {
    throw new Error(`${busyboxPath} is missing: apt-get install busybox-static`);
  }
  const applets = (await runCommand(busyboxPath, ['--list'])).stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => /^[\w.[-]+$/.test(name) && name !== 'busybox');
  const text = (value: string) => Buffer.from(value);
  const dir = (name: string, mode = 0o755, owner = 0): TarEntry => ({
    name,
    type: 'dir',
    mode,
    uid: owner,
    gid: owner,
  });
  return tarArchive([
    ...['bin/', 'dev/', 'etc/', 'home/', 'proc/', 'sys/', 'usr/', 'usr/bin/', 'var/'].map((name) =>
      dir(name),
    ),
    dir('root/', 0o700),
    dir('tmp/', 0o1777),
    dir('var/tmp/', 0o1777),
    dir('home/jovyan/', 0o755, 1000),
    { name: 'usr/bin/busybox', type: 'file', mode: 0o755, content: busybox },
    ...applets.map((name): TarEntry => ({
      name: `bin/${name}`,
      type: 'symlink',
      mode: 0o777,
      linkTarget: '/usr/bin/busybox',
    })),
    {
      name: 'etc/passwd',
      type: 'file',
      mode: 0o644,
      content: text(
        'root:x:0:0:root:/root:/bin/sh\n' +
          'jovyan:x:1000:1000:jovyan:/home/jovyan:/bin/sh\n' +
          'nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
      ),
    },
    {
      name: 'etc/group',
      type: 'file',
      mode: 0o644,
      content: text('root:x:0:\njovyan:x:1000:\nnogroup:x:65534:\n'),
    },
  ]);
}

/** Imports BUSYBOX_IMAGE from the machine's busybox-static unless it exists (well under a second). */
export async function ensureBusyboxImage(): Promise<void> {
  if (await imageExists(BUSYBOX_IMAGE)) return;
  await withLockFile(join(cacheDir(), 'busybox.lock'), { timeoutMs: 5 * 60_000 }, async () => {
    if (await imageExists(BUSYBOX_IMAGE)) return;
    await docker(
      ['import', '--change', `ENV PATH=${SYSTEM_PATH}`, '--change', 'CMD ["sh"]', '-', BUSYBOX_IMAGE],
      { stdin: await busyboxRootfs() },
    );
  });
}

// ---------------------------------------------------------------------------------------------------------
// python: debootstrap once per machine, cache the rootfs tarball, `docker import` it.

export interface AptSourceFile {
  name: string;
  text: string;
}

/** The first `deb` source for bookworm in one-line (`.list`) or deb822 (`.sources`) files. */
export function bookwormMirror(files: readonly AptSourceFile[]): string | undefined {
  for (const file of files) {
    if (file.name.endsWith('.sources')) {
      for (const stanza of file.text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        for (const line of stanza.split('\n')) {
          const match = /^([\w-]+):\s*(.*)$/.exec(line);
          if (match?.[1] !== undefined) fields.set(match[1].toLowerCase(), match[2] ?? '');
        }
        const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
        if (fields.get('enabled')?.trim() === 'no') continue;
        if (words('types').includes('deb') && words('suites').includes('bookworm')) return words('uris')[0];
      }
    } else {
      for (const line of file.text.split('\n')) {
        const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (match?.[2] === 'bookworm') return match[1];
      }
    }
  }
  return undefined;
}

async function machineAptSources(): Promise<AptSourceFile[]> {
  const files: AptSourceFile[] = [];
  const read = async (path: string) => {
    try {
      files.push({ name: path, text: await readFile(path, 'utf8') });
    } catch {
      // absent: fine
    }
  };
  await read('/etc/apt/sources.list');
  let names: string[] = [];
  try {
    names = (await readdir('/etc/apt/sources.list.d')).sort();
  } catch {
    // absent: fine
  }
  for (const name of names.filter((n) => n.endsWith('.list') || n.endsWith('.sources'))) {
    await read(join('/etc/apt/sources.list.d', name));
  }
  return files;
}

export async function debianMirror(): Promise<string> {
  return bookwormMirror(await machineAptSources()) ?? DEFAULT_MIRROR;
}

export function pythonRootfsTarball(): string {
  return join(cacheDir(), 'python-bookworm.tar');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** debootstrap and chroot mount /proc and /sys inside the target; never delete through a mount. */
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/mounts', 'utf8'))
    .split('\n')
    .map((line) => line.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((point): point is string => point !== undefined && point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) await runCommand('umount', ['-l', point], { allowFailure: true });
}

/** Runs a long command with its output going to a log file; a failure carries the log tail. */
async function runLogged(command: string, args: readonly string[], logFile: string): Promise<void> {
  const log = createWriteStream(logFile);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (error) => reject(new Error(`could not run ${command}: ${error.message}`)));
    child.on('close', (code) => {
      log.end(async () => {
        if (code === 0) return resolve();
        const logTail = (await readFile(logFile, 'utf8')).trimEnd().split('\n').slice(-25).join('\n');
        reject(new Error(`${command} ${args.join(' ')} exited with ${code}; see ${logFile}:\n${logTail}`));
      });
    });
  });
}

async function buildPythonRootfsTarball(tarball: string): Promise<void> {
  const rootfs = join(cacheDir(), 'python-bookworm.rootfs');
  await unmountUnder(rootfs);
  await rm(rootfs, { recursive: true, force: true });
  const mirror = await debianMirror();
  const started = Date.now();
  console.log(`[harness] debootstrap bookworm from ${mirror} for ${PYTHON_IMAGE} (a few minutes, once)`);
  try {
    await runLogged(
      'debootstrap',
      [
        '--variant=minbase',
        '--include=python3,python3-pytest,python3-pip,python3-venv,ca-certificates',
        'bookworm',
        rootfs,
        mirror,
      ],
      join(cacheDir(), 'python-bookworm.debootstrap.log'),
    );
    await runCommand('chroot', [rootfs, 'apt-get', 'clean']);
    await unmountUnder(rootfs);
    // Package lists are stale by the time a test uses them; keep lists/partial and its owner (_apt).
    const lists = join(rootfs, 'var/lib/apt/lists');
    for (const entry of await readdir(lists, { withFileTypes: true })) {
      if (entry.isFile()) await rm(join(lists, entry.name));
    }
    const partial = `${tarball}.partial`;
    await runCommand('tar', ['--numeric-owner', '-C', rootfs, '-cf', partial, '.']);
    await rename(partial, tarball);
  } finally {
    await unmountUnder(rootfs);
    await rm(rootfs, { recursive: true, force: true });
  }
  console.log(`[harness] debootstrap took ${Math.round((Date.now() - started) / 1000)} s`);
}

/**
 * Makes PYTHON_IMAGE exist: imports the cached rootfs tarball, debootstrapping it first if it is missing
 * (minutes, once per machine). Safe to call from several jest workers at once.
 */
export async function ensurePythonImage(): Promise<void> {
  if (await imageExists(PYTHON_IMAGE)) return;
  await mkdir(cacheDir(), { recursive: true });
  await withLockFile(join(cacheDir(), 'python-bookworm.lock'), { timeoutMs: 30 * 60_000 }, async () => {
    if (await imageExists(PYTHON_IMAGE)) return;
    const tarball = pythonRootfsTarball();
    if (!(await exists(tarball))) await buildPythonRootfsTarball(tarball);
    const started = Date.now();
    await docker([
      'import',
      '--change',
      `ENV PATH=${SYSTEM_PATH}`,
      '--change',
      'ENV LANG=C.UTF-8',
      '--change',
      'CMD ["python3"]',
      tarball,
      PYTHON_IMAGE,
    ]);
    console.log(`[harness] imported ${PYTHON_IMAGE} in ${Math.round((Date.now() - started) / 1000)} s`);
  });
}

/** Both base images; global setup calls this so the cost is paid once per machine. */
export async function ensureBaseImages(): Promise<void> {
  await ensureBusyboxImage();
  await ensurePythonImage();
}
