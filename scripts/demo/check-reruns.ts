// CI's check of the README's demo run twice: the first run built, pushed and opened (or updated) the bump pull
// request; the second reused the same image and left that pull request unchanged; no secret leaked in either. Both
// fleet reports showed what the demo seeded, and kept one issue.
// Run: node --experimental-transform-types scripts/demo/check-reruns.ts FIRST/result.json SECOND/result.json
import { readFileSync } from 'node:fs';
import type { DemoOutcome } from './report.ts';

/** Each expectation of a first and a second run, and whether it holds. */
export function rerunChecks(first: DemoOutcome, second: DemoOutcome): Array<[string, boolean]> {
  return [
    ['both runs succeeded', first.conclusion === 'success' && second.conclusion === 'success'],
    ['no secret leaked in either', first.secretsLeaked === 0 && second.secretsLeaked === 0],
    [
      'the first run built the image and pushed it',
      first.image.built && /^sha256:[0-9a-f]{64}$/.test(first.image.digest),
    ],
    [
      'the first run opened or updated the bump pull request',
      ['created', 'updated'].includes(first.bump.operation),
    ],
    ['the second run built nothing', !second.image.built],
    ['it reused the image the first run pushed', second.image.reusedDigest === first.image.digest],
    ['its push holds that same digest', second.image.digest === first.image.digest],
    ['the bump pull request is unchanged', second.bump.operation === 'unchanged'],
    [
      'and is the same pull request',
      second.bump.number !== undefined && second.bump.number === first.bump.number,
    ],
    [
      "both fleet reports show the seeded hub's missing tag and the unused repo",
      [first, second].every(
        (run) => run.fleet !== undefined && run.fleet.missingAt !== '' && run.fleet.unusedAt !== '',
      ),
    ],
    [
      'and keep one report issue',
      first.fleet?.issueUrl !== undefined &&
        first.fleet.issueUrl !== '' &&
        second.fleet?.issueUrl === first.fleet.issueUrl,
    ],
  ];
}

if (import.meta.main) {
  const [firstFile, secondFile] = process.argv.slice(2);
  if (firstFile === undefined || secondFile === undefined) {
    console.error('usage: check-reruns.ts FIRST/result.json SECOND/result.json');
    process.exit(2);
  }
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as DemoOutcome;
  const checks = rerunChecks(read(firstFile), read(secondFile));
  for (const [what, ok] of checks) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (checks.some(([, ok]) => !ok)) {
    console.error(`demo re-run check failed: see ${firstFile} and ${secondFile}`);
    process.exit(1);
  }
}
