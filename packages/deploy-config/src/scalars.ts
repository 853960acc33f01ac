import { parse } from 'yaml';

export type ScalarStyle = 'plain' | 'single' | 'double';

const YAML_VERSIONS = ['1.1', '1.2'] as const;

/**
 * True when `text`, written as a plain scalar, reads back as exactly that string under both YAML 1.1 (what Helm's
 * go-yaml follows: `yes`, `0o17`, `1_000`, dates) and YAML 1.2. Tags such as `123456789012` or `1234e5` do not:
 * Helm would render them as numbers, in scientific notation, and the hub could not pull its image.
 */
export function readsAsPlainString(text: string): boolean {
  if (text === '' || text.trim() !== text) return false;
  return YAML_VERSIONS.every((version) => {
    try {
      return parse(text, { version }) === text;
    } catch {
      return false;
    }
  });
}

/** How a tag is written in a scalar of this style; a plain scalar that would misread gets double quotes. */
export function renderScalar(text: string, style: ScalarStyle): string {
  if (style === 'single') return `'${text.replace(/'/g, "''")}'`;
  if (style === 'double') return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return readsAsPlainString(text) ? text : `"${text}"`;
}
