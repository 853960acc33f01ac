import { describe, expect, it } from '@jest/globals';
import {
  condaChannel,
  condaFileName,
  distDirName,
  metadataKind,
  normalizePath,
  parseDcf,
  parseDpkgStatus,
  parseJuliaVersionHeader,
  parsePyvenvVersion,
  parseRDescription,
} from '../src/index.js';
import { fixture } from './layers.js';

describe('parseDcf', () => {
  it('reads stanzas, continuation lines and the first of repeated fields, and counts bad lines', () => {
    const { stanzas, badLines } = parseDcf(
      'Package: a\nDescription: one\n two\n\tthree\nClassifier: x\nClassifier: y\n\n\n  orphan\nno colon here\nPackage: b\r\nVersion: 1\r\n',
    );
    expect(stanzas.map((s) => Object.fromEntries(s))).toEqual([
      { package: 'a', description: 'one\ntwo\nthree', classifier: 'x' },
      { package: 'b', version: '1' },
    ]);
    expect(badLines).toEqual([9, 10]);
  });

  it("reads this machine's real dpkg status excerpt", () => {
    const { packages, badLines } = parseDpkgStatus(fixture('dpkg-status').toString());
    expect(badLines).toEqual([]);
    expect(packages).toHaveLength(25);
    expect(packages.every((p) => p.name !== '' && p.version !== '' && p.architecture !== '')).toBe(true);
  });

  it.each([
    ['install ok installed', true],
    ['hold ok installed', true],
    ['deinstall ok config-files', false],
    ['install ok half-installed', false],
    ['install reinstreq half-installed', false],
    ['purge ok not-installed', false],
  ])('dpkg status %j counts as installed: %s', (status, installed) => {
    const { packages } = parseDpkgStatus(`Package: p\nStatus: ${status}\nVersion: 1\nArchitecture: amd64\n`);
    expect(packages.length === 1).toBe(installed);
  });
});

describe('small metadata parsers', () => {
  it.each([
    ['https://conda.anaconda.org/conda-forge/linux-64', 'conda-forge'],
    ['https://conda.anaconda.org/conda-forge/noarch/numpy-1.0-0.conda', 'conda-forge'],
    ['https://repo.anaconda.com/pkgs/main/linux-64', 'pkgs/main'],
    ['conda-forge', 'conda-forge'],
    ['https://conda.anaconda.org/t/tk-secret/private/linux-64', 'private'],
    ['https://user:pass@conda.example.org/internal/linux-64', 'https://conda.example.org/internal'],
  ])('condaChannel(%j) is %j', (input, channel) => {
    expect(condaChannel(input)).toBe(channel);
  });

  it.each([
    [
      'python-3.11.8-hab00c5b_0_cpython.json',
      { name: 'python', version: '3.11.8', build: 'hab00c5b_0_cpython' },
    ],
    ['r-base-4.4.1-h1234_0.json', { name: 'r-base', version: '4.4.1', build: 'h1234_0' }],
    ['broken.json', undefined],
  ])('condaFileName(%j)', (name, expected) => {
    expect(condaFileName(name)).toEqual(expected);
  });

  it.each([
    ['numpy-1.26.4.dist-info', { name: 'numpy', version: '1.26.4' }],
    ['typing_extensions-4.12.2.dist-info', { name: 'typing-extensions', version: '4.12.2' }],
    ['Jinja2-3.1.2.egg-info', { name: 'Jinja2', version: '3.1.2' }],
    ['zope.interface-5.5.2-py3.11.egg-info', { name: 'zope.interface', version: '5.5.2' }],
    ['odd.dist-info', undefined],
  ])('distDirName(%j)', (dir, expected) => {
    expect(distDirName(dir)).toEqual(expected);
  });

  it('reads an installed R DESCRIPTION and tells a source one apart', () => {
    expect(parseRDescription(fixture('DESCRIPTION-ggplot2').toString())).toEqual({
      ok: true,
      value: { name: 'ggplot2', version: '3.5.1', built: true },
    });
    expect(parseRDescription(fixture('DESCRIPTION-source').toString())).toMatchObject({
      value: { built: false },
    });
    expect(parseRDescription('Title: nothing\n')).toEqual({
      ok: false,
      problem: 'no "Package:" and "Version:" fields',
    });
  });

  it('reads pyvenv.cfg and julia_version.h', () => {
    expect(parsePyvenvVersion(fixture('pyvenv.cfg').toString())).toBe('3.11.2');
    expect(parsePyvenvVersion('home = /usr/bin\nversion_info = 3.12.1.final.0\n')).toBe('3.12.1');
    expect(parsePyvenvVersion('home = /usr/bin\n')).toBeUndefined();
    expect(parseJuliaVersionHeader(fixture('julia_version.h').toString())).toBe('1.10.4');
  });

  it.each([
    ['./srv/conda/conda-meta/numpy-1.26.4-py311_0.json', 'conda-meta'],
    ['/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA', 'dist-info'],
    ['/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/RECORD', undefined],
    ['/usr/lib/python3/dist-packages/py/_vendored_packages/apipkg-2.0.0.dist-info/METADATA', undefined],
    ['/usr/lib/python3/dist-packages/six-1.16.0.egg-info', 'egg-info'],
    ['/var/lib/dpkg/status', 'dpkg-status'],
    ['/var/lib/dpkg/status-old', undefined],
    ['/var/lib/dpkg/status.d/base-files', 'dpkg-status'],
    ['/var/lib/dpkg/status.d/base-files.md5sums', undefined],
    ['/usr/local/lib/R/site-library/ggplot2/DESCRIPTION', 'r-description'],
    ['/home/jovyan/R/x86_64-pc-linux-gnu-library/4.4/cli/DESCRIPTION', 'r-description'],
    ['/srv/julia/include/julia/julia_version.h', 'julia-version'],
    [
      '/opt/conda/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/package.json',
      'labextension',
    ],
    ['/opt/conda/share/jupyter/labextensions/jupyterlab-plotly/package.json', 'labextension'],
    ['/opt/conda/share/jupyter/labextensions/jupyterlab-plotly/static/package.json', undefined],
  ])('%s is %s', (path, kind) => {
    expect(metadataKind(normalizePath(path))).toBe(kind);
  });
});
