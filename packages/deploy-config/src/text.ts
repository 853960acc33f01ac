// Files are edited as text: decoded strictly (a file that is not UTF-8 is refused, never re-encoded), with the
// BOM kept as a character so every offset, and every byte written back, is the file's own.

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class NotUtf8Error extends Error {
  constructor() {
    super('is not valid UTF-8');
    this.name = 'NotUtf8Error';
  }
}

export function decodeFile(content: Uint8Array | string): string {
  if (typeof content === 'string') return content;
  try {
    return decoder.decode(content);
  } catch {
    throw new NotUtf8Error();
  }
}

export function encodeFile(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** 1-based line and column of an offset, for messages. Columns count UTF-16 units after the line start. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; column: number } {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }
}
