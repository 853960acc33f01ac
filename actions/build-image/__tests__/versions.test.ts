import { describe, expect, it } from '@jest/globals';
import {
  compareVersions,
  normalVersion,
  parseRepo2dockerVersion,
  sameVersion,
  buildxMissingLine,
  usesBuildx,
} from '../src/versions.js';

describe('versions', () => {
  it.each([
    ['2026.04.0', '2026.4.0', true],
    ['2026.04.0', '2026.04.0', true],
    ['2026.04.0', '2026.04.1', false],
    ['2024.07.0+12.gabcdef', '2024.07.0', false],
    ['2024.07.0+12.gabcdef', '2024.07.0+12.gabcdef', true],
    ['2025.08.0.dev3', '2025.08.0', false],
  ])('sameVersion(%s, %s) is %s', (a, b, same) => {
    expect(sameVersion(a, b)).toBe(same);
  });

  it.each([
    ['2026.04.0', '2026.4.0'],
    ['2026.4.0', '2026.4.0'],
    ['v2025.08.0', '2025.8.0'],
    ['2024.07.0+12.gabcdef', '2024.7.0+12.gabcdef'],
    ['2025.08.0.dev3', '2025.8.0.dev3'],
    ['2026.10.0', '2026.10.0'],
    [' 2026.04.0\n', '2026.4.0'],
    ['latest', 'latest'],
  ])('normalVersion(%j) is %j, as pip spells it', (given, normal) => {
    expect(normalVersion(given)).toBe(normal);
  });

  it('orders calendar versions numerically', () => {
    expect(compareVersions('2025.10.0', '2025.8.0')).toBeGreaterThan(0);
    expect(compareVersions('2024.07.0', '2025.08.0')).toBeLessThan(0);
  });

  it.each([
    ['2026.04.0', true],
    ['2025.08.0', true],
    ['2025.07.1', false],
    ['2024.07.0', false],
  ])('repo2docker %s builds with buildx: %s', (version, buildx) => {
    expect(usesBuildx(version)).toBe(buildx);
  });

  it('reads versions from what the tools print', () => {
    expect(parseRepo2dockerVersion('2026.04.0\n')).toBe('2026.04.0');
    expect(parseRepo2dockerVersion('some log line\n2024.07.0+3.g1\n')).toBe('2024.07.0+3.g1');
    expect(parseRepo2dockerVersion('Traceback (most recent call last):\n')).toBeUndefined();
  });

  it.each([
    ["docker: 'buildx' is not a docker command.\nSee 'docker --help'", true],
    ["docker: unknown command: docker buildx\n\nRun 'docker --help' for more information", true],
    ['Container engine initialization error: The docker buildx plugin must be installed', true],
    ['ERROR: failed to solve: process did not complete successfully', false],
  ])('recognises a missing buildx in %j: %s', (text, missing) => {
    const line = buildxMissingLine(`Picked Local content provider.\n${text}\nmore output`);
    expect(line !== undefined).toBe(missing);
    if (missing) expect(text).toContain(line);
  });
});
