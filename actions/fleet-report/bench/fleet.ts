// The fleet report of a large fleet, with the bundled action (dist/index.js) against the harness git server, fake
// GitHub API and registry on loopback: 200 hubs, 30 images, 2 branches, 5,000 registry tags in all; side by side
// with it (one run of each in turn), twice the hubs and a third of the images; then twice the tags. That shows what
// the cost grows with. The registry is reached through a counting proxy, so each row also says how many registry
// requests a run made.
// Run: pnpm --filter @hub-image-actions/fleet-report run bench
import { cleanupRun, runAction } from '@hub-image-actions/local-world/action-runner';
import { FakeGitHub } from '@hub-image-actions/local-world/fake-github';
import { FaultProxy } from '@hub-image-actions/local-world/fault-proxy';
import { GitServer } from '@hub-image-actions/local-world/git-server';
import { TestRegistry } from '@hub-image-actions/local-world/registry';
import { seedTags } from '@hub-image-actions/local-world/registry-seed';
import { median } from '@hub-image-actions/local-world/stats';

const RUNS = 5;
const TARGET_MS = 10_000;
const IMAGES = 30;
const COMMITS = 20;
/** Commits of each image repo with an image: the newest ones have none yet. */
const PUSHED = 15;
const TOKEN = 'ghp_FleetBench0123456789abcdefABCDEF0123';
const REGISTRY_TOKEN = 'ya29.FleetBenchRegistryToken';

const git = await GitServer.start();
const github = await FakeGitHub.start({ git });
const registry = await TestRegistry.start({ users: { oauth2accesstoken: REGISTRY_TOKEN } });
const proxy = await FaultProxy.start(registry.url);
github.addToken(TOKEN, { permissions: { contents: 'read', pull_requests: 'read', issues: 'write' } });
git.addToken(TOKEN, { push: false });

const imageName = (index: number) => `${proxy.host}/bench/user-images/img-${String(index).padStart(2, '0')}`;
const hex = (seed: number, length = 12) => {
  let out = '';
  for (let x = seed * 2654435761; out.length < length; x = (x * 1103515245 + 12345) % 2 ** 31) {
    out += (x % 16).toString(16);
  }
  return out;
};

const filler = (image: number, f: number) =>
  f % 3 === 0
    ? `inputs-${hex(image * 100_000 + f, 16)}`
    : f % 3 === 1
      ? `pr-${f}-${hex(f)}`
      : hex(image * 100_000 + f + 7);

/** Image repos with real commits; the first PUSHED commits of each get images, plus filler tags up to `perImage`. */
async function seedImages(perImage: number): Promise<string[][]> {
  const commits: string[][] = [];
  for (let index = 0; index < IMAGES; index += 1) {
    const repo = `bench/img-${String(index).padStart(2, '0')}`;
    await git.createRepo(repo, { files: { 'environment.yml': 'dependencies: []\n' } });
    const shas: string[] = [];
    for (let c = 1; c <= COMMITS; c += 1) {
      shas.push(
        await git.commit(repo, 'main', { 'environment.yml': `dependencies: [pkg${c}]\n` }, `Change ${c}`),
      );
    }
    commits.push(shas);
    const tags = shas.slice(0, PUSHED).map((sha) => sha.slice(0, 12));
    for (let f = 0; tags.length < perImage; f += 1) tags.push(filler(index, f));
    await seedTags(registry, `bench/user-images/img-${String(index).padStart(2, '0')}`, tags, {
      concurrency: 16,
    });
  }
  return commits;
}

/** `count` more filler tags on every image. */
async function addTags(count: number, from: number): Promise<void> {
  for (let index = 0; index < IMAGES; index += 1) {
    const tags = Array.from({ length: count }, (_, k) => filler(index, from + k));
    await seedTags(registry, `bench/user-images/img-${String(index).padStart(2, '0')}`, tags, {
      concurrency: 16,
    });
  }
}

function hubYaml(hub: string, image: string, tag: string): string {
  return `# ${hub}: JupyterHub values, merged by hubploy with staging.yaml / prod.yaml.
jupyterhub:
  hub:
    config:
      Authenticator:
        admin_users: [${hub}-admin]
  singleuser:
    image:
      name: ${image}
      tag: ${tag} # set by the bump workflow
    memory: {guarantee: 512M, limit: 2G}
`;
}

/** A deployment repo: `hubs` hubs over the first `images` images; every fifth hub runs another tag on prod. */
async function deployment(name: string, hubs: number, images: number, commits: string[][]): Promise<string> {
  const staging: Record<string, string> = {};
  const prod: Record<string, string> = {};
  const repos: string[] = [];
  for (let index = 0; index < images; index += 1) repos.push(`bench/img-${String(index).padStart(2, '0')}`);
  for (let i = 0; i < hubs; i += 1) {
    const hub = `hub-${String(i).padStart(3, '0')}`;
    const image = i % images;
    const shas = commits[image] ?? [];
    const tag =
      i % 97 === 0
        ? '0123456789ab'
        : i % 50 === 1
          ? 'PLACEHOLDER'
          : (shas[(i * 7) % PUSHED] ?? '').slice(0, 12);
    const path = `deployments/${hub}/config/common.yaml`;
    staging[path] = hubYaml(hub, imageName(image), tag);
    prod[path] = i % 5 === 0 ? hubYaml(hub, imageName(image), (shas[0] ?? '').slice(0, 12)) : staging[path];
  }
  staging['configs/repos.txt'] = `${repos.join('\n')}\n`;
  const repo = `bench/${name}`;
  await git.createRepo(repo, { branch: 'staging', files: staging });
  await git.commit(repo, 'prod', prod, 'Prod');
  return repo;
}

