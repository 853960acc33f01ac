/**
 * Runs a bundled action the way the GitHub runner does: `node <runs.main>` in a controlled environment with
 * INPUT_* variables, the runner's file commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH,
 * GITHUB_STEP_SUMMARY) and an event file; then reads back what the runner would have: outputs, state,
 * annotations, groups, masks, and the log as displayed (masked).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseEnviron, processGroupMembers, ProcessWatch, type SeenProcess } from './process-watch.js';
import { trackProcess } from './processes.js';
import { makeTempDir, removeDir } from './tmp.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Nothing listens here: an action that calls the GitHub API without an override fails fast, offline. */
export const UNREACHABLE_URL = 'http://127.0.0.1:9';

export interface RunActionOptions {
  /** Action dir name under actions/ (e.g. 'push-to-gar') or an absolute action dir. */
  action: string;
  /** → INPUT_<NAME>: name uppercased, spaces → '_', hyphens kept (like the runner). */
  inputs?: Record<string, string>;
  /** Extra env, applied last (overrides the runner's variables); undefined removes a variable. */
  env?: Record<string, string | undefined>;
  /** GITHUB_WORKSPACE and cwd; default: a fresh temp dir. */
  workspace?: string;
  /** RUNNER_TEMP; default: a fresh temp dir. */
  runnerTemp?: string;
  /** GITHUB_EVENT_NAME + a GITHUB_EVENT_PATH file; default: workflow_dispatch with a minimal payload. */
  event?: { name: string; payload: unknown };
  /** Programs (e.g. ['docker', 'git']) whose calls are recorded in `argv`: shims first on PATH log argv, then exec the real program found later on PATH. */
  recordArgvOf?: string[];
  /** Default 100 s; the process group is killed after it and `timedOut` is set. */
  timeoutMs?: number;
  /** Default false: start from a minimal env (PATH, HOME, DOCKER_HOST, LANG) plus the runner's variables. */
  inheritEnv?: boolean;
  /** The job token: `${{ github.token }}` in action.yml defaults evaluates to it, and the log masks it. Default ''. */
  githubToken?: string;
  /** Apply action.yml input defaults for inputs not given, as the runner does. Default true. */
  applyInputDefaults?: boolean;
  /** Cancels the run like the runner cancels a job: SIGTERM to the action's process group, SIGKILL 3 s later. */
  signal?: AbortSignal;
  /**
   * Watch every process the action starts (/proc, while it runs): `children` and `leftovers`. The calls of
   * `recordArgvOf` programs are in `children` either way.
   */
  watchChildren?: boolean;
  /** Called with the pid of the action's node process once it is spawned, e.g. to signal it alone as the runner does. */
  onSpawn?: (pid: number) => void;
}

export interface Annotation {
  level: 'error' | 'warning' | 'notice' | 'debug';
  message: string;
  file?: string;
  line?: number;
  col?: number;
  endLine?: number;
  endColumn?: number;
  title?: string;
}

export interface ActionRun {
  exitCode: number;
  /** Raw streams, including `::add-mask::` lines. */
  stdout: string;
  stderr: string;
  /** stdout + stderr interleaved as they arrived, with ::add-mask:: command lines removed (the runner consumes them). */
  log: string;
  /** `log` as the runner would display it: every registered mask value replaced by *** (line by line, like the runner). */
  maskedLog: string;
  /** Values registered with ::add-mask::. */
  masks: string[];
  /** From the GITHUB_OUTPUT file (`name=value` and `name<<DELIM` heredoc forms). */
  outputs: Record<string, string>;
  /** From GITHUB_STATE. */
  state: Record<string, string>;
  /** From GITHUB_ENV. */
  exportedEnv: Record<string, string>;
  /** From GITHUB_PATH. */
  addedPath: string[];
  /** GITHUB_STEP_SUMMARY content. */
  summary: string;
  /** ::error/::warning/::notice/::debug commands, properties and data unescaped. */
  annotations: Annotation[];
  /** ::group:: titles. */
  groups: string[];
  /** Malformed file commands; the runner fails the step for these, so `failed` is true when any. */
  commandErrors: string[];
  /** Exit code != 0 (or a malformed file command). */
  failed: boolean;
  timedOut: boolean;
  /** Stopped through `signal`. */
  cancelled: boolean;
  /** Date.now() just before the action's process was spawned, for benchmarks that time what it does. */
  spawnedAt: number;
  /** Recorded argv of `recordArgvOf` programs, in order; argv[0] is the program name. */
  argv: string[][];
  /**
   * The processes the action started, each with the environment it was started with: every call of a
   * `recordArgvOf` program, and with `watchChildren` every descendant seen in /proc while the action ran.
   */
  children: SeenProcess[];
  /** With `watchChildren`: processes of the action's process group still running when it exited. */
  leftovers: SeenProcess[];
  workspace: string;
  runnerTemp: string;
  files: { output: string; state: string; env: string; path: string; summary: string; event?: string };
  /**
   * Runs the post step: same action and inputs, STATE_<name> vars from this run's state, fresh file commands, same
   * workspace and RUNNER_TEMP. It is not cancelled by the main step's `signal` (the runner runs post steps of a
   * cancelled job too), only by the one given here.
   */
  post(options?: { env?: Record<string, string | undefined>; signal?: AbortSignal }): Promise<ActionRun>;
}

