import { configDifferences, digest, experimentConfig } from '../store/manifest.ts';
import { TESTBEDS } from '../testbeds/index.ts';
import type { TestbedDefinition } from '../testbeds/testbed.ts';
import type { Config } from './schema.ts';

/**
 * A plan is what a run measures: matrix, workloads and their settings, durations, seed, the testbed
 * kind and every testbed field that changes results (Remus flags, buffering, the freezer...).
 * Where it runs (hosts, addresses, keys, known_hosts, log folders) is its placement: the fields
 * each testbed lists as `placement`. Shards of one plan may run on different host pairs and still
 * merge into one run; the config hash (resume, history) still covers both.
 */

const DEFINITIONS = TESTBEDS as readonly TestbedDefinition[];

type Tree = Record<string, unknown>;
const isTree = (value: unknown): value is Tree =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Moves the values at the dot paths out of `tree` (changed in place) into the tree it returns. */
function takePaths(tree: Tree, paths: readonly string[]): Tree {
  const taken: Tree = {};
  for (const path of paths) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let from: unknown = tree;
    let to = taken;
    for (const key of keys) {
      from = isTree(from) ? from[key] : undefined;
      if (!isTree(to[key])) to[key] = {};
      to = to[key] as Tree;
    }
    if (isTree(from) && last in from) {
      to[last] = from[last];
      delete from[last];
    }
  }
  return taken;
}

function sectionsSplit(config: Config): { plan: Tree; placement: Tree } {
  // A deep copy: the sections are rewritten below.
  const plan = structuredClone(experimentConfig(config)) as unknown as Tree;
  const testbed = plan.testbed as Tree;
  const placement: Tree = {};
  for (const definition of DEFINITIONS) {
    const section = testbed[definition.section];
    if (!isTree(section) || !definition.placement?.length) continue;
    placement[definition.section] = takePaths(section, definition.placement);
  }
  return { plan, placement };
}

/** The config without where it runs: equal for shards of one plan on any hosts. */
export function planConfig(config: Config): unknown {
  return sectionsSplit(config).plan;
}

/** Where a config runs: the placement fields of its testbed, and one line naming them. */
export interface Placement {
  /** Digest of the placement fields: equal for runs on the same hosts. */
  id: string;
  label: string;
}

export function placementOf(config: Config, harnessHost: string): Placement {
  const definition = DEFINITIONS.find((d) => d.kind === config.testbed.kind);
  const section = definition ? (config.testbed as unknown as Tree)[definition.section] : undefined;
  if (!definition?.placement?.length || !definition.placementLabel || !isTree(section)) {
    // A testbed without remote hosts runs where the harness runs.
    return { id: digest({ host: harnessHost }), label: `${config.testbed.kind} testbed on ${harnessHost}` };
  }
  const { placement } = sectionsSplit(config);
  return {
    id: digest(placement[definition.section] ?? {}),
    label: definition.placementLabel(section as never),
  };
}

/** The dot paths in which two configs' plans differ (none: one plan, wherever each runs). */
export function planDifferences(a: Config, b: Config): string[] {
  return configDifferences(planConfig(a), planConfig(b));
}
