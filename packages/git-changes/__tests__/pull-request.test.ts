import { describe, expect, it } from '@jest/globals';
import { parseNulSeparated, pullRequestRange } from '../src/pull-request.js';

const BASE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);

describe('pullRequestRange', () => {
  it('reads base and head from a pull_request payload', () => {
    expect(
      pullRequestRange('pull_request', {
        pull_request: { number: 7, base: { sha: BASE }, head: { sha: HEAD } },
      }),
    ).toEqual({ base: BASE, head: HEAD, number: 7 });
  });

  it.each([
    ['push', { after: HEAD }, 'the event is push, not pull_request'],
    [
      'pull_request_target',
      { pull_request: { base: { sha: BASE }, head: { sha: HEAD } } },
      'the event is pull_request_target, not pull_request',
    ],
    ['pull_request', {}, 'the pull_request event payload has no valid pull_request.base.sha (got nothing)'],
    [
      'pull_request',
      { pull_request: { base: { sha: BASE }, head: { sha: 'main' } } },
      'has no valid pull_request.head.sha (got "main")',
    ],
  ])('gives a reason instead for %s', (event, payload, reason) => {
    const range = pullRequestRange(event, payload);
    expect('reason' in range && range.reason).toContain(reason);
  });

  it('splits NUL-separated paths, keeping spaces and newlines in names', () => {
    expect(
      parseNulSeparated(Buffer.from('a.yaml\0dir/b c.yml\0odd\nname.yaml\0caf\xe9.yaml\0', 'latin1')),
    ).toEqual(
      ['a.yaml', 'dir/b c.yml', 'odd\nname.yaml', 'caf\xe9.yaml'].map((name) => Buffer.from(name, 'latin1')),
    );
  });
});
