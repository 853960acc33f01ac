import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  canonicalImage,
  deployedUses,
  fileRole,
  findFleetUses,
  imageNamesIn,
  scanFile,
  selectFiles,
  slotKey,
} from '../src/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'deployment-repo');
const HOST = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images';

function listFiles(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix)).flatMap((name) => {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    return statSync(join(root, path)).isDirectory() ? listFiles(root, path) : [path];
  });
}

const fixture = () =>
  selectFiles(listFiles(repo), {
    include: ['deployments/*/config/*.yaml', 'deployments/*/hubploy.yaml'],
    exclude: ['deployments/template/**'],
  }).map((path) => scanFile(path, readFileSync(join(repo, path))));

const scan = (files: Record<string, string>) =>
  Object.entries(files).map(([path, text]) => scanFile(path, text));

describe('every image of the fixture deployment repo', () => {
  const search = findFleetUses(fixture(), (image) => image.startsWith('us-central1-docker.pkg.dev/'));

  it('is found, each with the references a bump of it would find', () => {
    expect([...search.images.keys()]).toEqual([
      `${HOST}/base-user-image`,
      `${HOST}/base-user-image-gpu`,
      `${HOST}/rstudio-user-image`,
      `${HOST}/workshop-user-image`,
    ]);
    expect(search.images.get(`${HOST}/base-user-image`)?.map((use) => `${use.file}:${use.line}`)).toContain(
      'deployments/astro/config/staging.yaml:5',
    );
    expect(search.images.get(`${HOST}/rstudio-user-image`)?.map((use) => `${use.hub} ${use.tag}`)).toEqual([
      'datasci 0be26ba905cb',
    ]);
    expect(search.unsafe).toEqual([]);
    expect(search.unreadable).toEqual([]);
  });

  it('deploys to staging what common.yaml and staging.yaml say together', () => {
    const staging = deployedUses(search.images.get(`${HOST}/base-user-image`) ?? [], 'staging');
    const astro = staging.find((deployed) => deployed.hub === 'astro');
    expect(astro?.use.tag).toBe('6adfc68c7100');
    expect(astro?.overrides?.tag).toBe('8b48b4867330');
    const prod = deployedUses(search.images.get(`${HOST}/base-user-image`) ?? [], 'prod');
    expect(prod.find((deployed) => deployed.hub === 'astro')?.use.tag).toBe('8b48b4867330');
    // The legacy hubploy.yaml stanzas deploy nothing.
    expect(staging.map((deployed) => deployed.hub).sort()).toEqual([
      'already',
      'astro',
      'biology',
      'datasci',
      'dev',
      'newhub',
      'quoted',
      'stats',
      'windows',
    ]);
  });
});

describe('imageNamesIn', () => {
  it('keeps names that are image names, whatever their case of host, once', () => {
    const files = scan({
      'a.yaml': 'env:\n  - name: NOTEBOOK_DIR\n    value: x\nimage:\n  name: REG.example/p/img\n  tag: a\n',
      'b.yaml': 'image: reg.example/p/img:b\nsidecar: {name: busybox, tag: "1"}\n',
    });
    expect(imageNamesIn(files)).toEqual(['busybox', 'reg.example/p/img']);
  });
});

describe('canonicalImage', () => {
  it.each([
    ['US-Central1-Docker.pkg.dev/p/r/img', 'us-central1-docker.pkg.dev/p/r/img'],
    ['busybox', 'busybox'],
    ['Not An Image', 'Not An Image'],
  ])('%s → %s', (name, canonical) => {
    expect(canonicalImage(name)).toBe(canonical);
  });
});

describe('which file a deployment of one environment reads', () => {
  it.each([
    ['deployments/h/config/common.yaml', ['image', 'tag'], 'base'],
    ['deployments/h/config/staging.yaml', ['image', 'tag'], 'environment'],
    ['deployments/h/config/prod.yml', ['image', 'tag'], 'other-environment'],
    ['deployments/h/hubploy.yaml', ['images', 'image_name'], 'legacy'],
    ['deployments/h/hubploy.yaml', ['cluster', 'image'], 'base'],
    ['deployments/h/values.yaml', ['image', 'tag'], 'base'],
  ])('%s (%j) is %s for staging', (file, path, role) => {
    expect(fileRole({ file, path }, 'staging')).toBe(role);
  });

  it('keys a reference by the place of its image in the values', () => {
    expect(slotKey({ kind: 'name-and-tag', path: ['jupyterhub', 'singleuser', 'image', 'tag'] })).toBe(
      'jupyterhub.singleuser.image',
    );
    expect(slotKey({ kind: 'inline', path: ['profileList', 1, 'kubespawner_override', 'image'] })).toBe(
      'profileList[1].kubespawner_override.image',
    );
  });

  it('never lets another environment override, and keeps a base reference no environment overrides', () => {
    const files = scan({
      'deployments/h/config/common.yaml':
        'image:\n  name: reg.example/p/img\n  tag: base\nextra: reg.example/p/img:side\n',
      'deployments/h/config/prod.yaml': 'image:\n  tag: prod-only\n',
    });
    const uses = findFleetUses(files, () => true).images.get('reg.example/p/img') ?? [];
    expect(deployedUses(uses, 'staging').map((d) => `${d.key}=${d.use.tag}`)).toEqual([
      'image=base',
      'extra=side',
    ]);
    expect(deployedUses(uses, 'prod').map((d) => `${d.key}=${d.use.tag}`)).toEqual([
      'image=prod-only',
      'extra=side',
    ]);
  });

  it('lists a file that does not parse once, not once per image', () => {
    const files = scan({
      'deployments/h/config/common.yaml': 'image:\n  name: reg.example/p/a\n  tag: x\n',
      'deployments/h/config/staging.yaml': 'image: [unclosed\n',
      'deployments/g/config/common.yaml': 'image: reg.example/p/b:y\n',
    });
    const search = findFleetUses(files, () => true);
    expect(search.unreadable.map((problem) => problem.file)).toEqual(['deployments/h/config/staging.yaml']);
    expect(search.unsafe).toEqual([]);
  });
});
