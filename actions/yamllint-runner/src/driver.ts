/**
 * How yamllint is run so that nothing it prints is lost. Pure.
 *
 * yamllint's own command line (`yamllint.cli.run`) runs in yamllint's own Python, with two changes that do not
 * touch what it lints or decides: its arguments arrive NUL-separated on stdin (node passes argv as UTF-8 text only,
 * and a file name need not be UTF-8), and each write to stdout arrives framed by its length. yamllint prints each
 * problem and each listed file with one `print`, which is two writes (the text, then "\n"), so the frames give every
 * record whole even when a message or a file name holds a newline, and the bytes are exactly those plain yamllint
 * prints (UTF-8 text, file names as the bytes they are).
 */
import { basename } from 'node:path';

/** Marks the children in `ps`, and keeps the working directory off sys.path: a `yaml.py` there must not load. */
export const DRIVER = `# hub-image-actions yamllint-runner: yamllint's CLI with argv on stdin and stdout framed
import sys
if sys.path and sys.path[0] == '':
    del sys.path[0]
import os
out = sys.stdout.buffer
class Framed:
    encoding = 'utf-8'
    errors = 'surrogateescape'
    def write(self, text):
        data = text.encode('utf-8', 'surrogateescape')
        out.write(b'%d\\n' % len(data) + data)
        return len(text)
    def flush(self):
        out.flush()
    def isatty(self):
        return False
sys.stdout = Framed()
args = [os.fsdecode(arg) for arg in sys.stdin.buffer.read().split(b'\\0')[:-1]]
from yamllint.cli import run
try:
    run(args)
finally:
    out.flush()
`;

/** The argv that runs the driver with `python` (the interpreter and its options). */
export function driverArgv(python: readonly string[]): { command: string; args: string[] } {
  const [command = 'python3', ...options] = python;
  return { command, args: [...options, '-c', DRIVER] };
}

/** yamllint's arguments as the driver reads them: each followed by NUL. */
export function encodeArgs(args: ReadonlyArray<string | Buffer>): Buffer {
  return Buffer.concat(args.flatMap((arg) => [Buffer.from(arg), Buffer.from([0])]));
}

export class FramingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FramingError';
  }
}

/** The driver's stdout back into the writes yamllint made. */
function decodeFrames(stdout: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < stdout.length) {
    const newline = stdout.indexOf(0x0a, at);
    const header = newline < 0 ? '' : stdout.subarray(at, newline).toString('latin1');
    if (!/^[0-9]{1,10}$/.test(header) || newline + 1 + Number(header) > stdout.length)
      throw new FramingError(`yamllint's output is cut or not framed at byte ${at} of ${stdout.length}`);
    frames.push(stdout.subarray(newline + 1, newline + 1 + Number(header)));
    at = newline + 1 + Number(header);
  }
  return frames;
}

/**
 * The driver's stdout back into what yamllint printed, one record per `print` (without its "\n"). A last record
 * that lacks its "\n" (yamllint killed mid-print) is kept as it is.
 */
export function decodeRecords(stdout: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let pending: Buffer[] = [];
  for (const frame of decodeFrames(stdout)) {
    if (frame.length === 1 && frame[0] === 0x0a) {
      records.push(Buffer.concat(pending));
      pending = [];
    } else {
      pending.push(frame);
    }
  }
  if (pending.length > 0) records.push(Buffer.concat(pending));
  return records;
}

/** All that yamllint printed, as text, e.g. for `--version`. */
export function decodeText(stdout: Buffer): string {
  return Buffer.concat(decodeFrames(stdout)).toString('utf8');
}

/**
 * The Python a `yamllint` script runs with, from its first bytes: `#!/usr/bin/python3`, `#!/usr/bin/env python3`
 * (then the first word is a name to find on PATH), or pip's launcher for long paths (`#!/bin/sh` then
 * `'''exec' "/venv/bin/python" "$0" "$@"`). Undefined when it is not a Python script (a binary, a shell shim).
 */
export function pythonOfScript(head: Buffer): string[] | undefined {
  const text = head.toString('utf8');
  const first = /^#!(.*)$/.exec(text.split('\n')[0] ?? '')?.[1]?.trim();
  if (first === undefined || first === '') return undefined;
  let words = first.split(/\s+/);
  if (words[0] === '/bin/sh') {
    const launcher = /^'''exec' "?([^"\s]+)"? "\$0" "\$@"/m.exec(text)?.[1];
    words = launcher === undefined ? [] : [launcher];
  } else if (basename(words[0] ?? '') === 'env') {
    words = words.slice(1).filter((word) => word !== '-S');
  }
  const [python, ...options] = words;
  if (python === undefined || !/^(python|pypy)[0-9.]*$/.test(basename(python))) return undefined;
  return [python, ...options];
}
