// Which lines of a step's log the demo shows: what the action decided, not the build or push output it streamed.
// Pure functions of the log text, as the runner received it (workflow commands included).
import { parseWorkflowCommand } from '@hub-image-actions/local-world/action-runner';

const LEVELS = new Set(['error', 'warning', 'notice']);
/** Inside streamed build and test output, the lines that still say what happened. */
const STREAMED_KEEP = [
  /^=+ .*\b(passed|failed|errors?|deselected|skipped)\b.* =+$/,
  /^jupyter server ready at /,
];
/** Indented lines worth keeping: bump-hubploy's order check of each current tag, and its plan. */
const INDENTED_KEEP = new RegExp(
  [
    String.raw`^ {2}[\w.-]+: (older than|the same commit as|\d+ commit\(s\) newer than|on another line of history|.*so its order is unknown)`,
    String.raw`^\s+(move|keep)\s`,
    String.raw`^\s+\d+ reference\(s\) already at `,
  ].join('|'),
);

interface Line {
  text: string;
  /** Between ::stop-commands:: and its token: output an action streamed from a program. */
  streamed: boolean;
  command: ReturnType<typeof parseWorkflowCommand>;
}

function parseLog(log: string): Line[] {
  const lines: Line[] = [];
  let stopToken: string | undefined;
  for (const raw of log.split('\n')) {
    const text = raw.replace(/\r$/, '');
    const command = parseWorkflowCommand(text);
    if (stopToken !== undefined) {
      if (command?.command === stopToken) stopToken = undefined;
      else lines.push({ text, streamed: true, command: undefined });
      continue;
    }
    if (command?.command === 'stop-commands') {
      stopToken = command.data;
      continue;
    }
    lines.push({ text, streamed: false, command });
  }
  return lines;
}

/** The short account of a step: its own lines (not what it streamed), warnings and errors, no commands. */
export function highlights(log: string): string[] {
  const picked: string[] = [];
  for (const line of parseLog(log)) {
    if (line.text.trim() === '') continue;
    if (line.streamed) {
      if (STREAMED_KEEP.some((pattern) => pattern.test(line.text.trim()))) picked.push(line.text.trim());
      continue;
    }
    if (line.command !== undefined) {
      if (!LEVELS.has(line.command.command)) continue;
      // An error says what failed and, for builds and tests, quotes the lines that show why: all of it.
      const [first = '', ...rest] = annotationLine(line.command, line.command.command === 'error').split(
        '\n',
      );
      picked.push(first, ...rest.filter((text) => text.trim() !== '').map((text) => `  ${text}`));
      continue;
    }
    if (line.text.startsWith('$ ')) continue;
    if (/^\s/.test(line.text) && !INDENTED_KEEP.test(line.text)) continue;
    picked.push(line.text.trimEnd());
  }
  return picked;
}

/** The whole log as the runner's page shows it: groups as headings, no command plumbing, no debug lines. */
export function renderLog(log: string): string[] {
  const rendered: string[] = [];
  for (const line of parseLog(log)) {
    const command = line.command;
    if (command === undefined) rendered.push(line.text);
    else if (command.command === 'group') rendered.push(`▸ ${command.data}`);
    else if (LEVELS.has(command.command)) rendered.push(annotationLine(command));
  }
  while (rendered.at(-1)?.trim() === '') rendered.pop();
  return rendered;
}

function annotationLine(
  command: NonNullable<ReturnType<typeof parseWorkflowCommand>>,
  whole = false,
): string {
  const title = command.properties['title'];
  const message = whole ? command.data.trimEnd() : (command.data.split('\n')[0] ?? '');
  return `${command.command}: ${title ? `${title}: ` : ''}${message}`;
}
