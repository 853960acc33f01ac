// Tests that do not depend on the clock: a pure check of one test file's source for the two ways a test becomes a
// race against the machine's speed. It reads the syntax tree, so strings (e.g. the source of a child program) and
// comments never count.
import ts from 'typescript';

export type ClockFindingKind =
  /** `expect(<elapsed wall time>).toBeLessThan(…)`, or a lower bound on the wall time left. */
  | 'wall-time-bound'
  /** A timer that waits a fixed time: setTimeout, setInterval, timers/promises, Atomics.wait. */
  | 'fixed-wait'
  /** A `clock-ok:` comment without a reason, or one that allows nothing. */
  | 'bad-allowance';

export interface ClockFinding {
  kind: ClockFindingKind;
  line: number;
  text: string;
}

/** The comment that allows a finding on its statement (on the line before, or on the statement's lines). */
export const ALLOW_MARKER = 'clock-ok:';
const MIN_REASON_LENGTH = 10;

const CLOCK_CALLS = new Set([
  'Date.now',
  'performance.now',
  'process.hrtime',
  'process.hrtime.bigint',
  'hrtime.bigint',
  'process.uptime',
]);
const TIMER_CALLS = new Set(['setTimeout', 'setInterval', 'Atomics.wait']);
const UPPER = new Set(['toBeLessThan', 'toBeLessThanOrEqual']);
const LOWER = new Set(['toBeGreaterThan', 'toBeGreaterThanOrEqual']);
/** Names that hold an instant or a span of wall time: `spawnedAt`, `elapsedMs`, `durationMs`. */
const CLOCK_NAME = /(?:[a-z]At|^elapsed\w*|^duration\w*)$/;

/** A reading of the wall clock right here: `Date.now()`, `performance.now()`, `new Date()`. */
function isClockReading(node: ts.Node): boolean {
  if (ts.isCallExpression(node)) return CLOCK_CALLS.has(node.expression.getText());
  return (
    ts.isNewExpression(node) && node.expression.getText() === 'Date' && (node.arguments?.length ?? 0) === 0
  );
}

function some(node: ts.Node, test: (n: ts.Node) => boolean): boolean {
  if (test(node)) return true;
  return ts.forEachChild(node, (child) => (some(child, test) ? true : undefined)) === true;
}

type ClockValue = 'instant' | 'span';

/** Identifiers assigned from the clock, directly or through other such identifiers: instants, or spans of time. */
function clockNames(file: ts.SourceFile): Map<string, ClockValue> {
  const names = new Map<string, ClockValue>();
  const assignments: Array<{ name: string; value: ts.Node }> = [];
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) {
      assignments.push({ name: node.name.text, value: node.initializer });
    } else if (
      ts.isBinaryExpression(node) &&
      node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isIdentifier(node.left)
    ) {
      assignments.push({ name: node.left.text, value: node.right });
    } else if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name)) {
      // `{ ms: Date.now() - started }`, read later as `result.ms`.
      assignments.push({ name: node.name.text, value: node.initializer });
    }
    ts.forEachChild(node, collect);
  };
  collect(file);
  for (let grew = true; grew;) {
    grew = false;
    for (const { name, value } of assignments) {
      const kind = valueKind(value, names);
      if (kind !== undefined && names.get(name) !== kind && names.get(name) !== 'span') {
        names.set(name, kind);
        grew = true;
      }
    }
  }
  return names;
}

/** What a value holds: a span when it does arithmetic on the clock or holds a span, an instant when it reads it. */
function valueKind(node: ts.Node, names: ReadonlyMap<string, ClockValue>): ClockValue | undefined {
  const value = unwrap(node);
  if (!isClockish(value, names)) return undefined;
  if (isArithmetic(value)) return 'span';
  const name = ts.isPropertyAccessExpression(value)
    ? value.name.text
    : ts.isIdentifier(value)
      ? value.text
      : '';
  return names.get(name) === 'span' || /^(elapsed|duration)/.test(name) ? 'span' : 'instant';
}

function isClockish(node: ts.Node, names: ReadonlyMap<string, ClockValue>): boolean {
  return some(node, (n) => {
    if (isClockReading(n)) return true;
    if (ts.isIdentifier(n)) return names.has(n.text) || CLOCK_NAME.test(n.text);
    return false;
  });
}

function isArithmetic(node: ts.Node): node is ts.BinaryExpression {
  return (
    ts.isBinaryExpression(node) &&
    (node.operatorToken.kind === ts.SyntaxKind.MinusToken ||
      node.operatorToken.kind === ts.SyntaxKind.PlusToken)
  );
}

/** `instant - Date.now()`: the time left until an instant, which shrinks as the machine is slow. */
function isTimeLeft(node: ts.Node): boolean {
  return (
    isArithmetic(node) &&
    node.operatorToken.kind === ts.SyntaxKind.MinusToken &&
    some(node.right, isClockReading)
  );
}

function unwrap(node: ts.Node): ts.Node {
  let current = node;
  while (
    ts.isParenthesizedExpression(current) ||
    ts.isAsExpression(current) ||
    ts.isNonNullExpression(current)
  ) {
    current = current.expression;
  }
  return current;
}

