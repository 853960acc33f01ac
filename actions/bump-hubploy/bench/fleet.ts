// A synthetic deployment repo the size of a large fleet: every hub with a commented common.yaml (profile list
// included), a staging override, a prod file, and a legacy hubploy.yaml for every fifth hub.

import { median } from '@hub-image-actions/local-world/stats';

export const REGISTRY = 'us-central1-docker.pkg.dev/cal-icor-hubs/user-images';
export const IMAGE = `${REGISTRY}/base-user-image`;

function commonYaml(hub: string, image: string, tag: string): string {
  return `# ${hub}: JupyterHub deployment values, merged by hubploy with staging.yaml / prod.yaml.
# Owners: the ${hub} course staff. Ask in #hub-admins before changing limits.

jupyterhub:
  hub:
    config:
      Authenticator:
        admin_users:
          - ${hub}-admin   # course staff
          - fleet-admin
      JupyterHub:
        authenticator_class: generic-oauth
  proxy:
    service:
      type: ClusterIP
  singleuser:
    # The default image for this hub.
    image:
      name: ${image}
      tag: ${tag} # set by the bump workflow
    memory:
      guarantee: 512M
      limit: 2G
    cpu:
      limit: 2
    storage:
      type: static
      static:
        pvcName: home-nfs
        subPath: "{username}"
    profileList:
      - display_name: Python   # default
        default: true
        kubespawner_override:
          image: ${image}:${tag}
      - display_name: RStudio
        kubespawner_override:
          image: ${REGISTRY}/rstudio-user-image:0be26ba905cb
          default_url: /rstudio
      - display_name: GPU
        kubespawner_override:
          image: ${image}-gpu:${tag}
          extra_resource_limits:
            nvidia.com/gpu: "1"
    extraEnv:
      NOTEBOOK_DIR: PLACEHOLDER
  cull:
    timeout: 3600
    every: 300
`;
}

export function fleet(
  hubs: number,
  options: { usingImage?: (index: number) => boolean; tag?: string } = {},
): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < hubs; i += 1) {
    const hub = `hub-${String(i).padStart(3, '0')}`;
    const uses = options.usingImage?.(i) ?? true;
    const image = uses ? IMAGE : `${REGISTRY}/workshop-user-image`;
    const tag = i % 7 === 0 ? 'PLACEHOLDER' : (options.tag ?? '8b48b4867330');
    files[`deployments/${hub}/config/common.yaml`] = commonYaml(hub, image, tag);
    files[`deployments/${hub}/config/staging.yaml`] =
      `# staging runs ahead of prod\njupyterhub:\n  singleuser:\n    image:\n      tag: ${tag}   # staging override\n  ingress:\n    hosts: [${hub}-staging.example.edu]\n`;
    files[`deployments/${hub}/config/prod.yaml`] =
      `jupyterhub:\n  ingress:\n    hosts: [${hub}.example.edu]\n`;
    if (i % 5 === 0) {
      files[`deployments/${hub}/hubploy.yaml`] =
        `images:\n  images:\n    - name: ${image}:${tag}   # legacy\ncluster:\n  provider: gcloud\n`;
    }
  }
  return files;
}

export interface Timing {
  name: string;
  samples: number[];
  targetMs: number;
}

export function table(rows: Timing[], baseline?: { name: string; samples: number[] }): string {
  const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`);
  const lines = [
    `| Benchmark | Runs | Median | Min | Max | Target | Median / target${baseline === undefined ? '' : ` | Median / ${baseline.name}`} |`,
    `| --- | --- | --- | --- | --- | --- | ---${baseline === undefined ? '' : ' | ---'} |`,
  ];
  const base = baseline === undefined ? undefined : median(baseline.samples);
  for (const row of [...rows, ...(baseline === undefined ? [] : [{ ...baseline, targetMs: Number.NaN }])]) {
    const m = median(row.samples);
    lines.push(
      `| ${row.name} | ${row.samples.length} | ${ms(m)} | ${ms(Math.min(...row.samples))} | ${ms(Math.max(...row.samples))} | ${
        Number.isNaN(row.targetMs) ? '—' : `< ${ms(row.targetMs)}`
      } | ${Number.isNaN(row.targetMs) ? '—' : (m / row.targetMs).toFixed(2)}${base === undefined ? '' : ` | ${(m / base).toFixed(1)}×`} |`,
    );
  }
  return lines.join('\n');
}

export function passes(rows: Timing[]): boolean {
  return rows.every((row) => median(row.samples) < row.targetMs);
}
