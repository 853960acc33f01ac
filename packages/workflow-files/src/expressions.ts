// GitHub Actions expressions (`${{ … }}`), parsed and evaluated by GitHub's own library (@actions/expressions), with
// the status functions the runner adds for `if:` conditions. The contexts are plain JSON-like values; an expression
// that names a context not given, or a function the runner would not have there (`hashFiles`, `success()` outside
// `if:`), is refused with the expression quoted.
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import { TokenType, type Token } from '@actions/expressions/lexer';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };

/** The named contexts an expression can read: `inputs`, `secrets`, `steps`, `needs`, `github`, `vars`, … */
export type Contexts = Record<string, Value>;

/** What `success()`, `failure()`, `cancelled()` and `always()` answer where the expression is evaluated. */
export interface Status {
  succeeded: boolean;
  cancelled: boolean;
}

export class ExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`cannot evaluate \${{ ${expression} }}: ${problem}`);
    this.name = 'ExpressionError';
  }
}

export function toExpressionData(value: Value): data.ExpressionData {
  if (value === null) return new data.Null();
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'string') return new data.StringData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toExpressionData));
  return new data.Dictionary(
    ...Object.entries(value).map(([key, item]) => ({ key, value: toExpressionData(item) })),
  );
}

export function fromExpressionData(value: data.ExpressionData): Value {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number:
      return (value as data.NumberData).value;
    case data.Kind.String:
      return (value as data.StringData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map(fromExpressionData);
    default:
      return Object.fromEntries(
        (value as data.Dictionary).pairs().map(({ key, value: item }) => [key, fromExpressionData(item)]),
      );
  }
}

/** GitHub's truthiness: false, 0, -0, '', null and NaN are falsy; everything else, objects included, is truthy. */
export function isTruthy(value: Value): boolean {
  return truthy(toExpressionData(value));
}

/** How a value reads inside a string, as the runner writes it: null is empty, booleans are `true`/`false`. */
export function asString(value: Value): string {
  return toExpressionData(value).coerceString();
}

function statusFunctions(status: Status): FunctionDefinition[] {
  const answer = (name: string, result: boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(result),
  });
  return [
    answer('success', status.succeeded && !status.cancelled),
    answer('failure', !status.succeeded),
    answer('cancelled', status.cancelled),
    answer('always', true),
  ];
}

// @actions/expressions 0.3.61 unescapes only the first `''` of a string literal (its lexer calls
// `value.replace("''", "'")`); GitHub's runner unescapes every one. The literal's value is read again from its text.
function tokensOf(expression: string): Token[] {
  return new Lexer(expression)
    .lex()
    .tokens.map((token) =>
      token.type === TokenType.STRING
        ? { ...token, value: token.lexeme.slice(1, -1).replaceAll("''", "'") }
        : token,
    );
}

/**
 * The value of one expression (the text between `${{` and `}}`). `status` makes the status functions available, as
 * the runner does in `if:` conditions.
 */
export function evaluate(expression: string, contexts: Contexts, status?: Status): Value {
  if (expression.trim() === '') throw new ExpressionError(expression, 'An expression was expected');
  const functions = status === undefined ? [] : statusFunctions(status);
  try {
    const tree = new Parser(tokensOf(expression), Object.keys(contexts), functions).parse();
    const values = new data.Dictionary(
      ...Object.entries(contexts).map(([key, value]) => ({ key, value: toExpressionData(value) })),
    );
    const byName = new Map(functions.map((definition) => [definition.name, definition]));
    return fromExpressionData(new Evaluator(tree, values, byName).evaluate());
  } catch (error) {
    throw new ExpressionError(expression, error instanceof Error ? error.message : String(error));
  }
}