/** `expect(actual)…matcher(expected)`, looking through `.not`, `.resolves` and `.rejects`. */
function expectation(
  node: ts.CallExpression,
): { actual: ts.Node; matcher: string; negated: boolean; expected: ts.Node[] } | undefined {
  if (!ts.isPropertyAccessExpression(node.expression)) return undefined;
  const matcher = node.expression.name.text;
  let negated = false;
  let target: ts.Expression = node.expression.expression;
  while (ts.isPropertyAccessExpression(target) && ['not', 'resolves', 'rejects'].includes(target.name.text)) {
    if (target.name.text === 'not') negated = !negated;
    target = target.expression;
  }
  if (!ts.isCallExpression(target) || target.expression.getText() !== 'expect') return undefined;
  const actual = target.arguments[0];
  return actual === undefined ? undefined : { actual, matcher, negated, expected: [...node.arguments] };
}

/**
 * Whether the assertion fails when the machine is slow: an upper bound on a span of wall time, or a lower bound on
 * the time left until an instant (`expiresAt - Date.now()`, `toBeGreaterThan(Date.now() + …)`).
 */
function boundsWallTime(call: ts.CallExpression, names: ReadonlyMap<string, ClockValue>): boolean {
  const found = expectation(call);
  if (found === undefined) return false;
  const actual = unwrap(found.actual);
  // `.not.toBeGreaterThan(x)` is `≤ x`: an upper bound.
  const [upper, lower] = found.negated ? [LOWER, UPPER] : [UPPER, LOWER];
  if (upper.has(found.matcher)) return valueKind(actual, names) === 'span' && !isTimeLeft(actual);
  if (!lower.has(found.matcher)) return false;
  const afterNow = found.expected.some((arg) => isArithmetic(unwrap(arg)) && some(arg, isClockReading));
  return isTimeLeft(actual) || afterNow;
}

function isFixedWait(node: ts.Node): boolean {
  if (ts.isCallExpression(node)) return TIMER_CALLS.has(node.expression.getText());
  if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
    return /^(node:)?timers\/promises$/.test(node.moduleSpecifier.text);
  }
  return false;
}

interface Allowance {
  line: number;
  reason: string;
  used: boolean;
}

/** The allowance comments of a file: comments that start with the marker, never text inside a string. */
function allowances(file: ts.SourceFile): Allowance[] {
  const text = file.getFullText();
  if (!text.includes(ALLOW_MARKER)) return [];
  const literals: Array<[number, number]> = [];
  const collect = (node: ts.Node): void => {
    if (
      ts.isStringLiteralLike(node) ||
      ts.isTemplateLiteralToken(node) ||
      ts.isRegularExpressionLiteral(node)
    ) {
      literals.push([node.getStart(file), node.getEnd()]);
    }
    ts.forEachChild(node, collect);
  };
  collect(file);
  // Strings blanked out, lines kept: a comment opener left in the text is a real one.
  const chars = text.split(''); // UTF-16 units, as the positions count
  for (const [start, end] of literals) {
    for (let i = start; i < end; i++) if (chars[i] !== '\n') chars[i] = ' ';
  }
  const code = chars.join('');
  const found: Allowance[] = [];
  const marker = new RegExp(`//\\s*${ALLOW_MARKER}(.*)$|/\\*\\s*${ALLOW_MARKER}([\\s\\S]*?)\\*/`, 'gm');
  for (const match of code.matchAll(marker)) {
    const before = code.slice(code.lastIndexOf('\n', match.index) + 1, match.index);
    if (before.includes('//') || before.includes('/*')) continue; // mentioned inside another comment
    const reason = (match[1] ?? match[2] ?? '').trim();
    found.push({ line: file.getLineAndCharacterOfPosition(match.index).line + 1, reason, used: false });
  }
  return found;
}

function enclosingStatement(node: ts.Node): ts.Node {
  let current = node;
  while (current.parent !== undefined && !ts.isSourceFile(current.parent) && !ts.isBlock(current.parent)) {
    current = current.parent;
  }
  return current;
}

/** The findings in one test file's source. */
export function checkTestSource(path: string, text: string): ClockFinding[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const names = clockNames(file);
  const allowed = allowances(file);
  const findings: ClockFinding[] = [];
  const lineOf = (position: number) => file.getLineAndCharacterOfPosition(position).line + 1;

  const report = (node: ts.Node, kind: ClockFindingKind) => {
    const statement = enclosingStatement(node);
    const first = lineOf(statement.getStart(file));
    const last = lineOf(statement.getEnd());
    const allowance = allowed.find(
      (a) => a.line >= first - 1 && a.line <= last && a.reason.length >= MIN_REASON_LENGTH,
    );
    if (allowance !== undefined) {
      allowance.used = true;
      return;
    }
    const line = lineOf(node.getStart(file));
    findings.push({ kind, line, text: node.getText(file).split('\n')[0] ?? '' });
  };

  const visit = (node: ts.Node): void => {
    if (isFixedWait(node)) report(node, 'fixed-wait');
    else if (ts.isCallExpression(node) && boundsWallTime(node, names)) report(node, 'wall-time-bound');
    ts.forEachChild(node, visit);
  };
  visit(file);

  for (const allowance of allowed) {
    if (allowance.reason.length < MIN_REASON_LENGTH) {
      findings.push({ kind: 'bad-allowance', line: allowance.line, text: `${ALLOW_MARKER} needs a reason` });
    } else if (!allowance.used) {
      findings.push({
        kind: 'bad-allowance',
        line: allowance.line,
        text: `${ALLOW_MARKER} allows nothing here`,
      });
    }
  }
  return findings.sort((a, b) => a.line - b.line);
}

export function formatFinding(path: string, finding: ClockFinding): string {
  const what = {
    'wall-time-bound': 'asserts a bound on wall time',
    'fixed-wait': 'waits a fixed time',
    'bad-allowance': 'has a bad allowance',
  }[finding.kind];
  return `${path}:${finding.line}: ${what}: ${finding.text}`;
}
