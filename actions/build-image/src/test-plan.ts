// Which test suites run, and the exact commands for them.

/** The `test` input: `auto` runs the suites the repository has, `true` also fails when it has none. */
export type TestMode = 'auto' | 'true' | 'false';

export const IMAGE_TESTS_DIR = 'image-tests';
export const BROWSER_TESTS_DIR = 'browser-tests';
export const JUPYTER_PORT = 8888;

export interface SuitePresence {
  imageTests: boolean;
  imageTestRequirements: boolean;
  browserTests: boolean;
  browserTestRequirements: boolean;
}

export interface TestSelection {
  imageTests: boolean;
  browserTests: boolean;
  /** Why nothing runs, or undefined when something does. */
  skippedBecause: string | undefined;
}

export function selectSuites(mode: TestMode, present: SuitePresence): TestSelection {
  if (mode === 'false') {
    return { imageTests: false, browserTests: false, skippedBecause: 'the "test" input is false' };
  }
  const selection = { imageTests: present.imageTests, browserTests: present.browserTests };
  if (!selection.imageTests && !selection.browserTests) {
    return {
      ...selection,
      skippedBecause: `the repository has no ${IMAGE_TESTS_DIR}/ or ${BROWSER_TESTS_DIR}/`,
    };
  }
  return { ...selection, skippedBecause: undefined };
}

/** The command run inside the image for image-tests/, unless `image-test-command` replaces it. */
export function defaultImageTestCommand(hasRequirements: boolean): string[] {
  // No pytest cache: the repository directory in the image need not be writable, and nothing is kept anyway.
  if (!hasRequirements)
    return ['python3', '-m', 'pytest', '-v', '-p', 'no:cacheprovider', `${IMAGE_TESTS_DIR}/`];
  // One container, so the installed requirements are there for pytest. The script is constant: no value is spliced in.
  return [
    'sh',
    '-c',
    `python3 -m pip install --no-cache-dir -r ${IMAGE_TESTS_DIR}/requirements.txt && exec python3 -m pytest -v -p no:cacheprovider ${IMAGE_TESTS_DIR}/`,
  ];
}

export interface ImageTestRun {
  image: string;
  containerName: string;
  userId: number;
  targetRepoDir: string;
  command: readonly string[];
}

/** `docker run` for the image tests: as the image's user, in the repository's directory inside the image. */
export function imageTestDockerArgs(run: ImageTestRun): string[] {
  return [
    'run',
    '--rm',
    '--name',
    run.containerName,
    '--user',
    String(run.userId),
    '--workdir',
    run.targetRepoDir,
    run.image,
    ...run.command,
  ];
}

export interface JupyterServerRun {
  image: string;
  containerName: string;
  /** Loopback port on the runner; 0 lets docker pick a free one. */
  hostPort: number;
}

/** `docker run` for the browser tests: jupyter lab on 8888 with an empty token, published on loopback only. */
export function jupyterServerDockerArgs(run: JupyterServerRun): string[] {
  return [
    'run',
    '--detach',
    '--name',
    run.containerName,
    '--publish',
    `127.0.0.1:${run.hostPort === 0 ? '' : run.hostPort}:${JUPYTER_PORT}`,
    run.image,
    'jupyter',
    'lab',
    '--ip=0.0.0.0',
    `--port=${JUPYTER_PORT}`,
    '--no-browser',
    '--ServerApp.token=',
  ];
}

/** `docker port` prints e.g. "127.0.0.1:49153"; the host port, or undefined. */
export function parsePublishedPort(output: string): number | undefined {
  for (const line of output.split('\n')) {
    const match = /^127\.0\.0\.1:(\d+)\s*$/.exec(line.trim());
    if (match) return Number(match[1]);
  }
  return undefined;
}

export interface BrowserTestCommands {
  /** Commands run in order on the runner; the last one is the test run. */
  steps: string[][];
}

/**
 * The default browser-test commands on the runner: with a requirements file, a virtual environment under
 * RUNNER_TEMP (runner Pythons refuse system-wide installs) that still sees the runner's own packages.
 */
export function defaultBrowserTestCommands(hasRequirements: boolean, venvDir: string): BrowserTestCommands {
  if (!hasRequirements) return { steps: [['python3', '-m', 'pytest', '-v', `${BROWSER_TESTS_DIR}/`]] };
  const python = `${venvDir}/bin/python`;
  return {
    steps: [
      ['python3', '-m', 'venv', '--system-site-packages', venvDir],
      [
        python,
        '-m',
        'pip',
        'install',
        '--disable-pip-version-check',
        '-r',
        `${BROWSER_TESTS_DIR}/requirements.txt`,
      ],
      [python, '-m', 'pytest', '-v', `${BROWSER_TESTS_DIR}/`],
    ],
  };
}
