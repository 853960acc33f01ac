// Which buildpack repo2docker picks (`Repo2Docker.buildpacks`, in its order), and, for a repository without a
// Dockerfile, the small image the double builds in its place: the repository copied to REPO_DIR by the engine, which
// applies the ignore files repo2docker reads, plus a `jupyter` stub and a record of the request.
import { Buffer } from 'node:buffer';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Uncaught } from './engine.mjs';

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `BuildPack.binder_dir`: `.binder` or `binder` when present (both is an error), else ''. */
export function binderDir(root) {
  const hasBinder = isDir(join(root, 'binder'));
  const hasDotBinder = isDir(join(root, '.binder'));
  if (hasBinder && hasDotBinder) {
    throw new Uncaught(
      'RuntimeError',
      "The repository contains both a 'binder' and a '.binder' directory. However they are exclusive.",
    );
  }
  return hasDotBinder ? '.binder' : hasBinder ? 'binder' : '';
}

/** The buildpack repo2docker would pick in `root`, by the `detect()` rules of each, in their order. */
export function pickBuildpack(root) {
  const binder = binderDir(root);
  const has = (name) => existsSync(join(root, binder, name));
  const runtime = has('runtime.txt') ? readFileSync(join(root, binder, 'runtime.txt'), 'utf8').trim() : '';
  if (has('Dockerfile')) return { name: 'DockerBuildPack', binder, dockerfile: join(binder, 'Dockerfile') };
  if (has('Project.toml') || has('JuliaProject.toml')) return { name: 'JuliaProjectTomlBuildPack', binder };
  if (has('REQUIRE')) return { name: 'JuliaRequireBuildPack', binder };
  if (has('default.nix')) return { name: 'NixBuildPack', binder };
  if (/^r-/.test(runtime) || (binder === '' && has('DESCRIPTION'))) return { name: 'RBuildPack', binder };
  if (has('environment.yml')) return { name: 'CondaBuildPack', binder };
  if (has('Pipfile') || has('Pipfile.lock')) return { name: 'PipfileBuildPack', binder };
  return { name: 'PythonBuildPack', binder };
}

/**
 * The ignore patterns repo2docker applies to the repository it copies into a generated image: the lines of
 * `.dockerignore` then `.containerignore`, read from the binder folder when there is one, stripped, without blank
 * lines and comments (`BuildPack.build`). The double hands them to the engine as the Dockerfile's own ignore file.
 */
export function ignoreLines(root, binder) {
  const lines = [];
  for (const name of ['.dockerignore', '.containerignore']) {
    const path = join(root, binder, name);
    if (!existsSync(path)) continue;
    for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
      const cleaned = line.trim();
      if (cleaned !== '' && !cleaned.startsWith('#')) lines.push(cleaned);
    }
  }
  return lines;
}

const STUB = join(dirname(fileURLToPath(import.meta.url)), 'jupyter-stub.py');

/**
 * The conda packages an environment.yml pins (`- name=version`, `- name==version`), as the records repo2docker's
 * image would hold in `conda-meta/` for them: the double installs nothing, but its image says what the real one would
 * have (the pinned packages, not their dependencies), so a package diff shows what the file changed.
 */
export function condaRecords(root, binder) {
  const path = join(root, binder, 'environment.yml');
  if (!existsSync(path)) return [];
  const records = [];
  let inDependencies = false;
  let indent;
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    if (/^\S/.test(line)) {
      inDependencies = /^dependencies\s*:/.test(line);
      indent = undefined;
    }
    const item = inDependencies ? /^(\s+)-\s+(.*)$/.exec(line) : null;
    if (item === null) continue;
    indent ??= item[1];
    // A deeper item belongs to a sub-list (`- pip:`), which conda does not install.
    const match =
      item[1] === indent ? /^([A-Za-z0-9_.-]+)\s*==?\s*([A-Za-z0-9_.!+-]+)\s*(?:#.*)?$/.exec(item[2]) : null;
    if (match) {
      records.push({
        name: match[1].toLowerCase(),
        version: match[2],
        build: 'double_0',
        build_number: 0,
        channel: 'https://conda.anaconda.org/conda-forge/linux-64',
        subdir: 'linux-64',
        files: [],
      });
    }
  }
  return records;
}

/** A file written by a RUN step, so the build needs nothing beside the repository in its context. */
function writeFileStep(path, content, mode) {
  const encoded = Buffer.from(content).toString('base64');
  return `RUN echo '${encoded}' | base64 -d > ${path} && chmod ${mode} ${path}`;
}

/**
 * The Dockerfile the double builds for a repository without one. The environment steps come first, so that a
 * change to the repository's files rebuilds only from the COPY on, as in repo2docker's images.
 */
/** Where repo2docker's conda environment for the notebook lives. */
const CONDA_META = '/srv/conda/envs/notebook/conda-meta';

export function renderDockerfile({ baseImage, userId, appendix, request, conda = [] }) {
  return `# repo2docker test double: a small image in place of ${request.buildpack}'s (no conda, no pip)
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
${writeFileStep('/usr/local/bin/jupyter', readFileSync(STUB), '755')}
${conda.length === 0 ? '' : `RUN mkdir -p ${CONDA_META}\n`}${conda
    .map((r) =>
      writeFileStep(`${CONDA_META}/${r.name}-${r.version}-${r.build}.json`, JSON.stringify(r), '644'),
    )
    .join('\n')}

COPY --chown=${userId}:${userId} . \${REPO_DIR}/
${writeFileStep('/etc/repo2docker-double.json', `${JSON.stringify(request, null, 2)}\n`, '644')}

USER ${userId}
WORKDIR \${REPO_DIR}
CMD ["jupyter", "notebook", "--ip", "0.0.0.0"]
${appendix ? `\n# Appendix:\n${appendix}\n` : ''}
# Ensure that the final user is the notebook user
USER ${userId}
`;
}
