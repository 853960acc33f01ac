// GitHub Actions expressions (`${{ … }}`), evaluated the way the runner does, for the subset workflows use:
// literals, context access (`inputs.force-rebuild`, `steps.build.outputs.tag`, `x['y']`), `!`, comparisons,
// `==`/`!=` with GitHub's loose equality, `&&`/`||` returning an operand, and the common functions. Anything else
// is refused with the expression quoted, so a workflow change the demo cannot follow stops it instead of being
// misread. Reference: https://docs.github.com/actions/reference/evaluate-expressions-in-workflows-and-actions

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

type Token =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'name'; value: string }
  | { kind: 'punct'; value: string };

type Node =
  | { type: 'literal'; value: Value }
  | { type: 'context'; name: string }
  | { type: 'member'; object: Node; property: Node }
  | { type: 'call'; name: string; args: Node[] }
  | { type: 'not'; operand: Node }
  | { type: 'binary'; operator: string; left: Node; right: Node };

const PUNCTUATION = ['==', '!=', '<=', '>=', '&&', '||', '(', ')', '[', ']', '.', '!', '<', '>', ',', '*'];
const STATUS_FUNCTIONS = new Set(['success', 'failure', 'cancelled', 'always']);

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const fail = (problem: string): never => {
    throw new ExpressionError(expression, problem);
  };
  while (at < expression.length) {
    const rest = expression.slice(at);
    const space = /^\s+/.exec(rest);
    if (space) {
      at += space[0].length;
      continue;
    }
    if (rest.startsWith("'")) {
      let value = '';
      let end = 1;
      for (;;) {
        const quote = rest.indexOf("'", end);
        if (quote < 0) fail('a string literal is not closed');
        value += rest.slice(end, quote);
        if (rest[quote + 1] === "'") {
          value += "'";
          end = quote + 2;
        } else {
          end = quote + 1;
          break;
        }
      }
      tokens.push({ kind: 'string', value });
      at += end;
      continue;
    }
    const number = /^-?(0x[0-9a-f]+|(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)(?![\w-])/i.exec(rest);
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]) });
      at += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][\w-]*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', value: name[0] });
      at += name[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((candidate) => rest.startsWith(candidate));
    if (punct === undefined) fail(`unexpected character ${JSON.stringify(rest[0])}`);
    tokens.push({ kind: 'punct', value: punct as string });
    at += (punct as string).length;
  }
  return tokens;
}

class Parser {
  private at = 0;

