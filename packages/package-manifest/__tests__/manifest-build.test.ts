import { describe, expect, it } from '@jest/globals';
import { manifestFromLayers, parseManifest, serializeManifest, viewFromLayers } from '../src/index.js';
import { chunked, fixture, layerTar, type LayerEntry } from './layers.js';

const ENV = 'srv/conda/envs/notebook';
const SP = `${ENV}/lib/python3.11/site-packages`;

/** An image like repo2docker's: Debian packages, a conda env with pip on top, R, Julia and a lab extension. */
function baseLayer(): LayerEntry[] {
  return [
    { name: 'var/lib/dpkg/status', content: fixture('dpkg-status') },
    {
      name: `${ENV}/conda-meta/numpy-1.26.4-py311h64a7726_0.json`,
      content: fixture('numpy-1.26.4-py311h64a7726_0.json'),
    },
    {
      name: `${ENV}/conda-meta/python-3.11.8-hab00c5b_0_cpython.json`,
      content: fixture('python-3.11.8-hab00c5b_0_cpython.json'),
    },
    {
      name: `${ENV}/conda-meta/requests-2.31.0-pyhd8ed1ab_0.json`,
      content: fixture('requests-2.31.0-pyhd8ed1ab_0.json'),
    },
    { name: `${ENV}/conda-meta/history`, content: '==> 2024-05-01 <==\n' },
    // conda's own numpy: owned by its record, so not a pip package
    {
      name: `${SP}/numpy-1.26.4.dist-info/METADATA`,
      content: 'Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\n',
    },
    { name: `${SP}/numpy-1.26.4.dist-info/INSTALLER`, content: 'conda\n' },
    // pip replaced conda's requests: conda's record is stale, the dist-info is pip's
    {
      name: `${SP}/requests-2.32.3.dist-info/METADATA`,
      content: 'Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n\nlong description\n',
    },
    { name: `${SP}/requests-2.32.3.dist-info/INSTALLER`, content: 'pip\n' },
    { name: `${SP}/PyYAML-6.0.dist-info/METADATA`, content: fixture('PyYAML-6.0.dist-info/METADATA') },
    { name: `${SP}/PyYAML-6.0.dist-info/INSTALLER`, content: 'uv\n' },
    // vendored inside a package: not an installed distribution
    {
      name: `${SP}/setuptools/_vendor/packaging-24.2.dist-info/METADATA`,
      content: 'Name: packaging\nVersion: 24.2\n',
    },
    {
      name: 'usr/lib/python3/dist-packages/Jinja2-3.1.2.egg-info/PKG-INFO',
      content: fixture('Jinja2-3.1.2.egg-info/PKG-INFO'),
    },
    { name: 'usr/local/lib/R/site-library/ggplot2/DESCRIPTION', content: fixture('DESCRIPTION-ggplot2') },
    { name: 'usr/lib/R/library/base/DESCRIPTION', content: fixture('DESCRIPTION-base') },
    { name: 'usr/local/lib/R/site-library/mypkg/DESCRIPTION', content: fixture('DESCRIPTION-source') },
    { name: 'opt/julia-1.10.4/include/julia/julia_version.h', content: fixture('julia_version.h') },
    {
      name: `${ENV}/share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/package.json`,
      content: fixture('labextension-package.json'),
    },
    { name: 'opt/venv/pyvenv.cfg', content: fixture('pyvenv.cfg') },
    {
      name: 'opt/venv/lib/python3.11/site-packages/rich-13.7.1.dist-info/METADATA',
      content: 'Name: rich\nVersion: 13.7.1\n',
    },
    // the conda package cache holds the same files: not an environment
    {
      name: 'srv/conda/pkgs/numpy-1.26.4-py311h64a7726_0/lib/python3.11/site-packages/numpy-1.26.4.dist-info/METADATA',
      content: 'Name: numpy\nVersion: 1.26.4\n',
    },
  ];
}