interface ActionMetadata {
  dir: string;
  name: string;
  main: string;
  post: string | undefined;
  inputDefaults: Record<string, string>;
}

/** Temp dirs created for a run (shared with its post runs), removed by `cleanupRun`. */
const ownedDirs = new WeakMap<ActionRun, Set<string>>();

// ---------------------------------------------------------------------------------------------------------
// action.yml

async function readActionMetadata(action: string): Promise<ActionMetadata> {
  const dir = isAbsolute(action) ? action : join(REPO_ROOT, 'actions', action);
  let text: string | undefined;
  for (const name of ['action.yml', 'action.yaml']) {
    text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) break;
  }
  if (text === undefined) throw new Error(`no action.yml in ${dir}`);
  const doc = parseYaml(text) as {
    runs?: { using?: string; main?: string; post?: string };
    inputs?: Record<string, { default?: unknown } | null>;
  };
  const runs = doc.runs ?? {};
  if (!/^node\d+$/.test(runs.using ?? '') || typeof runs.main !== 'string') {
    throw new Error(`${dir}/action.yml: runs.using must be nodeNN with runs.main (got ${runs.using})`);
  }
  const inputDefaults: Record<string, string> = {};
  for (const [name, spec] of Object.entries(doc.inputs ?? {})) {
    if (spec?.default !== undefined && spec.default !== null) inputDefaults[name] = String(spec.default);
  }
  return {
    dir,
    name: dir.split('/').filter(Boolean).pop() ?? 'action',
    main: join(dir, runs.main),
    post: typeof runs.post === 'string' ? join(dir, runs.post) : undefined,
    inputDefaults,
  };
}

/** `${{ github.token }}` and the like in input defaults; anything else is refused so tests notice. */
function evaluateDefault(value: string, context: Record<string, string>): string {
  return value.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_match, expression: string) => {
    const resolved = context[expression];
    if (resolved === undefined) {
      throw new Error(`action.yml default uses \${{ ${expression} }}, which runAction does not evaluate`);
    }
    return resolved;
  });
}

export function inputVariableName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

// ---------------------------------------------------------------------------------------------------------
// Workflow commands and file commands, parsed like the runner.

function unescapeData(value: string): string {
  return value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function unescapeProperty(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  data: string;
}

/** `::command key=value,key=value::data` (leading whitespace allowed), or undefined for a plain line. */
export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  const text = line.trimStart();
  if (!text.startsWith('::')) return undefined;
  const end = text.indexOf('::', 2);
  if (end === -1) return undefined;
  const info = text.slice(2, end);
  const space = info.indexOf(' ');
  const command = space === -1 ? info : info.slice(0, space);
  if (command === '') return undefined;
  const properties: Record<string, string> = {};
  if (space !== -1) {
    for (const pair of info.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq).trim()] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command, properties, data: unescapeData(text.slice(end + 2)) };
}

