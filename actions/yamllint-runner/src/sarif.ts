/** SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`). Pure. */
import { uriPath } from './names.js';
import type { Problem } from './problems.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

/** What yamllint's documentation says each rule checks; unknown rules (newer yamllint) get a generic text. */
const RULE_DESCRIPTIONS: Record<string, string> = {
  anchors: 'Anchors and aliases: undeclared aliases, duplicated or unused anchors.',
  braces: 'Spaces inside braces {} and whether flow mappings are allowed.',
  brackets: 'Spaces inside brackets [] and whether flow sequences are allowed.',
  colons: 'Spaces before and after colons.',
  commas: 'Spaces before and after commas.',
  comments: 'Spaces after the # of a comment and before inline comments.',
  'comments-indentation': 'Comments indented like the content.',
  'document-end': 'The document end marker (...).',
  'document-start': 'The document start marker (---).',
  'empty-lines': 'Too many blank lines.',
  'empty-values': 'Empty values in mappings and sequences.',
  'float-values': 'Float values that are ambiguous or special (.nan, .inf, 1e3).',
  hyphens: 'Spaces after the hyphen of a sequence item.',
  indentation: 'Indentation of mappings and sequences.',
  'key-duplicates': 'A key repeated in the same mapping.',
  'key-ordering': 'Keys in alphabetical order.',
  'line-length': 'Lines longer than the maximum.',
  'new-line-at-end-of-file': 'A newline at the end of the file.',
  'new-lines': 'The kind of line endings (unix or dos).',
  'octal-values': 'Implicit and explicit octal values.',
  'quoted-strings': 'Quoting of strings.',
  'trailing-spaces': 'Spaces at the end of lines.',
  truthy: 'Truthy values other than the allowed ones (yes, on, True…).',
  syntax: 'The file is not valid YAML.',
};

function helpUri(rule: string): string {
  if (rule === 'syntax') return 'https://yamllint.readthedocs.io/en/stable/';
  return `https://yamllint.readthedocs.io/en/stable/rules.html#module-yamllint.rules.${rule.replace(/-/g, '_')}`;
}

/** One result as toSarif writes it. */
export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Array<{
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId: string };
      region: { startLine: number; startColumn: number };
    };
  }>;
}

export interface SarifInput {
  problems: readonly Problem[];
  yamllintVersion: string;
  /** Turns a path as yamllint printed it into a path relative to the repository root (bytes, see names.ts). */
  repoPath: (file: Buffer) => Buffer;
}

/**
 * One run, one tool. Rules are those that reported something (code scanning needs only those), each with its
 * help link; levels are yamllint's, and each result points at the file (relative to %SRCROOT%), line and
 * column yamllint named.
 */
export function toSarif(input: SarifInput): object {
  const ruleIds = [...new Set(input.problems.map((problem) => problem.rule ?? 'yamllint'))].sort();
  const ruleIndex = new Map(ruleIds.map((id, index) => [id, index]));
  const defaultLevel = (id: string): string =>
    input.problems.some((problem) => (problem.rule ?? 'yamllint') === id && problem.level === 'error')
      ? 'error'
      : 'warning';
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'yamllint',
            version: input.yamllintVersion,
            semanticVersion: input.yamllintVersion,
            informationUri: 'https://github.com/adrienverge/yamllint',
            rules: ruleIds.map((id) => ({
              id,
              name: id,
              shortDescription: { text: RULE_DESCRIPTIONS[id] ?? `yamllint rule ${id}.` },
              helpUri: helpUri(id),
              defaultConfiguration: { level: defaultLevel(id) },
            })),
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The repository root.' } } },
        columnKind: 'unicodeCodePoints',
        results: input.problems.map((problem): SarifResult => {
          const id = problem.rule ?? 'yamllint';
          return {
            ruleId: id,
            ruleIndex: ruleIndex.get(id) ?? 0,
            level: problem.level,
            message: { text: problem.description },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri: uriPath(input.repoPath(problem.file)), uriBaseId: '%SRCROOT%' },
                  region: { startLine: problem.line, startColumn: problem.column },
                },
              },
            ],
          };
        }),
      },
    ],
  };
}
