// Build and test output is the image repo's, not ours: it must not issue workflow commands (::set-output::,
// ::add-mask::, ::error::) in the action's name.
import { randomBytes } from 'node:crypto';
import { onCancel } from '@hub-image-actions/process';

/** Runs `work` with workflow commands switched off, so build and test output cannot issue any. */
export async function shielded<T>(work: () => Promise<T>): Promise<T> {
  const token = randomBytes(16).toString('hex');
  let resumed = false;
  const resume = () => {
    if (!resumed) process.stdout.write(`::${token}::\n`);
    resumed = true;
  };
  process.stdout.write(`::stop-commands::${token}\n`);
  // A cancelled step's failure is reported before this unwinds: commands must work again by then.
  const forgetCancel = onCancel(resume);
  try {
    return await work();
  } finally {
    forgetCancel();
    resume();
  }
}
