// What the demo's fleet report must show: the two problems the demo seeded, read from the job summary the action
// wrote (its problem list: `- **TITLE** **broken** `FILE:LINE` (branches): …`).

export interface FleetSeed {
  missingHub: string;
  missingImage: string;
  missingTag: string;
  reposFile: string;
  unusedRepo: string;
}

export interface FleetFindings {
  /** `FILE:LINE` of the seeded hub's missing tag, when the report has it as broken. */
  missingAt: string | undefined;
  /** `FILE:LINE` of the unused repo in repos.txt, when the report has it. */
  unusedAt: string | undefined;
}

const problemLines = (summary: string) => summary.split('\n').filter((line) => line.startsWith('- **'));

export function fleetFindings(summary: string, seed: FleetSeed): FleetFindings {
  const at = (title: string, file: string, also: (line: string) => boolean) => {
    for (const line of problemLines(summary)) {
      if (!line.startsWith(`- **${title}**`) || !also(line)) continue;
      const where = new RegExp(`\`(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:[0-9]+)\``).exec(line);
      if (where?.[1] !== undefined) return where[1];
    }
    return undefined;
  };
  return {
    missingAt: at('missing from the registry', seed.missingHub, (line) => line.includes('**broken**')),
    unusedAt: at('unused repo', seed.reposFile, (line) => line.includes(seed.unusedRepo)),
  };
}
