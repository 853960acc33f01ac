import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLOCK_ALLOWLIST } from './clock-allowlist.ts';
import { checkTestSource, formatFinding, type ClockFindingKind } from './clock-checks.ts';

const ROOT = resolve(import.meta.dirname, '../..');

const kinds = (source: string): Array<[number, ClockFindingKind]> =>
  checkTestSource('x.test.ts', source).map((finding) => [finding.line, finding.kind]);

describe('the clock check of a test file', () => {
  it.each([
    [
      'an elapsed time under a bound',
      'const t = Date.now();\nawait work();\nexpect(Date.now() - t).toBeLessThan(2_000);',
    ],
    [
      'a span kept in a variable',
      'const t0 = performance.now();\nconst elapsed = performance.now() - t0;\nexpect(elapsed).toBeLessThanOrEqual(5);',
    ],
    [
      'a span kept in an object',
      'const r = { ms: Date.now() - started };\nconst x = 1;\nexpect(r.ms).toBeLessThan(20_000);',
    ],
    [
      'a span from a recorded instant',
      'const x = 1;\nconst y = 2;\nexpect(started - run.spawnedAt).toBeLessThan(5_000);',
    ],
    [
      'a span behind .not',
      'const t = Date.now();\nconst y = 2;\nexpect(Date.now() - t).not.toBeGreaterThan(9);',
    ],
    [
      'the time left, bounded below',
      'const x = 1;\nconst y = 2;\nexpect(Date.parse(at) - Date.now()).toBeGreaterThan(1190_000);',
    ],
    [
      'an instant after now',
      'const x = 1;\nconst y = 2;\nexpect(token.expiresAt).toBeGreaterThan(Date.now() + 3_000_000);',
    ],
  ])('finds %s', (_name, source) => {
    expect(kinds(source)).toContainEqual([3, 'wall-time-bound']);
  });

  it.each([
    ['a promise sleep', 'await new Promise((resolve) => setTimeout(resolve, 100));'],
    ['a timed abort', 'setTimeout(() => controller.abort(), 500);'],
    ['an interval', 'const timer = setInterval(poll, 10);'],
    ['a sleep from timers/promises', "import { setTimeout as sleep } from 'node:timers/promises';"],
    ['a blocking wait', 'Atomics.wait(view, 0, 0, 100);'],
  ])('finds %s', (_name, source) => {
    expect(kinds(source)).toEqual([[1, 'fixed-wait']]);
  });

  it.each([
    [
      'a lower bound on a delay',
      'const t = Date.now();\nexpect(Date.now() - t).toBeGreaterThanOrEqual(600);',
    ],
    ['instants in order', 'const before = Date.now();\nexpect(run.spawnedAt).toBeLessThanOrEqual(before);'],
    ['an expiry passed', 'expect(token.expiresAt).toBeLessThanOrEqual(Date.now());'],
    ['the time left, bounded above', 'expect(Date.parse(at) - Date.now()).toBeLessThanOrEqual(1200_000);'],
    ['an injected clock', 'const clock = new FakeClock();\nexpect(clock.time).toBeLessThanOrEqual(2000);'],
    ['a count', 'expect(proxy.log.length - before).toBeLessThan(3);'],
    ['a size', 'expect(size).toBeLessThan(5_000_000);'],
    ['timers in the source of a child program', 'const PROBE = `setTimeout(() => {}, 60_000);`;'],
    ['timers in a comment', '// setTimeout(resolve, 100) would be a race'],
    ['the marker mentioned in a comment', '// Prefer a `// clock-ok: <reason>` comment.'],
    ['polling for a condition', "await waitFor('ready', async () => (existsSync(f) ? true : undefined));"],
  ])('leaves alone %s', (_name, source) => {
    expect(kinds(source)).toEqual([]);
  });

  it('lets a statement through with a reason, on the line before or on its own lines', () => {
    const source = [
      '// clock-ok: the kernel rate-limits this on purpose, and the test pins that limit',
      'await new Promise((resolve) => setTimeout(resolve, 100));',
      'expect(',
      '  Date.now() - t, // clock-ok: measures the fake server, whose clock the test moves',
      ').toBeLessThan(2);',
    ].join('\n');
    expect(kinds(source)).toEqual([]);
  });

  it('refuses an allowance without a reason, and one that allows nothing', () => {
    const source = [
      '// clock-ok:',
      'await new Promise((resolve) => setTimeout(resolve, 100));',
      'const x = 1;',
      '// clock-ok: this statement has nothing on the clock',
      'const y = 2;',
    ].join('\n');
    expect(kinds(source)).toEqual([
      [1, 'bad-allowance'],
      [2, 'fixed-wait'],
      [4, 'bad-allowance'],
    ]);
  });
});

/** Every test file, and the helpers and fixtures beside them. */
function testFiles(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.ts', '*.mjs', '*.js'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  );
  return listed
    .split('\n')
    .filter((path) => /(^|\/)(__tests__|test)\//.test(path) && !path.includes('node_modules/'));
}

describe('the repository', () => {
  const findings = testFiles().flatMap((file) =>
    checkTestSource(file, readFileSync(resolve(ROOT, file), 'utf8')).map((finding) => ({ file, finding })),
  );
  const allowed = (file: string, text: string) =>
    CLOCK_ALLOWLIST.some((entry) => entry.file === file && entry.text === text);

  it('has test files to check', () => {
    expect(testFiles()).toEqual(
      expect.arrayContaining(['test/policy/clock.test.ts', 'packages/retry/__tests__/retry.test.ts']),
    );
  });

  it('has no test that bounds wall time or waits a fixed time', () => {
    const unexplained = findings.filter(({ file, finding }) => !allowed(file, finding.text));
    expect(unexplained.map(({ file, finding }) => formatFinding(file, finding))).toEqual([]);
  });

  it('allows each listed finding for a reason, and lists no finding that is gone', () => {
    for (const entry of CLOCK_ALLOWLIST) expect(entry.reason.length).toBeGreaterThanOrEqual(10);
    const stale = CLOCK_ALLOWLIST.filter(
      (entry) => !findings.some(({ file, finding }) => file === entry.file && finding.text === entry.text),
    );
    expect(stale).toEqual([]);
  });
});
