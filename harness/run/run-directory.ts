import type { Config } from '../config/schema.ts';
import type { Plan, Shard } from '../plan/plan.ts';
import {
  configHash,
  type Manifest,
  type RunSession,
  readManifest,
  writeManifest,
} from '../store/manifest.ts';
import { createRunDir, newRunId, type RunPaths } from '../store/run-dir.ts';
import type { MetricSpec } from '../store/samples.ts';
import { HARNESS_VERSION } from '../version.ts';

export interface RunDirectoryInput {
  config: Config;
  /** The run directory to continue, or null for a new one under config.results. */
  resume: RunPaths | null;
  /** This share of the plan, and the whole plan it is a share of. */
  plan: Plan;
  fullPlan: Plan;
  shard: Shard | null;
  session: RunSession;
  /** The metric specs of the workloads the plan runs, for analysis to read from the run. */
  metrics: Record<string, MetricSpec[]>;
}

/**
 * Opens the run directory: a new one with its manifest, or (resume) the existing one, whose
 * manifest takes this session and the config it now runs with.
 */
export function openRunDirectory(input: RunDirectoryInput): { paths: RunPaths; manifest: Manifest } {
  const { config, resume, plan, fullPlan, shard, session, metrics } = input;
  let paths: RunPaths;
  let manifest: Manifest;
  if (resume) {
    paths = resume;
    manifest = readManifest(paths.manifest);
    manifest.config = config;
    manifest.configHash = configHash(config);
    // The plan follows from the config and the seed: unchanged unless --force took a changed
    // config, whose cells and order then replace the old ones (done trials keep their ids).
    manifest.cells = plan.cells;
    manifest.order = plan.order.map((t) => t.id);
    if (manifest.shard) manifest.shard.fullOrder = fullPlan.order.map((t) => t.id);
    manifest.sessions.push(session);
    manifest.metrics = metrics;
  } else {
    const runId = newRunId();
    paths = createRunDir(config.results, runId);
    manifest = {
      schema: 1,
      runId,
      createdAt: session.startedAt,
      harnessVersion: HARNESS_VERSION,
      config,
      configHash: configHash(config),
      seed: plan.seed,
      cells: plan.cells,
      order: plan.order.map((t) => t.id),
      ...(shard
        ? { shard: { index: shard.index, count: shard.count, fullOrder: fullPlan.order.map((t) => t.id) } }
        : {}),
      sessions: [session],
      metrics,
    };
  }
  writeManifest(paths.manifest, manifest);
  return { paths, manifest };
}