function annotationFrom(level: Annotation['level'], cmd: WorkflowCommand): Annotation {
  const annotation: Annotation = { level, message: cmd.data };
  const int = (key: string) => {
    const value = cmd.properties[key];
    return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
  };
  const file = cmd.properties['file'];
  const title = cmd.properties['title'];
  if (file !== undefined) annotation.file = file;
  if (title !== undefined) annotation.title = title;
  for (const key of ['line', 'col', 'endLine', 'endColumn'] as const) {
    const value = int(key);
    if (value !== undefined) annotation[key] = value;
  }
  return annotation;
}

/** GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` heredocs. */
export function parseKeyValueFile(text: string): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const eq = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq);
      if (name === '') errors.push(`Invalid format '${line}': name must not be empty`);
      else values[name] = line.slice(eq + 1);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const end = line.slice(heredoc + 2);
      if (name === '' || end === '') {
        errors.push(`Invalid format '${line}'`);
        continue;
      }
      const body: string[] = [];
      let closed = false;
      for (i += 1; i < lines.length; i += 1) {
        if (lines[i] === end) {
          closed = true;
          break;
        }
        body.push(lines[i] ?? '');
      }
      if (!closed) errors.push(`Matching delimiter not found '${end}'`);
      else values[name] = body.join('\n');
    } else {
      errors.push(`Invalid format '${line}'`);
    }
  }
  return { values, errors };
}

/** Splits a stream into lines as chunks arrive; `flush` returns a last unterminated line. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  push(chunk: Buffer): string[] {
    this.pending += this.decoder.write(chunk);
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    return parts.map((part) => `${part}\n`);
  }

  flush(): string[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest === '' ? [] : [rest];
  }
}

/** Consumes output lines the way the runner's command processor does. */
class CommandProcessor {
  readonly logLines: string[] = [];
  readonly masks: string[] = [];
  readonly annotations: Annotation[] = [];
  readonly groups: string[] = [];
  readonly legacyOutputs: Record<string, string> = {};
  readonly legacyState: Record<string, string> = {};
  private stopToken: string | undefined;

  line(rawLine: string): void {
    const cmd = parseWorkflowCommand(rawLine.replace(/\r?\n$/, ''));
    if (this.stopToken !== undefined) {
      if (cmd !== undefined && cmd.command === this.stopToken) this.stopToken = undefined;
      this.logLines.push(rawLine);
      return;
    }
    if (cmd?.command === 'add-mask') {
      if (cmd.data.trim() !== '') this.masks.push(cmd.data);
      return;
    }
    this.logLines.push(rawLine);
    if (cmd === undefined) return;
    switch (cmd.command) {
      case 'error':
      case 'warning':
      case 'notice':
      case 'debug':
        this.annotations.push(annotationFrom(cmd.command, cmd));
        break;
      case 'group':
        this.groups.push(cmd.data);
        break;
      case 'stop-commands':
        if (cmd.data !== '') this.stopToken = cmd.data;
        break;
      case 'set-output':
        if (cmd.properties['name']) this.legacyOutputs[cmd.properties['name']] = cmd.data;
        break;
      case 'save-state':
        if (cmd.properties['name']) this.legacyState[cmd.properties['name']] = cmd.data;
        break;
      default:
        break;
    }
  }
}

export function maskLog(log: string, masks: readonly string[]): string {
  const values = [...new Set(masks)].filter((mask) => mask !== '').sort((a, b) => b.length - a.length);
  return log
    .split('\n')
    .map((line) => values.reduce((masked, value) => masked.split(value).join('***'), line))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// argv recorder

// The shim is the action's child: its /proc/PID/environ is the environment the action gave the program.
const RECORDER_SCRIPT = `import { appendFileSync, readFileSync } from 'node:fs';
const [log, ...argv] = process.argv.slice(2);
const environ = readFileSync('/proc/' + process.ppid + '/environ', 'utf8');
appendFileSync(log, JSON.stringify({ argv, cwd: process.cwd(), pid: process.ppid, environ }) + '\\n');
`;

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A sh shim per program: log argv (through node, for exact JSON), then exec the next `name` on PATH. */
async function writeArgvShims(dir: string, programs: readonly string[], logFile: string): Promise<string> {
  const shimDir = join(dir, 'shims');
  await mkdir(shimDir, { recursive: true });
  const recorder = join(dir, 'record-argv.mjs');
  await writeFile(recorder, RECORDER_SCRIPT);
  for (const name of programs) {
    if (!/^[\w.+-]+$/.test(name)) throw new Error(`recordArgvOf: not a program name: ${name}`);
    const script = `#!/bin/sh
# argv recorder (local-world action-runner.ts): log the call, then run the real ${name} found later on PATH.
${shellQuote(process.execPath)} ${shellQuote(recorder)} ${shellQuote(logFile)} ${shellQuote(name)} "$@" </dev/null || exit 127
real=
set -f
IFS=:
for dir in $PATH; do
  [ "$dir" = ${shellQuote(shimDir)} ] && continue
  [ -n "$dir" ] || dir=.
  if [ -f "$dir/${name}" ] && [ -x "$dir/${name}" ]; then real="$dir/${name}"; break; fi
done
unset IFS
set +f
[ -n "$real" ] || { echo "${name}: command not found (argv recorder)" >&2; exit 127; }
exec "$real" "$@"
`;
    await writeFile(join(shimDir, name), script);
    await chmod(join(shimDir, name), 0o755);
  }
  return shimDir;
}

async function readRecordedArgv(logFile: string): Promise<string[][]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { argv: string[] }).argv);
}

