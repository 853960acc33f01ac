// What changed inside the image: the package diff between the image of the previous run and this run's, from the
// manifests push-to-gar stored with them in the registry (read from an image's layers when it has none), and the
// "What the hubs get" section of the bump pull request's body.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  diffManifests,
  manifestOfRegistryImage,
  renderDiffMarkdown,
  sizeChange,
  summarizeDiff,
} from '@hub-image-actions/package-manifest';
import { RegistryClient } from '@hub-image-actions/registry-client';

export const HUBS_GET_HEADING = '### What the hubs get';

/** The image the previous run pushed (`host/path@digest`), from its saved result; undefined on a first run. */
export async function previousImage(stateDir: string): Promise<string | undefined> {
  try {
    const saved = JSON.parse(await readFile(join(stateDir, 'result.json'), 'utf8')) as {
      image?: { ref?: string; digest?: string };
    };
    const ref = saved.image?.ref ?? '';
    const digest = saved.image?.digest ?? '';
    return ref === '' || digest === '' ? undefined : `${ref.replace(/:[^:/]*$/, '')}@${digest}`;
  } catch {
    return undefined;
  }
}

/** The section of a pull request body from `heading` to the next heading of the same level, or undefined. */
export function sectionOf(body: string, heading: string): string | undefined {
  const start = body.indexOf(heading);
  if (start < 0) return undefined;
  const rest = body.slice(start + heading.length);
  const level = /^#+/.exec(heading)?.[0] ?? '###';
  const end = rest.search(new RegExp(`\\n${level} `));
  return (heading + (end < 0 ? rest : rest.slice(0, end))).trimEnd();
}

/** The diff of two images of one registry, as lines to print; each line says what could not be read. */
export async function packageDiffLines(
  registry: { host: string; credentials: { username: string; password: string } },
  before: string,
  after: string,
): Promise<string[]> {
  const client = new RegistryClient({
    registry: registry.host,
    credentials: async () => registry.credentials,
  });
  const split = (ref: string) => {
    const at = ref.lastIndexOf('@');
    return { repository: ref.slice(registry.host.length + 1, at), digest: ref.slice(at + 1) };
  };
  const a = split(before);
  const b = split(after);
  const [old, now] = await Promise.all([
    manifestOfRegistryImage(client, a.repository, a.digest),
    manifestOfRegistryImage(client, b.repository, b.digest),
  ]);
  if (!old.found) return [`the previous image's packages could not be read: ${old.why}`];
  if (!now.found) return [`this image's packages could not be read: ${now.why}`];
  const diff = diffManifests(
    old.manifest,
    now.manifest,
    sizeChange(
      { manifest: old.manifest, compressedBytes: old.compressedSize },
      { manifest: now.manifest, compressedBytes: now.compressedSize },
    ),
  );
  const how = (source: 'stored' | 'layers') =>
    source === 'stored' ? 'the manifest stored with it' : 'its layers (no manifest stored with it)';
  return [
    `${a.digest.slice(0, 19)} (${how(old.source)}) → ${b.digest.slice(0, 19)} (${how(now.source)})`,
    summarizeDiff(diff),
    ...(diff.counts.total === 0
      ? []
      : renderDiffMarkdown(diff, { title: 'What changed in the image', maxBytes: 8_000 }).markdown.split(
          '\n',
        )),
  ];
}

/** Prints the package diff against the previous run's image, and what the bump pull request's body says of it. */
export async function printPackages(
  out: { phase: (title: string) => void; line: (text: string, indent?: number) => void },
  world: {
    registry: { host: string; admin: { username: string; password: string } };
    github: { pulls: ReadonlyArray<{ repo: string; number: number; body: string | null }> };
  },
  run: {
    previous: string | undefined;
    image: string;
    digest: string;
    deployment: string;
    pull: number | undefined;
  },
): Promise<void> {
  out.phase('Packages: what changed in the image');
  if (run.digest === '') {
    out.line('no image was pushed');
  } else if (run.previous === undefined) {
    out.line('no previous run to compare with: run the demo again with --change to see a diff');
  } else if (run.previous.endsWith(`@${run.digest}`)) {
    out.line(`the same image as the previous run (${run.digest.slice(0, 19)}): no package changed`);
  } else {
    const lines = await packageDiffLines(
      { host: world.registry.host, credentials: world.registry.admin },
      run.previous,
      `${run.image.replace(/:[^:/]*$/, '')}@${run.digest}`,
    ).catch((error: unknown) => [
      `could not compare: ${error instanceof Error ? error.message : String(error)}`,
    ]);
    for (const text of lines) out.line(text, 4);
  }
  const body = world.github.pulls.find((p) => p.repo === run.deployment && p.number === run.pull)?.body;
  if (body === undefined || body === null) return;
  const section = sectionOf(body, HUBS_GET_HEADING);
  out.line(
    section === undefined
      ? `the bump pull request's body has no "${HUBS_GET_HEADING.slice(4)}" section`
      : `the bump pull request's body, "${HUBS_GET_HEADING.slice(4)}":`,
  );
  for (const text of (section ?? '').split('\n').slice(1)) if (text !== '') out.line(text, 4);
}