  constructor(
    private readonly expression: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Node {
    if (this.tokens.length === 0) this.fail('it is empty');
    const node = this.or();
    if (this.at < this.tokens.length) this.fail(`unexpected ${this.describe(this.tokens[this.at])}`);
    return node;
  }

  private fail(problem: string): never {
    throw new ExpressionError(this.expression, problem);
  }

  private describe(token: Token | undefined): string {
    return token === undefined ? 'end' : JSON.stringify(token.value);
  }

  private peek(value: string): boolean {
    const token = this.tokens[this.at];
    return token?.kind === 'punct' && token.value === value;
  }

  private take(value: string): boolean {
    if (!this.peek(value)) return false;
    this.at += 1;
    return true;
  }

  private expect(value: string): void {
    if (!this.take(value)) this.fail(`expected "${value}" but found ${this.describe(this.tokens[this.at])}`);
  }

  private binary(next: () => Node, operators: string[]): Node {
    let left = next();
    for (;;) {
      const operator = operators.find((candidate) => this.peek(candidate));
      if (operator === undefined) return left;
      this.at += 1;
      left = { type: 'binary', operator, left, right: next() };
    }
  }

  private or(): Node {
    return this.binary(() => this.and(), ['||']);
  }

  private and(): Node {
    return this.binary(() => this.equality(), ['&&']);
  }

  private equality(): Node {
    return this.binary(() => this.comparison(), ['==', '!=']);
  }

  private comparison(): Node {
    return this.binary(() => this.unary(), ['<=', '>=', '<', '>']);
  }

  private unary(): Node {
    if (this.take('!')) return { type: 'not', operand: this.unary() };
    return this.postfix();
  }

  private postfix(): Node {
    let node = this.primary();
    for (;;) {
      if (this.take('.')) {
        if (this.peek('*')) this.fail('object filters (.*) are not supported');
        const token = this.tokens[this.at];
        if (token?.kind !== 'name')
          this.fail(`expected a property name after "." but found ${this.describe(token)}`);
        this.at += 1;
        node = { type: 'member', object: node, property: { type: 'literal', value: token.value } };
      } else if (this.take('[')) {
        if (this.peek('*')) this.fail('object filters ([*]) are not supported');
        const property = this.or();
        this.expect(']');
        node = { type: 'member', object: node, property };
      } else {
        return node;
      }
    }
  }

  private primary(): Node {
    const token = this.tokens[this.at];
    if (token === undefined) this.fail('it ends too early');
    this.at += 1;
    if (token.kind === 'string' || token.kind === 'number') return { type: 'literal', value: token.value };
    if (token.kind === 'punct') {
      if (token.value !== '(') this.fail(`unexpected ${this.describe(token)}`);
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    const keyword: Record<string, Value> = { true: true, false: false, null: null };
    if (token.value in keyword) return { type: 'literal', value: keyword[token.value] ?? null };
    if (token.value === 'NaN' || token.value === 'Infinity') {
      return { type: 'literal', value: Number(token.value) };
    }
    if (this.take('(')) {
      const args: Node[] = [];
      if (!this.take(')')) {
        do args.push(this.or());
        while (this.take(','));
        this.expect(')');
      }
      return { type: 'call', name: token.value.toLowerCase(), args };
    }
    return { type: 'context', name: token.value };
  }
}

function parse(expression: string): Node {
  return new Parser(expression, tokenize(expression)).parse();
}

function isObject(value: Value): value is { [key: string]: Value } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** GitHub's truthiness: false, 0, -0, '', null and NaN are falsy; everything else, objects included, is truthy. */
export function isTruthy(value: Value): boolean {
  if (value === null || value === false || value === '') return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  return true;
}

/** How a value reads inside a string: null is empty, booleans are `true`/`false`. */
export function asString(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return Array.isArray(value) ? 'Array' : 'Object';
}

function asNumber(value: Value): number {
  if (value === null) return 0;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value.trim() === '' ? 0 : Number(value.trim());
  return NaN;
}

/** GitHub's loose equality: strings ignore case; mixed types compare as numbers; objects only to themselves. */
export function looseEquals(left: Value, right: Value): boolean {
  if (typeof left === 'string' && typeof right === 'string')
    return left.toLowerCase() === right.toLowerCase();
  const isComposite = (value: Value) => typeof value === 'object' && value !== null;
  if (isComposite(left) || isComposite(right)) return left === right;
  if (typeof left === typeof right) return left === right;
  return asNumber(left) === asNumber(right);
}

function compare(left: Value, right: Value): number {
  if (typeof left === 'string' && typeof right === 'string') {
    const a = left.toLowerCase();
    const b = right.toLowerCase();
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const a = asNumber(left);
  const b = asNumber(right);
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return a - b;
}

function property(object: Value, key: Value): Value {
  if (Array.isArray(object)) {
    const index = asNumber(key);
    return Number.isInteger(index) ? (object[index] ?? null) : null;
  }
  if (!isObject(object)) return null;
  const name = asString(key);
  if (name in object) return object[name] ?? null;
  const match = Object.keys(object).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return match === undefined ? null : (object[match] ?? null);
}

function callFunction(expression: string, name: string, args: Value[], status: Status | undefined): Value {
  const fail = (problem: string): never => {
    throw new ExpressionError(expression, problem);
  };
  const arity = (min: number, max = min) => {
    if (args.length < min || args.length > max)
      fail(`${name}() takes ${min === max ? min : `${min} to ${max}`} arguments`);
  };
  const [first = null, second = null] = args;
  if (STATUS_FUNCTIONS.has(name)) {
    arity(0);
    if (status === undefined) fail(`${name}() is only available in if: conditions`);
    const { succeeded, cancelled } = status as Status;
    return name === 'always'
      ? true
      : name === 'cancelled'
        ? cancelled
        : name === 'success'
          ? succeeded && !cancelled
          : !succeeded;
  }
  switch (name) {
    case 'contains':
      arity(2);
      return Array.isArray(first)
        ? first.some((item) => looseEquals(item, second))
        : asString(first).toLowerCase().includes(asString(second).toLowerCase());
    case 'startswith':
      arity(2);
      return asString(first).toLowerCase().startsWith(asString(second).toLowerCase());
    case 'endswith':
      arity(2);
      return asString(first).toLowerCase().endsWith(asString(second).toLowerCase());
    case 'format':
      if (args.length < 1) fail('format() needs a format string');
      return asString(first).replace(/\{\{|\}\}|\{(\d+)\}/g, (match, index: string | undefined) => {
        if (match === '{{') return '{';
        if (match === '}}') return '}';
        const value = args[Number(index) + 1];
        if (value === undefined) fail(`format() has no argument {${index}}`);
        return asString(value as Value);
      });
    case 'join':
      arity(1, 2);
      return Array.isArray(first)
        ? first.map(asString).join(args.length > 1 ? asString(second) : ',')
        : asString(first);
    case 'tojson':
      arity(1);
      return JSON.stringify(first, null, 2);
    case 'fromjson':
      arity(1);
      try {
        return JSON.parse(asString(first)) as Value;
      } catch {
        return fail(`fromJSON() was given text that is not JSON: ${asString(first)}`);
      }
    default:
      return fail(`the function ${name}() is not supported`);
  }
}

function evaluateNode(expression: string, node: Node, contexts: Contexts, status: Status | undefined): Value {
  const recurse = (child: Node) => evaluateNode(expression, child, contexts, status);
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'context': {
      const key = Object.keys(contexts).find((name) => name.toLowerCase() === node.name.toLowerCase());
      if (key === undefined) {
        throw new ExpressionError(expression, `the context "${node.name}" is not available here`);
      }
      return contexts[key] ?? null;
    }
    case 'member':
      return property(recurse(node.object), recurse(node.property));
    case 'call':
      return callFunction(expression, node.name, node.args.map(recurse), status);
    case 'not':
      return !isTruthy(recurse(node.operand));
    case 'binary': {
      const left = recurse(node.left);
      if (node.operator === '&&') return isTruthy(left) ? recurse(node.right) : left;
      if (node.operator === '||') return isTruthy(left) ? left : recurse(node.right);
      const right = recurse(node.right);
      if (node.operator === '==') return looseEquals(left, right);
      if (node.operator === '!=') return !looseEquals(left, right);
      const order = compare(left, right);
      if (Number.isNaN(order)) return false;
      return node.operator === '<'
        ? order < 0
        : node.operator === '<='
          ? order <= 0
          : node.operator === '>'
            ? order > 0
            : order >= 0;
    }
  }
}

/** The value of one expression (the text between `${{` and `}}`). */
export function evaluate(expression: string, contexts: Contexts, status?: Status): Value {
  return evaluateNode(expression, parse(expression), contexts, status);
}

const EMBEDDED = /\$\{\{([\s\S]*?)\}\}/g;

/**
 * A workflow value: YAML scalars as they are, strings with `${{ }}` evaluated. A string that is one expression
 * and nothing else keeps the expression's type (`${{ inputs.x == '' }}` is a boolean); otherwise each expression
 * is written into the string.
 */
export function evaluateValue(value: unknown, contexts: Contexts, status?: Status): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value !== 'string') throw new Error(`not a workflow scalar: ${JSON.stringify(value)}`);
  const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(value);
  if (whole !== null && !(whole[1] ?? '').includes('}}')) return evaluate(whole[1] ?? '', contexts, status);
  return value.replace(EMBEDDED, (_match, expression: string) =>
    asString(evaluate(expression, contexts, status)),
  );
}

