// Prints how long each step of scripts/test.sh took and each test suite in it, slowest first, with the machine's
// load at the start and the end (other work on the machine slows every suite).
//   node scripts/test-times.ts DIR     DIR holds steps.tsv (name, seconds, exit code), wall-ms.txt, load-*.txt and
//                                      jest-*.json (jest --json reports)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export interface StepTime {
  name: string;
  seconds: number;
  exitCode: number;
}

export interface SuiteTime {
  path: string;
  seconds: number;
  /** jest's status of the file: 'passed', 'failed', or 'pending' when every test in it was skipped. */
  status: string;
}

interface JestJson {
  startTime?: number;
  testResults?: Array<{ name: string; startTime: number; endTime: number; status: string }>;
}

export function parseSteps(text: string): StepTime[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', seconds = '0', exitCode = '0'] = line.split('\t');
      return { name, seconds: Number(seconds), exitCode: Number(exitCode) };
    });
}

/** Each suite of a jest --json report, slowest first. */
export function suiteTimes(report: JestJson, root: string): SuiteTime[] {
  return (report.testResults ?? [])
    .map((result) => ({
      path: relative(root, result.name),
      seconds: (result.endTime - result.startTime) / 1000,
      status: result.status,
    }))
    .sort((a, b) => b.seconds - a.seconds || a.path.localeCompare(b.path));
}

const SUITE_NOTE: Record<string, string> = { failed: '  FAILED', pending: '  SKIPPED' };

const seconds = (value: number) => value.toFixed(1).padStart(7);

export function formatTimes(
  steps: readonly StepTime[],
  suites: ReadonlyArray<{ project: string; suites: SuiteTime[] }>,
  load: { start?: string; end?: string },
  wallSeconds?: number,
): string {
  const lines = ['', '==> times (seconds)'];
  if (load.start !== undefined || load.end !== undefined) {
    lines.push(
      `load average (1, 5, 15 min): ${load.start ?? '?'} at the start, ${load.end ?? '?'} at the end`,
    );
  }
  for (const { project, suites: list } of suites) {
    const sum = list.reduce((total, suite) => total + suite.seconds, 0);
    lines.push(
      '',
      `${project} tests: ${list.length} suites, ${sum.toFixed(1)} s together (they run in parallel)`,
    );
    for (const suite of list)
      lines.push(`${seconds(suite.seconds)}  ${suite.path}${SUITE_NOTE[suite.status] ?? ''}`);
  }
  lines.push('', 'steps:');
  for (const step of steps) {
    lines.push(
      `${seconds(step.seconds)}  ${step.name}${step.exitCode === 0 ? '' : `  FAILED (exit ${step.exitCode})`}`,
    );
  }
  if (wallSeconds !== undefined)
    lines.push(`${seconds(wallSeconds)}  in all (wall clock; the end-to-end tests run alongside)`);
  return lines.join('\n');
}

function readLoad(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').split(' ').slice(0, 3).join(' ') : undefined;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = process.argv[2] ?? '.';
  const root = resolve(import.meta.dirname, '..');
  const stepsFile = join(dir, 'steps.tsv');
  const steps = existsSync(stepsFile) ? parseSteps(readFileSync(stepsFile, 'utf8')) : [];
  const suites = readdirSync(dir)
    .filter((name) => /^jest-.*\.json$/.test(name))
    .sort((a, b) => b.localeCompare(a)) // unit before e2e
    .flatMap((name) => {
      try {
        const report = JSON.parse(readFileSync(join(dir, name), 'utf8')) as JestJson;
        return [{ project: name.replace(/^jest-|\.json$/g, ''), suites: suiteTimes(report, root) }];
      } catch {
        return []; // jest was stopped before it wrote its report
      }
    });
  const wallFile = join(dir, 'wall-ms.txt');
  const wall = existsSync(wallFile) ? Number(readFileSync(wallFile, 'utf8')) / 1000 : undefined;
  const load = { start: readLoad(join(dir, 'load-start.txt')), end: readLoad(join(dir, 'load-end.txt')) };
  console.log(formatTimes(steps, suites, load, wall));
}