describe('manifestFromLayers', () => {
  it('reads every kind of metadata of an image', async () => {
    const manifest = await manifestFromLayers([chunked(await layerTar(baseLayer()))]);
    expect(manifest.empty).toBe(false);
    expect(manifest.warnings).toEqual([]);
    expect(manifest.conda).toEqual([
      {
        prefix: '/srv/conda/envs/notebook',
        packages: [
          { name: 'numpy', version: '1.26.4', build: 'py311h64a7726_0', channel: 'conda-forge' },
          { name: 'python', version: '3.11.8', build: 'hab00c5b_0_cpython', channel: 'conda-forge' },
          // the token in the channel URL is gone
          { name: 'requests', version: '2.31.0', build: 'pyhd8ed1ab_0', channel: 'private-channel' },
        ],
      },
    ]);
    expect(manifest.pip).toEqual([
      {
        path: '/opt/venv/lib/python3.11/site-packages',
        pythonVersion: '3.11.2',
        packages: [{ name: 'rich', version: '13.7.1', installer: '' }],
      },
      {
        path: '/srv/conda/envs/notebook/lib/python3.11/site-packages',
        pythonVersion: '3.11.8',
        packages: [
          { name: 'PyYAML', version: '6.0', installer: 'uv' },
          { name: 'requests', version: '2.32.3', installer: 'pip', overConda: true },
        ],
      },
      {
        path: '/usr/lib/python3/dist-packages',
        pythonVersion: '3',
        packages: [{ name: 'Jinja2', version: '3.1.2', installer: '' }],
      },
    ]);
    expect(manifest.dpkg).toHaveLength(25);
    expect(manifest.dpkg[0]).toEqual({ name: 'adduser', version: '3.134', architecture: 'all' });
    expect(manifest.r).toEqual([
      { path: '/usr/lib/R/library', packages: [{ name: 'base', version: '4.4.1' }] },
      { path: '/usr/local/lib/R/site-library', packages: [{ name: 'ggplot2', version: '3.5.1' }] },
    ]);
    expect(manifest.jupyterlabExtensions).toEqual([
      {
        path: '/srv/conda/envs/notebook/share/jupyter/labextensions',
        extensions: [{ name: '@jupyter-widgets/jupyterlab-manager', version: '5.0.11' }],
      },
    ]);
    expect(manifest.runtimes).toEqual([
      { name: 'julia', version: '1.10.4', location: '/opt/julia-1.10.4' },
      { name: 'python', version: '3.11.2', location: '/opt/venv' },
      { name: 'python', version: '3.11.8', location: '/srv/conda/envs/notebook' },
      { name: 'python', version: '3', location: '/usr' },
      { name: 'r', version: '4.4.1', location: '/usr/lib/R' },
    ]);
    expect(serializeManifest(manifest)).not.toContain('tk-0123456789abcdef');
    expect(parseManifest(serializeManifest(manifest))).toEqual(manifest);
  });

  it('applies whiteouts and opaque directories of upper layers, in order', async () => {
    const upper = await layerTar([
      { name: `${SP}/.wh.PyYAML-6.0.dist-info`, content: '' },
      { name: `${SP}/PyYAML-6.0.1.dist-info/METADATA`, content: 'Name: PyYAML\nVersion: 6.0.1\n' },
      { name: `${ENV}/conda-meta/.wh..wh..opq`, content: '' },
      {
        name: `${ENV}/conda-meta/python-3.12.3-hab00c5b_0_cpython.json`,
        content: '{"name":"python","version":"3.12.3","build":"hab00c5b_0_cpython","channel":"conda-forge"}',
      },
      { name: 'usr/local/lib/R/.wh.site-library', content: '' },
    ]);
    const manifest = await manifestFromLayers([chunked(await layerTar(baseLayer())), chunked(upper)]);
    expect(manifest.conda[0]?.packages.map((p) => `${p.name} ${p.version}`)).toEqual(['python 3.12.3']);
    const conda = manifest.pip.find((env) => env.path.startsWith('/srv'));
    expect(conda?.packages.map((p) => `${p.name} ${p.version}`)).toEqual(['PyYAML 6.0.1', 'requests 2.32.3']);
    expect(manifest.r.map((library) => library.path)).toEqual(['/usr/lib/R/library']);
  });

  it('reads gzip-compressed layers and hard links to metadata in the same layer', async () => {
    const layer = await layerTar(
      [
        {
          name: 'srv/conda/pkgs/rich-13.7.1-pyhd8ed1ab_0/lib/python3.11/site-packages/rich-13.7.1.dist-info/METADATA',
          content: 'Name: rich\nVersion: 13.7.1\n',
        },
        {
          name: `${SP}/rich-13.7.1.dist-info/METADATA`,
          link: 'srv/conda/pkgs/rich-13.7.1-pyhd8ed1ab_0/lib/python3.11/site-packages/rich-13.7.1.dist-info/METADATA',
        },
        { name: 'usr/bin/python3', symlink: 'python3.11' },
      ],
      { gzip: true },
    );
    const manifest = await manifestFromLayers([chunked(layer)]);
    expect(manifest.pip).toEqual([
      {
        path: `/${SP}`,
        pythonVersion: '3.11',
        packages: [{ name: 'rich', version: '13.7.1', installer: '' }],
      },
    ]);
  });

  it('skips corrupt files and names each one in a warning', async () => {
    const layer = await layerTar([
      { name: `${ENV}/conda-meta/broken-1.0-0.json`, content: '{"name": "broken", "vers' },
      { name: `${ENV}/conda-meta/array-1.0-0.json`, content: '[1, 2]' },
      { name: `${SP}/nameless-1.0.dist-info/METADATA`, content: 'Metadata-Version: 2.1\nSummary: no name\n' },
      { name: `${SP}/headless-2.0.dist-info/INSTALLER`, content: 'pip\n' },
      { name: 'share/jupyter/labextensions/bad/package.json', content: '{' },
      {
        name: 'var/lib/dpkg/status',
        content:
          'Package: ok\nStatus: install ok installed\nVersion: 1\nthis line is garbage\n\nPackage: removed\nStatus: deinstall ok config-files\nVersion: 2\n\nPackage: held\nStatus: hold ok installed\nVersion: 3\nArchitecture: amd64\n',
      },
    ]);
    const manifest = await manifestFromLayers([chunked(layer)]);
    expect(manifest.warnings).toEqual([
      expect.stringMatching(
        /^\/srv\/conda\/envs\/notebook\/conda-meta\/array-1\.0-0\.json: not a JSON object; skipped$/,
      ),
      expect.stringMatching(
        /^\/srv\/conda\/envs\/notebook\/conda-meta\/broken-1\.0-0\.json: not valid JSON .*; skipped$/,
      ),
      '/var/lib/dpkg/status: 1 malformed lines (first: line 4) ignored',
      `/${SP}/headless-2.0.dist-info: no METADATA; name and version taken from the folder name`,
      `/${SP}/nameless-1.0.dist-info/METADATA: no "Name:" and "Version:" header; skipped`,
      "/share/jupyter/labextensions/bad/package.json: not valid JSON (Expected property name or '}' in JSON at position 1 (line 1 column 2)); skipped",
    ]);
    expect(manifest.dpkg).toEqual([
      { name: 'held', version: '3', architecture: 'amd64' },
      { name: 'ok', version: '1', architecture: '' },
    ]);
    expect(manifest.pip[0]?.packages).toEqual([
      { name: 'headless', version: '2.0', installer: 'pip' },
      { name: 'nameless', version: '1.0', installer: '' },
    ]);
  });

  it('gives an empty manifest that says so for an image without package metadata', async () => {
    const manifest = await manifestFromLayers([
      chunked(await layerTar([{ name: 'bin/busybox', content: 'ELF' }])),
    ]);
    expect(manifest).toMatchObject({ empty: true, conda: [], pip: [], dpkg: [], r: [], runtimes: [] });
    expect(manifest.warnings).toEqual([
      'no package metadata found (no conda, Python, dpkg, R or JupyterLab metadata files)',
    ]);
  });

  it('keeps memory bounded: a file over its cap and files over the total budget are cut and named', async () => {
    const big = `${'Package: x\nStatus: install ok installed\nVersion: 1\n\n'.repeat(40)}`;
    const view = await viewFromLayers([chunked(await layerTar(baseLayer()))], {
      maxTotalBytes: 6000,
      fileCaps: { 'dpkg-status': 1000 },
    });
    expect(view.files.get('/var/lib/dpkg/status')?.content.length).toBe(1000);
    expect(view.files.get('/var/lib/dpkg/status')?.problem).toBe('cut at 1000 B of 23.0 KiB');
    expect(view.warnings).toEqual([
      expect.stringMatching(
        /^[0-9]+ metadata files \([0-9.]+ (B|KiB)\) were not read: over the 5\.9 KiB budget$/,
      ),
    ]);
    const retained = [...view.files.values()].reduce((sum, file) => sum + file.content.length, 0);
    expect(retained).toBeLessThanOrEqual(6000);
    const cut = await manifestFromLayers(
      [chunked(await layerTar([{ name: 'var/lib/dpkg/status', content: big }]))],
      {
        maxTotalBytes: 1e6,
        fileCaps: { 'dpkg-status': 100 },
      },
    );
    expect(cut.warnings).toEqual([
      `/var/lib/dpkg/status: cut at 100 B of ${big.length >= 1024 ? `${(big.length / 1024).toFixed(1)} KiB` : `${big.length} B`}; read what was kept`,
    ]);
  });

  it('keeps only the header of a METADATA file and the top-level fields of a conda record', async () => {
    const view = await viewFromLayers([chunked(await layerTar(baseLayer()))]);
    const record = JSON.parse(
      view.files.get(`/${ENV}/conda-meta/numpy-1.26.4-py311h64a7726_0.json`)!.content.toString(),
    );
    expect(Object.keys(record)).not.toContain('paths_data');
    expect(record.files).toEqual(['lib/python3.11/site-packages/numpy-1.26.4.dist-info/METADATA']);
    expect(view.files.get(`/${SP}/requests-2.32.3.dist-info/METADATA`)?.content.toString()).toBe(
      'Metadata-Version: 2.1\nName: requests\nVersion: 2.32.3\n',
    );
  });
});
