// Workflow files read by GitHub's own parser (@actions/workflow-parser): checked against GitHub's workflow schema,
// every `${{ }}` parsed where it stands (a string with embedded expressions becomes one `format()` call, as on
// GitHub), `if:` conditions given their implied `success() &&`, and a caller's `with:` and `secrets:` checked against
// the reusable workflow it calls. Values are then evaluated with @actions/expressions (expressions.ts).
import type { WorkflowTemplate } from '@actions/workflow-parser';
import type { FileReference } from '@actions/workflow-parser/workflows/file-reference';
import type {
  BasicExpressionToken,
  MappingToken,
  TemplateToken,
} from '@actions/workflow-parser/templates/tokens/index';
import { parse as parseYaml } from 'yaml';
import { asString, evaluate, type Contexts, type Status, type Value } from './expressions.ts';

// Loaded when this module runs, not linked with it: under plain Node, the parser's JSON import needs the hook in
// json-import-hook.ts, which an entry point imports before this module.
const parser = await import('@actions/workflow-parser');
const { TokenType } = await import('@actions/workflow-parser/templates/tokens/types');

export type { BasicExpressionToken, MappingToken, TemplateToken, WorkflowTemplate };

export class WorkflowError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'WorkflowError';
  }
}

export interface WorkflowTemplateFile {
  path: string;
  /** The file as GitHub's parser read it, every key and value a token. */
  root: MappingToken;
  /** What GitHub makes of it: triggers, jobs with their `needs` and `if:`, steps. */
  template: WorkflowTemplate;
}

function parse(path: string, text: string) {
  return parser.parseWorkflow({ name: path, content: text }, new parser.NoOperationTraceWriter());
}

function refuse(path: string, messages: string[]): never {
  throw new WorkflowError(path, messages.join('; ') || 'GitHub reads nothing in it');
}

/** A workflow's tokens as GitHub's parser reads them, checked against its schema; refused with GitHub's messages. */
export function parseWorkflowTokens(path: string, text: string): MappingToken {
  const parsed = parse(path, text);
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || parsed.value === undefined) refuse(path, errors);
  return parsed.value.assertMapping('workflow');
}

/**
 * Reads a workflow as GitHub does, and refuses it with GitHub's messages when GitHub would. `reusable` gives the text
 * of a reusable workflow a job calls (`owner/repo/path@ref`), so the call's inputs and secrets are checked too.
 */
export async function readWorkflowTemplate(
  path: string,
  text: string,
  reusable?: (uses: string) => string | undefined,
): Promise<WorkflowTemplateFile> {
  const parsed = parse(path, text);
  const provider =
    reusable === undefined
      ? undefined
      : {
          getFileContent: async (ref: FileReference) => {
            const uses =
              'owner' in ref ? `${ref.owner}/${ref.repository}/${ref.path}@${ref.version}` : ref.path;
            const content = reusable(uses);
            if (content === undefined) throw new Error(`no reusable workflow ${uses}`);
            return { name: uses, content };
          },
        };
  const template =
    parsed.value === undefined
      ? undefined
      : await parser.convertWorkflowTemplate(parsed.context, parsed.value, provider, {
          fetchReusableWorkflowDepth: provider === undefined ? 0 : 1,
        });
  const errors = parsed.context.errors.getErrors().map((error) => error.message);
  if (errors.length > 0 || template === undefined || parsed.value === undefined) refuse(path, errors);
  return { path, root: parsed.value.assertMapping('workflow'), template };
}

/** The token at a path of keys and indexes (`['jobs', 'build', 'steps', 0, 'with']`), if there is one. */
export function tokenAt(
  token: TemplateToken | undefined,
  ...path: (string | number)[]
): TemplateToken | undefined {
  let node = token;
  for (const segment of path) {
    if (node === undefined) return undefined;
    if (typeof segment === 'number') {
      node = parser.isSequence(node) && segment < node.count ? node.get(segment) : undefined;
    } else {
      node = parser.isMapping(node) ? node.find(segment) : undefined;
    }
  }
  return node;
}

/** The keys of a mapping token, in order (none for anything else). */
export function keysOf(token: TemplateToken | undefined): string[] {
  if (token === undefined || !parser.isMapping(token)) return [];
  return [...token].map((pair) => (parser.isString(pair.key) ? pair.key.value : pair.key.toString()));
}

