// What to build: the buildpack repo2docker would pick, and, for non-Dockerfile repos, a small build context
// (a hidden temp dir, never inside the user's repo) whose image records the request.
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  chmodSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IgnoreMatcher, readIgnorePatterns } from './ignore.mjs';

/** A repository repo2docker refuses to build (it raises a RuntimeError). */
export class RepoError extends Error {}

export const CONFIG_FILES = [
  'environment.yml',
  'requirements.txt',
  'apt.txt',
  'postBuild',
  'start',
  'runtime.txt',
  'install.R',
  'DESCRIPTION',
  'Project.toml',
  'REQUIRE',
  'Pipfile',
  'Pipfile.lock',
  'setup.py',
  'default.nix',
];

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `binder/` or `.binder/` (relative to `root`), '' for neither; both is an error, as in repo2docker. */
export function binderDir(root) {
  const hasBinder = isDir(join(root, 'binder'));
  const hasDotBinder = isDir(join(root, '.binder'));
  if (hasBinder && hasDotBinder) {
    throw new RepoError(
      "The repository contains both a 'binder' and a '.binder' directory. However they are exclusive.",
    );
  }
  return hasDotBinder ? '.binder' : hasBinder ? 'binder' : '';
}

/** The buildpack repo2docker would pick, by the files present. */
export function detectBuild(root) {
  const binder = binderDir(root);
  const rel = (name) => (binder === '' ? name : `${binder}/${name}`);
  const configFiles = CONFIG_FILES.map(rel).filter((path) => isFile(join(root, path)));
  const dockerfile = rel('Dockerfile');
  if (isFile(join(root, dockerfile))) {
    return { buildpack: 'DockerBuildPack', binderDir: binder, dockerfile, configFiles };
  }
  const has = (name) => configFiles.includes(rel(name));
  const buildpack =
    has('install.R') || has('DESCRIPTION')
      ? 'RBuildPack'
      : has('environment.yml')
        ? 'CondaBuildPack'
        : has('Pipfile') || has('Pipfile.lock')
          ? 'PipfileBuildPack'
          : 'PythonBuildPack';
  return { buildpack, binderDir: binder, dockerfile: undefined, configFiles };
}

/** Copies `source` into `target` leaving out what .dockerignore / .containerignore exclude. */
export function copyRepo(source, target) {
  const matcher = new IgnoreMatcher(readIgnorePatterns(source));
  mkdirSync(target, { recursive: true });
  const walk = (rel) => {
    const from = rel === '' ? source : join(source, rel);
    for (const name of readdirSync(from).sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const childFrom = join(source, childRel);
      const childTo = join(target, childRel);
      const ignored = matcher.ignores(childRel);
      const stats = lstatSync(childFrom);
      if (stats.isDirectory()) {
        if (ignored && !matcher.hasExclusions) continue;
        if (!ignored) mkdirSync(childTo, { recursive: true, mode: stats.mode & 0o7777 });
        walk(childRel);
      } else if (!ignored && (stats.isFile() || stats.isSymbolicLink())) {
        mkdirSync(dirname(childTo), { recursive: true });
        if (stats.isSymbolicLink()) symlinkSync(readlinkSync(childFrom), childTo);
        else {
          copyFileSync(childFrom, childTo);
          chmodSync(childTo, stats.mode & 0o7777);
        }
      }
    }
  };
  walk('');
}

const STUB = join(dirname(fileURLToPath(import.meta.url)), 'jupyter-stub.py');

function labelLines(labels) {
  return [...labels]
    .map(([key, value]) => `LABEL ${JSON.stringify(key)}=${JSON.stringify(value)}`)
    .join('\n');
}

/** The Dockerfile the double builds for a repo without one. */
export function renderDockerfile({ baseImage, userId, labels, appendix }) {
  return `# repo2docker test double: a small image that records the build request (no conda, no pip).
FROM ${baseImage}

ARG NB_USER
ARG NB_UID
ENV USER=\${NB_USER} \\
    NB_UID=\${NB_UID} \\
    HOME=/home/\${NB_USER}

RUN groupadd --gid "\${NB_UID}" "\${NB_USER}" && \\
    useradd --comment "Default user" --create-home --gid "\${NB_UID}" --no-log-init --shell /bin/bash \\
        --uid "\${NB_UID}" "\${NB_USER}"

ARG REPO_DIR=\${HOME}
ENV REPO_DIR=\${REPO_DIR}
RUN mkdir -p "\${REPO_DIR}" && chown "\${NB_UID}:\${NB_UID}" "\${REPO_DIR}"

COPY repo2docker-double/jupyter /usr/local/bin/jupyter
COPY repo2docker-double/request.json /etc/repo2docker-double.json
COPY --chown=${userId}:${userId} src/ \${REPO_DIR}/

${labelLines(labels)}

USER ${userId}
WORKDIR \${REPO_DIR}
CMD ["jupyter", "notebook", "--ip", "0.0.0.0"]
${appendix ? `\n# Appendix:\n${appendix}\n` : ''}
# Ensure that the final user is the notebook user
USER ${userId}
`;
}

/** Writes the hidden build context: src/ (the filtered repo), the jupyter stub, the request, the Dockerfile. */
export function writeBuildContext(repoRoot, dockerfile, request) {
  const dir = mkdtempSync(join(tmpdir(), '.repo2docker-double-context-'));
  copyRepo(repoRoot, join(dir, 'src'));
  mkdirSync(join(dir, 'repo2docker-double'));
  writeFileSync(join(dir, 'repo2docker-double', 'jupyter'), readFileSync(STUB), { mode: 0o755 });
  chmodSync(join(dir, 'repo2docker-double', 'jupyter'), 0o755);
  writeFileSync(join(dir, 'repo2docker-double', 'request.json'), `${JSON.stringify(request, null, 2)}\n`);
  writeFileSync(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}
