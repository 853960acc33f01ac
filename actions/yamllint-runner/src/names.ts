/**
 * File names as yamllint prints them: bytes, which need not be UTF-8 and may hold any byte but NUL and "/" in a
 * component. They stay Buffers from yamllint's output to its next command line, and become text only to be shown
 * (invalid UTF-8 as U+FFFD) or encoded (SARIF URIs, shell words). Pure.
 */
import { posix } from 'node:path';

/** Path arithmetic on bytes: latin1 maps each byte to one character, so "/" and "." are found exactly. */
const asLatin1 = (name: Buffer): string => name.toString('latin1');
const fromLatin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const pathBytes = (path: string): string => asLatin1(Buffer.from(path));

/** A key for maps and sets: equal for equal bytes. */
export function nameKey(name: Buffer): string {
  return asLatin1(name);
}

/** For the log, annotations and the summary. */
export function displayName(name: Buffer): string {
  return name.toString('utf8');
}

/** Shown inside a message: as is, or JSON-quoted when it holds line breaks or other control characters. */
export function quotedName(name: Buffer): string {
  const text = displayName(name);
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(text) ? JSON.stringify(text) : text;
}

/** `name` (relative to `dir`, or absolute) as an absolute, normalised path. */
export function absoluteName(dir: string, name: Buffer): Buffer {
  return fromLatin1(posix.resolve(pathBytes(dir), asLatin1(name)));
}

/** `name` (relative to `dir`) as a path from `root`, "/"-separated, e.g. for annotations and SARIF. */
export function nameFrom(root: string, dir: string, name: Buffer): Buffer {
  return fromLatin1(posix.relative(pathBytes(root), posix.resolve(pathBytes(dir), asLatin1(name))));
}

// What encodeURIComponent leaves alone, so ASCII names read as before.
const URI_SAFE = /^[A-Za-z0-9\-_.!~*'()]$/;

/** A relative URI reference for SARIF: each byte outside the safe set percent-encoded, "/" kept. */
export function uriPath(name: Buffer): string {
  let uri = '';
  for (const byte of name) {
    const char = String.fromCharCode(byte);
    uri +=
      char === '/' || URI_SAFE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return uri;
}

/**
 * A word for a POSIX shell: as is when it is safe, single-quoted when it is UTF-8 text (line breaks included), else
 * bash's $'…' with escapes, so the command names exactly these bytes.
 */
export function shellWord(word: string | Buffer): string {
  const bytes = Buffer.from(word);
  const text = bytes.toString('utf8');
  if (/^[A-Za-z0-9_./,:=@%+-]+$/.test(text)) return text;
  // eslint-disable-next-line no-control-regex
  if (Buffer.from(text).equals(bytes) && !/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text)) {
    return `'${text.replace(/'/g, `'\\''`)}'`;
  }
  let escaped = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    if (byte >= 0x20 && byte < 0x7f) escaped += char === "'" || char === '\\' ? `\\${char}` : char;
    else escaped += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `$'${escaped}'`;
}
