// Reads repo2docker's build output as it streams: how many build steps came from the layer cache, and, when the
// build fails, which step failed and its last lines. Understands the legacy builder ("Step 3/9 : …",
// " ---> Using cache") and BuildKit's plain progress ("#7 [3/6] RUN …", "#7 CACHED"), which repo2docker
// >= 2025.08.0 prints through `docker buildx build --progress plain`.

export interface CacheStats {
  /** Build steps seen (FROM included). */
  steps: number;
  /** Steps whose result came from the cache. */
  cachedSteps: number;
}

export interface BuildFailure {
  /** The step that failed, e.g. "Step 5/9 : RUN pip install -r requirements.txt" or "[4/6] RUN …". */
  step: string | undefined;
  /** Its last output lines (or the last lines of the whole output when no step is known). */
  lines: string[];
}

const LEGACY_STEP = /^Step (\d+)\/(\d+) : (.*)$/;
const LEGACY_CACHED = /^ ---> Using cache$/;
const LEGACY_FAILED =
  /^The command .* returned a non-zero code: \d+$|^(?:Service '.*' failed to build: )?(?:ERROR|Error response from daemon): /;
const BUILDKIT_LINE = /^#(\d+) (.*)$/;
const BUILDKIT_STEP = /^\[(?!internal\])([^\]]*\b\d+\/\d+)\] (.*)$/;
const BUILDKIT_OUTPUT = /^\d+(?:\.\d+)? (.*)$/;

export class BuildLog {
  private readonly tailSize: number;
  private readonly tail: string[] = [];
  private legacySteps = 0;
  private legacyCached = 0;
  private legacyCurrent: { title: string; lines: string[] } | undefined;
  private legacyFailedStep: { title: string; lines: string[] } | undefined;
  private readonly buildkitSteps = new Map<string, { title: string; lines: string[]; cached: boolean }>();
  private buildkitFailedId: string | undefined;

  constructor(tailSize = 25) {
    this.tailSize = tailSize;
  }

  line(raw: string): void {
    const text = raw.replace(/\r$/, '');
    this.tail.push(text);
    if (this.tail.length > 400) this.tail.splice(0, this.tail.length - 400);

    const legacy = LEGACY_STEP.exec(text);
    if (legacy) {
      this.legacySteps = Math.max(this.legacySteps, Number(legacy[1]));
      this.legacyCurrent = { title: `Step ${legacy[1]}/${legacy[2]} : ${legacy[3]}`, lines: [] };
      return;
    }
    if (LEGACY_CACHED.test(text)) {
      this.legacyCached += 1;
      return;
    }
    const buildkit = BUILDKIT_LINE.exec(text);
    if (buildkit) {
      this.buildkitLine(buildkit[1] ?? '', buildkit[2] ?? '');
      return;
    }
    if (this.legacyCurrent !== undefined) {
      if (!/^ ---> |^Removing intermediate container /.test(text)) this.legacyCurrent.lines.push(text);
      if (LEGACY_FAILED.test(text)) this.legacyFailedStep ??= this.legacyCurrent;
    }
  }

  private buildkitLine(id: string, rest: string): void {
    const step = BUILDKIT_STEP.exec(rest);
    if (step) {
      if (!this.buildkitSteps.has(id)) {
        this.buildkitSteps.set(id, { title: `[${step[1]}] ${step[2]}`, lines: [], cached: false });
      }
      return;
    }
    const known = this.buildkitSteps.get(id);
    if (known === undefined) return;
    if (rest === 'CACHED') {
      known.cached = true;
    } else if (rest.startsWith('ERROR')) {
      this.buildkitFailedId ??= id;
      known.lines.push(rest);
    } else if (!/^DONE \d|^sha256:[0-9a-f]{64}$/.test(rest)) {
      const output = BUILDKIT_OUTPUT.exec(rest);
      known.lines.push(output ? (output[1] ?? '') : rest);
    }
  }

  cacheStats(): CacheStats {
    if (this.buildkitSteps.size > 0) {
      const steps = [...this.buildkitSteps.values()];
      return { steps: steps.length, cachedSteps: steps.filter((s) => s.cached).length };
    }
    return { steps: this.legacySteps, cachedSteps: this.legacyCached };
  }

  /** What to show when the build failed. */
  failure(): BuildFailure {
    const failed =
      this.buildkitFailedId !== undefined
        ? this.buildkitSteps.get(this.buildkitFailedId)
        : this.legacyFailedStep;
    if (failed !== undefined && failed.lines.length > 0) {
      return { step: failed.title, lines: failed.lines.slice(-this.tailSize) };
    }
    return { step: failed?.title, lines: this.tail.slice(-this.tailSize) };
  }

  /** The last lines of everything, for errors that are not a failing build step. */
  lastLines(count = this.tailSize): string[] {
    return this.tail.slice(-count);
  }
}
