// A cancelled step: the runner sends SIGTERM to the action's node process alone (after SIGINT), mid-push. The
// action ends docker push itself, removes its docker credentials and the local push name, and fails the step.
import { describe, expect, it, jest } from '@jest/globals';
import { imageExists } from '@hub-image-actions/local-world/docker-engine';
import { dockerConfigsLeft, leaksOf, pushHeld, useServices, type Services } from './helpers.js';

jest.setTimeout(120_000);

let s: Services;
useServices((started) => (s = started));

describe('cancelled mid-push', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s, ends docker push, removes the credentials and the push name, and fails the step',
    async (signal) => {
      // The layer upload is held: the push is under way until the step is cancelled.
      const held = await pushHeld(
        s,
        `cancel-${signal.toLowerCase()}`,
        { method: 'PATCH', path: /\/blobs\/uploads\// },
        { watchChildren: true },
      );
      const { repository } = held;
      const pushName = `${s.proxy.host}/${repository}:v1`;
      expect(await imageExists(pushName)).toBe(true);
      process.kill(held.pid, signal);
      const run = await held.run;

      expect(run.exitCode).toBe(1);
      expect(run.log).toContain(
        `push-to-gar: ${signal} received, the step was cancelled: ending the programs it started.`,
      );
      expect(run.annotations.map((a) => a.message)).toEqual([`push-to-gar action was cancelled (${signal})`]);
      expect(run.children.some((child) => child.argv.includes('push'))).toBe(true);
      // Nothing the action started outlived it: docker push ended before the action exited.
      expect(run.leftovers).toEqual([]);
      expect(await dockerConfigsLeft(run)).toEqual([]);
      expect(run.log).toMatch(/Removed the docker credentials in .*hub-image-actions-docker-/);
      expect(await imageExists(pushName)).toBe(false);
      expect(await s.registry.tags(repository)).toEqual([]);
      const post = await run.post();
      expect(post.exitCode).toBe(0);
      expect(post.log).toContain('Nothing to clean up: the push removed its docker credentials itself.');
      expect(await leaksOf(s.google, [run, post])).toEqual([]);
    },
  );
});