/** The items of a sequence token (none for anything else). */
export function itemsOf(token: TemplateToken | undefined): TemplateToken[] {
  return token !== undefined && parser.isSequence(token) ? [...token] : [];
}

/**
 * The expression GitHub's runner evaluates for a value that holds `${{ }}`: the expression itself when the value is one
 * expression and nothing else, else a `format()` of the text around them (`'` doubled, braces doubled). An expression
 * ends at the first `}}` outside a string literal, as in GitHub's parser.
 */
export function formatExpression(text: string): string {
  const literal: string[] = [];
  const args: string[] = [];
  let at = 0;
  for (let open = text.indexOf('${{'); open >= 0; open = text.indexOf('${{', at)) {
    let close = -1;
    let inString = false;
    for (let i = open + 3; i < text.length; i++) {
      if (text[i] === "'") inString = !inString;
      else if (!inString && text[i] === '}' && text[i - 1] === '}') {
        close = i;
        break;
      }
    }
    if (close < 0) throw new Error(`an expression in ${JSON.stringify(text)} is not closed`);
    literal.push(text.slice(at, open).replace(/'/g, "''").replace(/\{/g, '{{').replace(/\}/g, '}}'));
    literal.push(`{${args.length}}`);
    args.push(text.slice(open + 3, close - 1).trim());
    at = close + 1;
  }
  literal.push(text.slice(at).replace(/'/g, "''").replace(/\{/g, '{{').replace(/\}/g, '}}'));
  if (args.length === 1 && literal.length === 3 && literal[0] === '' && literal[2] === '')
    return args[0] as string;
  return `format('${literal.join('')}'${args.map((arg) => `, ${arg}`).join('')})`;
}

/**
 * What to evaluate for an expression token. For a multi-line block scalar (`run: |`), @actions/workflow-parser builds
 * the `format()` from the scalar's raw source, indentation included and chomping (`|-`) ignored; the runner uses the
 * scalar's value. So the value is read again with `yaml`, and its expressions found as the parser finds them.
 */
function expressionOf(token: BasicExpressionToken): string {
  if (token.blockScalarHeader === undefined || token.source === undefined) return token.expression;
  return formatExpression(String(parseYaml(`${token.blockScalarHeader}\n${token.source}`)));
}

/** How a scalar reads in the file, expressions unevaluated (block scalars as YAML reads them), for messages. */
export function writtenText(token: TemplateToken | undefined): string {
  if (token === undefined) return '';
  if (parser.isBasicExpression(token)) {
    if (token.blockScalarHeader !== undefined && token.source !== undefined) {
      return String(parseYaml(`${token.blockScalarHeader}\n${token.source}`));
    }
    return token.source ?? `\${{ ${token.expression} }}`;
  }
  return parser.isString(token) ? token.value : token.toString();
}

/** A token's value: literals as they are, expressions evaluated, mappings and sequences item by item. */
export function evaluateToken(token: TemplateToken, contexts: Contexts, status?: Status): Value {
  if (parser.isBasicExpression(token)) return evaluate(expressionOf(token), contexts, status);
  if (parser.isString(token) || parser.isNumber(token) || parser.isBoolean(token)) return token.value;
  if (token.templateTokenType === TokenType.Null) return null;
  if (parser.isSequence(token)) return [...token].map((item) => evaluateToken(item, contexts, status));
  if (parser.isMapping(token)) {
    return Object.fromEntries(
      [...token].map((pair) => [
        asString(evaluateToken(pair.key, contexts, status)),
        evaluateToken(pair.value, contexts, status),
      ]),
    );
  }
  throw new Error(`a ${token.typeName()} is not evaluated here`);
}

/** A mapping of strings (`env:`, `with:`, `outputs:`): each value evaluated and written as the runner writes it. */
export function evaluateStrings(
  token: TemplateToken | undefined,
  contexts: Contexts,
): Record<string, string> {
  if (token === undefined) return {};
  const value = evaluateToken(token, contexts);
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`expected a mapping, found ${JSON.stringify(value)}`);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asString(item)]));
}