async function readRecordedChildren(logFile: string): Promise<SeenProcess[]> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { argv: string[]; pid: number; environ: string })
    .map(({ argv, pid, environ }) => ({ pid, argv, env: parseEnviron(environ) }));
}

// ---------------------------------------------------------------------------------------------------------
// Running

interface Step {
  options: RunActionOptions;
  metadata: ActionMetadata;
  entry: string;
  workspace: string;
  runnerTemp: string;
  event: { name: string; payload: unknown };
  eventFile: string;
  owned: Set<string>;
  stateEnv: Record<string, string>;
}

const MINIMAL_ENV = ['PATH', 'HOME', 'DOCKER_HOST', 'LANG'];

function defaultEvent(repository: string, ref: string, sha: string): { name: string; payload: unknown } {
  const [owner = '', name = ''] = repository.split('/');
  return {
    name: 'workflow_dispatch',
    payload: {
      inputs: {},
      ref,
      after: sha,
      repository: { full_name: repository, name, owner: { login: owner } },
    },
  };
}

function runnerVariables(step: Step, files: ActionRun['files']): Record<string, string> {
  const repository = step.options.env?.['GITHUB_REPOSITORY'] ?? 'hub-test/image-repo';
  const ref = step.options.env?.['GITHUB_REF'] ?? 'refs/heads/main';
  return {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: step.workspace,
    RUNNER_TEMP: step.runnerTemp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'hia-test-runner',
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_EVENT_NAME: step.event.name,
    GITHUB_EVENT_PATH: step.eventFile,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0] ?? '',
    GITHUB_SHA: '8b48b4867330c0ffee1234567890abcdef123456',
    GITHUB_REF: ref,
    GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_NUMBER: '7',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTION: `__hub-image-actions_${step.metadata.name}`,
    GITHUB_JOB: 'test',
    GITHUB_WORKFLOW: 'test',
    GITHUB_ACTOR: 'hub-test-bot',
    GITHUB_API_URL: UNREACHABLE_URL,
    GITHUB_SERVER_URL: UNREACHABLE_URL,
    GITHUB_GRAPHQL_URL: `${UNREACHABLE_URL}/graphql`,
  };
}

