import { describe, expect, it } from '@jest/globals';
import { decodeRecords, decodeText, encodeArgs, FramingError, pythonOfScript } from '../src/driver.js';
import { nameFrom, quotedName, uriPath } from '../src/names.js';

const frame = (text: string | Buffer): Buffer => {
  const data = Buffer.from(text);
  return Buffer.concat([Buffer.from(`${data.length}\n`), data]);
};

describe('decodeRecords', () => {
  it('gives one record per print, whatever the record holds', () => {
    const latin = Buffer.from('./caf\xe9.yaml', 'latin1');
    const stdout = Buffer.concat([
      frame('./a.yaml:3:1: [error] duplication of key "a\nb" in mapping (key-duplicates)'),
      frame('\n'),
      frame(latin),
      frame('\n'),
      frame(''),
      frame('\n'),
    ]);
    expect(decodeRecords(stdout)).toEqual([
      Buffer.from('./a.yaml:3:1: [error] duplication of key "a\nb" in mapping (key-duplicates)'),
      latin,
      Buffer.alloc(0),
    ]);
    expect(decodeText(Buffer.concat([frame('yamllint 1.29.0\n')]))).toBe('yamllint 1.29.0\n');
  });

  it('keeps a last record without its newline, and refuses output that is not framed or is cut', () => {
    expect(decodeRecords(Buffer.concat([frame('x'), frame('\n'), frame('half')]))).toEqual([
      Buffer.from('x'),
      Buffer.from('half'),
    ]);
    expect(() => decodeRecords(Buffer.from('./a.yaml:1:1: [error] x\n'))).toThrow(FramingError);
    expect(() => decodeRecords(Buffer.from('10\nshort'))).toThrow(FramingError);
  });

  it('sends arguments NUL-separated, as bytes', () => {
    expect(encodeArgs(['-f', Buffer.from('caf\xe9', 'latin1')])).toEqual(
      Buffer.from('-f\0caf\xe9\0', 'latin1'),
    );
  });
});

describe('pythonOfScript', () => {
  it.each<[string, string, string[] | undefined]>([
    ["Debian's", '#!/usr/bin/python3\n# EASY-INSTALL-ENTRY-SCRIPT', ['/usr/bin/python3']],
    ['a venv', '#!/opt/venv/bin/python\nimport sys', ['/opt/venv/bin/python']],
    ['with an option', '#! /usr/bin/python3 -s\n', ['/usr/bin/python3', '-s']],
    ['through env', '#!/usr/bin/env python3\n', ['python3']],
    ['through env -S', '#!/usr/bin/env -S python3.12 -E\n', ['python3.12', '-E']],
    [
      "pip's launcher for long paths",
      `#!/bin/sh\n'''exec' "/very/long/venv/bin/python" "$0" "$@"\n' '''\nimport sys\n`,
      ['/very/long/venv/bin/python'],
    ],
    ['a shell shim', '#!/usr/bin/env bash\nexec pyenv exec yamllint "$@"\n', undefined],
    ['a binary', '\x7fELF\x02\x01\x01', undefined],
  ])('%s', (_name, head, python) => {
    expect(pythonOfScript(Buffer.from(head, 'latin1'))).toEqual(python);
  });
});

describe('names', () => {
  const latin = Buffer.from('./dir/caf\xe9 x.yaml', 'latin1');
  it('encodes each byte of a SARIF URI, and ASCII as encodeURIComponent does', () => {
    expect(uriPath(Buffer.from("deploy/a b(1)'!.yaml"))).toBe(
      "deploy/a b(1)'!.yaml".split('/').map(encodeURIComponent).join('/'),
    );
    expect(uriPath(Buffer.from('ü/x#?.yaml'))).toBe('%C3%BC/x%23%3F.yaml');
    expect(uriPath(nameFrom('/ws', '/ws/sub', latin))).toBe('sub/dir/caf%E9%20x.yaml');
  });

  it('quotes a name with a line break when it is part of a message', () => {
    expect(quotedName(Buffer.from('a\nb.yaml'))).toBe('"a\\nb.yaml"');
    expect(quotedName(Buffer.from('plain.yaml'))).toBe('plain.yaml');
  });
});
