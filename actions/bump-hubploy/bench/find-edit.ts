// Finding and editing the references across 200 hubs' files (about 700 files), in memory: the pure work of a
// bump, without git. Baseline, side by side: the old pipeline's approach (a global string replace per file),
// which is fast but wrong (it hits the -gpu image and every PLACEHOLDER).
// Run: pnpm --filter @hub-image-actions/bump-hubploy run bench
import { editFile, encodeFile, findImageUses, scanFile, selectFiles } from '@hub-image-actions/deploy-config';
import { fleet, IMAGE, passes, table } from './fleet.ts';

const RUNS = 15;
const files = fleet(200);
const encoded = Object.entries(files).map(([path, text]) => [path, Buffer.from(text)] as const);
const include = ['deployments/*/config/*.yaml', 'deployments/*/hubploy.yaml'];

function bump(): number {
  const selected = new Set(
    selectFiles(Object.keys(files), { include, exclude: ['deployments/template/**'] }),
  );
  const scanned = encoded
    .filter(([path]) => selected.has(path))
    .map(([path, bytes]) => scanFile(path, bytes));
  const search = findImageUses(scanned, IMAGE);
  if (search.unsafe.length > 0) throw new Error(JSON.stringify(search.unsafe));
  let changed = 0;
  for (const file of scanned) {
    const result = editFile(file, search.uses, '0be26ba905cb');
    if (result.edits.length > 0) {
      encodeFile(result.text);
      changed += 1;
    }
  }
  return changed;
}

function legacySed(): number {
  let changed = 0;
  for (const [, bytes] of encoded) {
    const text = bytes.toString('utf8');
    const out = text
      .split(`${IMAGE}:8b48b4867330`)
      .join(`${IMAGE}:0be26ba905cb`)
      .split('PLACEHOLDER')
      .join('0be26ba905cb');
    if (out !== text) changed += 1;
  }
  return changed;
}

bump();
const samples: number[] = [];
const legacy: number[] = [];
let changedFiles = 0;
for (let i = 0; i < RUNS; i += 1) {
  let started = performance.now();
  changedFiles = bump();
  samples.push(performance.now() - started);
  started = performance.now();
  legacySed();
  legacy.push(performance.now() - started);
}
const rows = [
  {
    name: `find + edit, 200 hubs (${encoded.length} files, ${changedFiles} changed)`,
    samples,
    targetMs: 2000,
  },
];
console.log(table(rows, { name: 'string replace (old pipeline, wrong)', samples: legacy }));
if (!passes(rows)) process.exitCode = 1;