async function runStep(step: Step): Promise<ActionRun> {
  const { options } = step;
  const commandsDir = join(step.runnerTemp, '_runner_file_commands');
  await mkdir(commandsDir, { recursive: true });
  const id = randomUUID();
  const files: ActionRun['files'] = {
    output: join(commandsDir, `set_output_${id}`),
    state: join(commandsDir, `save_state_${id}`),
    env: join(commandsDir, `set_env_${id}`),
    path: join(commandsDir, `add_path_${id}`),
    summary: join(commandsDir, `step_summary_${id}`),
    event: step.eventFile,
  };
  for (const file of [files.output, files.state, files.env, files.path, files.summary])
    await writeFile(file, '');

  const env: Record<string, string> = {};
  const source = options.inheritEnv ? process.env : {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined) env[key] = value;
  if (!options.inheritEnv) {
    for (const key of MINIMAL_ENV) {
      const value = process.env[key];
      if (value !== undefined) env[key] = value;
    }
  }
  const runner = runnerVariables(step, files);
  Object.assign(env, runner);

  const context: Record<string, string> = {
    'github.token': options.githubToken ?? '',
    'github.repository': runner['GITHUB_REPOSITORY'] ?? '',
    'github.repository_owner': runner['GITHUB_REPOSITORY_OWNER'] ?? '',
    'github.sha': options.env?.['GITHUB_SHA'] ?? runner['GITHUB_SHA'] ?? '',
    'github.ref': runner['GITHUB_REF'] ?? '',
    'github.workspace': step.workspace,
    'github.server_url': options.env?.['GITHUB_SERVER_URL'] ?? UNREACHABLE_URL,
    'github.api_url': options.env?.['GITHUB_API_URL'] ?? UNREACHABLE_URL,
    'github.event_name': step.event.name,
    'runner.temp': step.runnerTemp,
    'runner.os': 'Linux',
  };
  if (options.applyInputDefaults !== false) {
    for (const [name, value] of Object.entries(step.metadata.inputDefaults)) {
      if (options.inputs?.[name] === undefined)
        env[inputVariableName(name)] = evaluateDefault(value, context);
    }
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) env[inputVariableName(name)] = value;
  Object.assign(env, step.stateEnv);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }

  const argvLog = join(await makeTempDir('action-argv'), 'argv.jsonl');
  step.owned.add(dirname(argvLog));
  if (options.recordArgvOf !== undefined && options.recordArgvOf.length > 0) {
    const shimDir = await writeArgvShims(dirname(argvLog), options.recordArgvOf, argvLog);
    env['PATH'] = [shimDir, env['PATH'] ?? ''].filter(Boolean).join(delimiter);
  }

  const processor = new CommandProcessor();
  const stdout: string[] = [];
  const stderr: string[] = [];
  let spawnedAt = 0;
  let cancelled = false;
  let watch: ProcessWatch | undefined;
  let leftovers: SeenProcess[] = [];
  const { exitCode, timedOut } = await new Promise<{ exitCode: number; timedOut: boolean }>(
    (resolvePromise, reject) => {
      spawnedAt = Date.now();
      const child = spawn(process.execPath, [step.entry], {
        cwd: step.workspace,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a timeout or a leftover grandchild can be killed as a whole.
        detached: true,
      });
      if (options.watchChildren && child.pid !== undefined) watch = new ProcessWatch(child.pid);
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
      trackProcess(child, `action ${step.entry}`, { group: true });
      const splitters = { out: new LineSplitter(), err: new LineSplitter() };
      const decoders = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
      child.stdout.on('data', (chunk: Buffer) => {
        stdout.push(decoders.out.write(chunk));
        for (const line of splitters.out.push(chunk)) processor.line(line);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        stderr.push(decoders.err.write(chunk));
        for (const line of splitters.err.push(chunk)) processor.line(line);
      });
      let timedOutFlag = false;
      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // already gone
        }
      };
      const timeoutMs = options.timeoutMs ?? 100_000;
      const timer = setTimeout(() => {
        timedOutFlag = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), 3_000).unref();
      }, timeoutMs);
      const cancel = () => {
        cancelled = true;
        killGroup('SIGTERM');
        setTimeout(() => killGroup('SIGKILL'), 3_000).unref();
      };
      if (options.signal?.aborted) cancel();
      else options.signal?.addEventListener('abort', cancel, { once: true });
      // A grandchild still holding stdout open must not keep the run waiting after the action exited.
      let lingerTimer: NodeJS.Timeout | undefined;
      child.on('exit', () => {
        if (options.watchChildren && child.pid !== undefined) leftovers = processGroupMembers(child.pid);
        watch?.stop(leftovers);
        lingerTimer = setTimeout(() => {
          killGroup('SIGKILL');
          child.stdout.destroy();
          child.stderr.destroy();
        }, 5_000);
      });
      child.on('error', (error) => {
        clearTimeout(timer);
        watch?.stop();
        reject(new Error(`could not run ${step.entry}: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        clearTimeout(lingerTimer);
        options.signal?.removeEventListener('abort', cancel);
        killGroup('SIGKILL');
        stdout.push(decoders.out.end());
        stderr.push(decoders.err.end());
        for (const line of [...splitters.out.flush(), ...splitters.err.flush()]) processor.line(line);
        const signalCode = signal === null ? 1 : 128 + (constants.signals[signal] ?? 0);
        resolvePromise({ exitCode: code ?? signalCode, timedOut: timedOutFlag });
      });
    },
  );

  const outputFile = parseKeyValueFile(await readFile(files.output, 'utf8'));
  const stateFile = parseKeyValueFile(await readFile(files.state, 'utf8'));
  const envFile = parseKeyValueFile(await readFile(files.env, 'utf8'));
  const commandErrors = [
    ...outputFile.errors.map((error) => `GITHUB_OUTPUT: ${error}`),
    ...stateFile.errors.map((error) => `GITHUB_STATE: ${error}`),
    ...envFile.errors.map((error) => `GITHUB_ENV: ${error}`),
  ];
  const log = processor.logLines.join('');
  const maskValues = [...processor.masks, ...(options.githubToken ? [options.githubToken] : [])];
  const state = { ...processor.legacyState, ...stateFile.values };

  const run: ActionRun = {
    exitCode,
    stdout: stdout.join(''),
    stderr: stderr.join(''),
    log,
    maskedLog: maskLog(log, maskValues),
    masks: processor.masks,
    outputs: { ...processor.legacyOutputs, ...outputFile.values },
    state,
    exportedEnv: envFile.values,
    addedPath: (await readFile(files.path, 'utf8'))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== ''),
    summary: await readFile(files.summary, 'utf8'),
    annotations: processor.annotations,
    groups: processor.groups,
    commandErrors,
    failed: exitCode !== 0 || commandErrors.length > 0,
    timedOut,
    cancelled,
    spawnedAt,
    argv: await readRecordedArgv(argvLog),
    children: [...(await readRecordedChildren(argvLog)), ...(watch?.seen ?? [])],
    leftovers,
    workspace: step.workspace,
    runnerTemp: step.runnerTemp,
    files,
    post: async (postOptions = {}) => {
      if (step.metadata.post === undefined)
        throw new Error(`${step.metadata.dir}/action.yml has no runs.post`);
      const stateEnv = Object.fromEntries(
        Object.entries(state).map(([key, value]) => [`STATE_${key}`, value]),
      );
      const postRun = await runStep({
        ...step,
        options: { ...options, env: { ...options.env, ...postOptions.env }, signal: postOptions.signal },
        entry: step.metadata.post,
        stateEnv,
      });
      return postRun;
    },
  };
  ownedDirs.set(run, step.owned);
  return run;
}

/** Runs the action's main step like the GitHub runner. Always resolves; check `failed` / `exitCode`. */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const metadata = await readActionMetadata(options.action);
  const owned = new Set<string>();
  try {
    const workspace = options.workspace ?? (await makeTempDir('workspace'));
    if (options.workspace === undefined) owned.add(workspace);
    const runnerTemp = options.runnerTemp ?? (await makeTempDir('runner-temp'));
    if (options.runnerTemp === undefined) owned.add(runnerTemp);
    const repository = options.env?.['GITHUB_REPOSITORY'] ?? 'hub-test/image-repo';
    const event =
      options.event ??
      defaultEvent(
        repository,
        options.env?.['GITHUB_REF'] ?? 'refs/heads/main',
        options.env?.['GITHUB_SHA'] ?? '8b48b4867330c0ffee1234567890abcdef123456',
      );
    const eventDir = join(runnerTemp, '_github_workflow');
    await mkdir(eventDir, { recursive: true });
    const eventFile = join(eventDir, 'event.json');
    await writeFile(eventFile, JSON.stringify(event.payload, null, 2));
    return await runStep({
      options,
      metadata,
      entry: metadata.main,
      workspace,
      runnerTemp,
      event,
      eventFile,
      owned,
      stateEnv: {},
    });
  } catch (error) {
    for (const dir of owned) await removeDir(dir);
    throw error;
  }
}

/** Removes the temp dirs the helper created for `run` (and its post runs): workspace, RUNNER_TEMP, shims. */
export async function cleanupRun(run: ActionRun): Promise<void> {
  const dirs = ownedDirs.get(run);
  if (dirs === undefined) return;
  for (const dir of dirs) await removeDir(dir);
  dirs.clear();
}
