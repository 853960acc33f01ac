import { describe, expect, it } from '@jest/globals';
import { formatTimes, parseSteps, suiteTimes } from '../test-times.ts';

describe('the times scripts/test.sh prints', () => {
  it('reads the steps it recorded, with their exit codes', () => {
    expect(parseSteps('set-up\t4.250\t0\ntype-check\t31.002\t2\n')).toEqual([
      { name: 'set-up', seconds: 4.25, exitCode: 0 },
      { name: 'type-check', seconds: 31.002, exitCode: 2 },
    ]);
  });

  it("takes each suite's time from jest's report, slowest first, relative to the repository", () => {
    const report = {
      testResults: [
        { name: '/repo/a.e2e.test.ts', startTime: 1_000, endTime: 3_500, status: 'passed' },
        { name: '/repo/b.e2e.test.ts', startTime: 1_000, endTime: 61_000, status: 'failed' },
        { name: '/repo/c.e2e.test.ts', startTime: 1_000, endTime: 1_000, status: 'pending' },
      ],
    };
    expect(suiteTimes(report, '/repo')).toEqual([
      { path: 'b.e2e.test.ts', seconds: 60, status: 'failed' },
      { path: 'a.e2e.test.ts', seconds: 2.5, status: 'passed' },
      { path: 'c.e2e.test.ts', seconds: 0, status: 'pending' },
    ]);
  });

  it('prints suites per project, then steps and the wall time, with the load', () => {
    const text = formatTimes(
      [
        { name: 'unit tests', seconds: 40, exitCode: 0 },
        { name: 'end-to-end tests', seconds: 300.25, exitCode: 1 },
      ],
      [
        {
          project: 'e2e',
          suites: [
            { path: 'b.e2e.test.ts', seconds: 60, status: 'failed' },
            { path: 'c.e2e.test.ts', seconds: 0, status: 'pending' },
          ],
        },
      ],
      { start: '1.00 0.50 0.20', end: '3.10 2.00 1.00' },
      310.5,
    );
    expect(text).toBe(
      [
        '',
        '==> times (seconds)',
        'load average (1, 5, 15 min): 1.00 0.50 0.20 at the start, 3.10 2.00 1.00 at the end',
        '',
        'e2e tests: 2 suites, 60.0 s together (they run in parallel)',
        '   60.0  b.e2e.test.ts  FAILED',
        '    0.0  c.e2e.test.ts  SKIPPED',
        '',
        'steps:',
        '   40.0  unit tests',
        '  300.3  end-to-end tests  FAILED (exit 1)',
        '  310.5  in all (wall clock; the end-to-end tests run alongside)',
      ].join('\n'),
    );
  });
});
