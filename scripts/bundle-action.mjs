// Bundles the action in the current directory with ncc into dist/, after emptying dist/ so no stale chunk
// survives a rebuild (CI compares the rebuilt dist/ with the committed one). Extra arguments go to ncc.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
const ncc = spawnSync(
  'ncc',
  [
    'build',
    'src/index.ts',
    '--out',
    'dist',
    '--license',
    'licenses.txt',
    '--quiet',
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
  },
);
process.exit(ncc.status ?? 1);
