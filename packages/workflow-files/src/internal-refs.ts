// How the workflows and the template refer to this repository's own actions and reusable workflows, e.g.
// `hub-image-actions/hub-image-actions/actions/build-image@v1`. The release sets every such ref at once; the policy
// checks make sure they agree. No dependencies: the release workflow runs this before any install.

export const INTERNAL_REPOSITORY = 'hub-image-actions/hub-image-actions';

export interface InternalUses {
  /** `action` for `actions/<name>`, `workflow` for `.github/workflows/<file>`. */
  kind: 'action' | 'workflow';
  /** Path inside this repository: `actions/build-image` or `.github/workflows/image-main.yml`. */
  target: string;
  ref: string;
}

const USES = new RegExp(
  `^${INTERNAL_REPOSITORY.replace('/', '\\/')}\\/(actions\\/[a-z0-9][a-z0-9-]*|\\.github\\/workflows\\/[A-Za-z0-9_.-]+\\.ya?ml)@(\\S+)$`,
);

/** The parts of a `uses:` value that points into this repository; undefined for anything else. */
export function parseInternalUses(uses: string): InternalUses | undefined {
  const match = USES.exec(uses.trim());
  if (match === null) return undefined;
  const target = match[1] as string;
  return { kind: target.startsWith('actions/') ? 'action' : 'workflow', target, ref: match[2] as string };
}

/** A release version `X.Y.Z` (no leading v, no pre-release part). */
export const VERSION = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

/** A ref the workflows may use: a major tag `vX` or a release tag `vX.Y.Z`. */
export const RELEASE_REF = /^v(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*))?$/;

/** `v1` for `v1` and `v1.4.2`; undefined for anything that is not a release ref. */
export function majorOf(ref: string): string | undefined {
  const match = RELEASE_REF.exec(ref);
  return match === null ? undefined : `v${match[1]}`;
}

export interface InternalRefLine {
  line: number;
  uses: InternalUses;
}

// A `uses:` line (step or job, optionally a list item), the value optionally quoted, optionally followed by a comment.
const USES_LINE = /^(\s*(?:-\s+)?uses:\s*)(['"]?)([^\s'"#]+)\2(\s*(?:#.*)?)$/;

/** Every internal `uses:` in a workflow file's text, with its 1-based line. */
export function findInternalRefs(text: string): InternalRefLine[] {
  const found: InternalRefLine[] = [];
  text.split('\n').forEach((line, index) => {
    const match = USES_LINE.exec(line.replace(/\r$/, ''));
    const uses = match === null ? undefined : parseInternalUses(match[3] as string);
    if (uses !== undefined) found.push({ line: index + 1, uses });
  });
  return found;
}

/** The text with every internal `uses:` ref set to `ref`; nothing else on any line changes. */
export function rewriteInternalRefs(text: string, ref: string): string {
  return text
    .split('\n')
    .map((line) => {
      const cr = line.endsWith('\r') ? '\r' : '';
      const body = cr === '' ? line : line.slice(0, -1);
      const match = USES_LINE.exec(body);
      if (match === null) return line;
      const uses = parseInternalUses(match[3] as string);
      if (uses === undefined) return line;
      const [, prefix, quote, , suffix] = match;
      return `${prefix}${quote}${INTERNAL_REPOSITORY}/${uses.target}@${ref}${quote}${suffix}${cr}`;
    })
    .join('\n');
}