/** Whether an expression asks for a job or step status itself (otherwise `if:` means `success() && (…)`). */
export function usesStatusFunction(expression: string): boolean {
  const visit = (node: Node): boolean => {
    switch (node.type) {
      case 'call':
        return STATUS_FUNCTIONS.has(node.name) || node.args.some(visit);
      case 'member':
        return visit(node.object) || visit(node.property);
      case 'not':
        return visit(node.operand);
      case 'binary':
        return visit(node.left) || visit(node.right);
      default:
        return false;
    }
  };
  return visit(parse(expression));
}

/** An `if:` as the runner reads it: with or without `${{ }}`, `success() &&` implied, absent means `success()`. */
export function evaluateCondition(condition: unknown, contexts: Contexts, status: Status): boolean {
  if (condition === undefined || condition === null) return status.succeeded && !status.cancelled;
  if (typeof condition === 'boolean') return condition && status.succeeded && !status.cancelled;
  if (typeof condition !== 'string') throw new Error(`not an if: condition: ${JSON.stringify(condition)}`);
  const whole = /^\s*\$\{\{([\s\S]*)\}\}\s*$/.exec(condition);
  const expression = whole === null ? condition : (whole[1] ?? '');
  const result = isTruthy(evaluate(expression, contexts, status));
  return usesStatusFunction(expression) ? result : result && status.succeeded && !status.cancelled;
}
