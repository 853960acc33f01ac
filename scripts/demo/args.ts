// The demo's command line.

export interface DemoOptions {
  reset: boolean;
  change: boolean;
  verbose: boolean;
  /** Undefined: `.demo/` in the repository. */
  stateDir: string | undefined;
  help: boolean;
}

export const USAGE = `Usage: bash scripts/demo.sh [--change] [--reset] [--verbose] [--state-dir DIR]

Runs the main workflow (.github/workflows/image-main.yml, called by templates/image-repo's caller workflow) on this
machine: the template's image repo is built (or reused), tested, pushed to a local registry standing in for Google
Artifact Registry, and a bump pull request is opened in a local deployment repo, through the fake GitHub API.
State is kept between runs, so a second run shows the reuse path and an unchanged pull request.

  --change        first merge a change to environment.yml in the image repo: a rebuild with cache, an updated PR
  --reset         start over: delete the state (registry, repos, pull requests) and the demo's local images
  --verbose       print every step's full log (they are also saved under the state directory)
  --state-dir DIR keep the state in DIR (default: .demo/ in the repository)
  --help          this text`;

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[]): DemoOptions {
  const options: DemoOptions = {
    reset: false,
    change: false,
    verbose: false,
    stateDir: undefined,
    help: false,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    switch (flag) {
      case '--reset':
      case '--change':
      case '--verbose':
      case '--help':
      case '-h':
        if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
        if (flag === '--reset') options.reset = true;
        else if (flag === '--change') options.change = true;
        else if (flag === '--verbose') options.verbose = true;
        else options.help = true;
        break;
      case '--state-dir': {
        const value = inline ?? argv[(i += 1)];
        if (value === undefined || value === '') throw new UsageError('--state-dir needs a directory');
        options.stateDir = value;
        break;
      }
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  return options;
}
