import { reportRun } from '../../reports/generate.ts';
import { type LabeledLayer, labelLayer, matrixLayer, readJsonLayer, resolveConfig } from '../config/load.ts';
import { DEFAULT_CONFIG } from '../config/presets.ts';
import type { Config } from '../config/schema.ts';
import { UserError } from '../errors.ts';
import { formatPlan } from '../plan/format.ts';
import { planExperiment, type Shard, shardPlan } from '../plan/plan.ts';
import { cellAvailability } from '../run/availability.ts';
import { runExperiment } from '../run/experiment.ts';
import { configDifferences, experimentConfig, readManifest } from '../store/manifest.ts';
import { ensureWritableDir, findRunDir, type RunPaths } from '../store/run-dir.ts';
import { type ExperimentFlags, flagsLayer } from './experiment-options.ts';

/** `--shard i/n`, 1 <= i <= n. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard: got ${JSON.stringify(text)}; expected i/n with 1 <= i <= n, e.g. 2/4`);
  }
  return { index, count };
}

/** `--config`, `--matrix` and the individual flags, in increasing precedence. */
function userLayers(flags: ExperimentFlags): LabeledLayer[] {
  const layers: LabeledLayer[] = [];
  if (flags.config) layers.push(labelLayer(readJsonLayer(flags.config, 'Config file'), flags.config));
  if (flags.matrix) {
    const { layer, label } = matrixLayer(flags.matrix);
    layers.push(labelLayer(layer, label));
  }
  layers.push(flagsLayer(flags));
  return layers;
}

/**
 * The config of a resumed run is the one in its manifest; flags may only repeat it. A change is
 * refused (listing the fields) unless --force, because the trials on disk were measured with it.
 */
function resumeConfig(flags: ExperimentFlags): { config: Config; paths: RunPaths } {
  const paths = findRunDir(flags.resume as string, flags.results ?? DEFAULT_CONFIG.results);
  const manifest = readManifest(paths.manifest);
  const stored = labelLayer(manifest.config as unknown as Record<string, unknown>, 'the run manifest');
  const config = resolveConfig([stored, ...userLayers(flags)]);
  const changed = configDifferences(experimentConfig(manifest.config), experimentConfig(config));
  if (changed.length > 0 && !flags.force) {
    throw new UserError(
      `--resume ${flags.resume}: the configuration differs from the one this run started with (${changed.join(', ')}). ` +
        'Its finished trials were measured with the old one. Resume without those options, start a new run, ' +
        'or add --force to continue with the new configuration.',
    );
  }
  return { config: { ...config, results: manifest.config.results }, paths };
}

/**
 * Flags that contradict each other, all at once: silently ignoring one would run something other
 * than what was asked for.
 */
function flagConflicts(flags: ExperimentFlags): string[] {
  const conflicts: string[] = [];
  if (flags.resume && flags.shard)
    conflicts.push(
      `--shard ${flags.shard} with --resume: a resumed run keeps the shard it started with (see its manifest); leave out --shard`,
    );
  if (flags.force && !flags.resume)
    conflicts.push('--force without --resume: --force only lets a resumed run take a changed configuration');
  return conflicts;
}

export async function experimentCommand(
  flags: ExperimentFlags,
  log: (line: string) => void,
): Promise<number> {
  const conflicts = flagConflicts(flags);
  if (conflicts.length) throw new UserError(`Conflicting options:\n  ${conflicts.join('\n  ')}`);
  const { config, paths } = flags.resume
    ? resumeConfig(flags)
    : { config: resolveConfig(userLayers(flags)), paths: null };
  const shard = flags.shard ? parseShard(flags.shard) : null;
  if (flags.dryRun) {
    const plan = planExperiment(config, cellAvailability(config.testbed.kind));
    log(formatPlan(shard ? shardPlan(plan, shard) : plan, config));
    if (shard) log(`(shard ${shard.index} of ${shard.count})`);
    log('\nDry run: nothing was started and nothing was written.');
    return 0;
  }
  if (!paths) ensureWritableDir(config.results);
  return runExperiment({
    config,
    resume: paths,
    shard,
    log,
    writeReports: (runDir, reportLog, skipRest) =>
      reportRun(runDir, { history: config.results }, reportLog, skipRest),
  });
}