interface Row {
  name: string;
  samples: number[];
  registryRequests: number;
  tagListings: number;
  apiRequests: number;
  problems: string;
}

interface Sample {
  elapsed: number;
  registryRequests: number;
  tagListings: number;
  apiRequests: number;
  problems: string;
}

async function runOnce(name: string, repo: string, images: number): Promise<Sample> {
  proxy.clearLog();
  const before = github.requests.length;
  const started = performance.now();
  const run = await runAction({
    action: 'fleet-report',
    inputs: {
      'deployment-repo': repo,
      token: TOKEN,
      registry: proxy.host,
      'access-token': REGISTRY_TOKEN,
      'fail-on': 'none',
    },
    env: { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: github.serverUrl, GITHUB_REPOSITORY: repo },
    githubToken: TOKEN,
    timeoutMs: 120_000,
  });
  const elapsed = performance.now() - started;
  await cleanupRun(run);
  if (run.failed || run.outputs['images'] !== String(images))
    throw new Error(`${name}: the run failed:\n${run.log}`);
  return {
    elapsed,
    registryRequests: proxy.log.length,
    tagListings: proxy.log.filter((entry) => entry.path.includes('/tags/list')).length,
    apiRequests: github.requests.length - before,
    problems: `${run.outputs['broken']} broken / ${run.outputs['problems']}`,
  };
}

/** The fleets measured side by side: one run of each in turn, RUNS rounds after a warm-up round. */
async function measure(fleets: Array<{ name: string; repo: string; images: number }>): Promise<Row[]> {
  const rows = fleets.map((fleet): Row => ({
    name: fleet.name,
    samples: [],
    registryRequests: 0,
    tagListings: 0,
    apiRequests: 0,
    problems: '',
  }));
  for (let round = 0; round < RUNS + 1; round += 1) {
    for (const [index, fleet] of fleets.entries()) {
      const sample = await runOnce(fleet.name, fleet.repo, fleet.images);
      const row = rows[index];
      if (row === undefined || round === 0) continue; // warm-up
      row.samples.push(sample.elapsed);
      row.registryRequests = sample.registryRequests;
      row.tagListings = sample.tagListings;
      row.apiRequests = sample.apiRequests;
      row.problems = sample.problems;
    }
  }
  return rows;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rows: Row[] = [];
/** Each row is printed once measured, so a run stopped half-way still shows what it measured. */
function printRow(row: Row): void {
  if (rows.length === 1) {
    console.log(
      '| Fleet (2 branches) | Runs | Median | Min | Max | Median / first row | Registry requests | Tag listings | GitHub API requests | Problems found |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  }
  const m = median(row.samples);
  const first = median(rows[0]?.samples ?? [m]);
  console.log(
    `| ${row.name} | ${row.samples.length} | ${s(m)} | ${s(Math.min(...row.samples))} | ${s(Math.max(...row.samples))} | ${(m / first).toFixed(2)} | ${row.registryRequests} | ${row.tagListings} | ${row.apiRequests} | ${row.problems} |`,
  );
}
const add = (row: Row) => {
  rows.push(row);
  printRow(row);
};
try {
  const perImage = Math.ceil(5000 / IMAGES);
  const commits = await seedImages(perImage);
  const base = await deployment('fleet-200', 200, IMAGES, commits);
  const doubleHubs = await deployment('fleet-400', 400, IMAGES, commits);
  const fewerImages = await deployment('fleet-200-10', 200, 10, commits);
  const together = await measure([
    { name: `200 hubs, ${IMAGES} images, ${perImage * IMAGES} tags`, repo: base, images: IMAGES },
    { name: `400 hubs, ${IMAGES} images, ${perImage * IMAGES} tags`, repo: doubleHubs, images: IMAGES },
    { name: `200 hubs, 10 images, ${perImage * 10} tags`, repo: fewerImages, images: 10 },
  ]);
  together.forEach(add);
  await addTags(perImage, perImage);
  // Twice the tags on the same images: measured after the others (the registry then holds them all).
  (
    await measure([
      { name: `200 hubs, ${IMAGES} images, ${perImage * 2 * IMAGES} tags`, repo: base, images: IMAGES },
    ])
  ).forEach(add);
} finally {
  await proxy.stop();
  await registry.stop();
  await github.stop();
  await git.stop();
}

const ok = median(rows[0]?.samples ?? []) < TARGET_MS;
console.log(`\nTarget: the first row's median under ${s(TARGET_MS)}: ${ok ? 'met' : 'NOT met'}.`);
if (!ok) process.exitCode = 1;
