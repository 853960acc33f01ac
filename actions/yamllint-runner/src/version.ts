/** Which yamllint versions satisfy `yamllint-version`, and what to ask pip for. Pure. */

/** `yamllint --version` prints "yamllint 1.29.0". */
export function parseVersionOutput(output: string): string | undefined {
  return /^yamllint\s+([0-9]+(?:\.[0-9]+)*)\b/m.exec(output)?.[1];
}

function components(version: string): number[] {
  return version.split('.').map(Number);
}

/**
 * `any` accepts every version. Otherwise each component given must match: `1.29` accepts 1.29.0 and 1.29.3,
 * `1.29.0` only 1.29.0 (a missing trailing component counts as 0, so "1.29" found satisfies "1.29.0").
 */
export function versionSatisfies(found: string, wanted: string): boolean {
  if (wanted === 'any') return true;
  const have = components(found);
  return components(wanted).every((part, index) => (have[index] ?? 0) === part);
}

/** The pip requirement for a wanted version: exact for x.y.z, the newest patch for x.y. */
export function pipRequirement(wanted: string): string {
  return components(wanted).length >= 3 ? `yamllint==${wanted}` : `yamllint==${wanted}.*`;
}
