import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadRun, type RunData } from '../../analysis/run-data.ts';
import { DEFAULT_CONFIG } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import { acquireLock } from '../store/lock.ts';
import { type Manifest, stableStringify, writeManifest } from '../store/manifest.ts';
import { findRunDir, newRunId } from '../store/run-dir.ts';
import { appendSamples } from '../store/samples.ts';
import { type CellState, deriveCellStatus, type RunState, writeState } from '../store/state.ts';

/** Why a set of shards cannot be one run, or null when they can. */
export function shardProblems(runs: readonly RunData[]): string[] {
  const problems: string[] = [];
  const first = runs[0]?.manifest;
  if (!first) return ['no run given'];
  for (const run of runs) {
    const m = run.manifest;
    if (!m.shard) problems.push(`${run.dir} is not a shard (it was not started with --shard i/n)`);
    else if (m.configHash !== first.configHash)
      problems.push(
        `${run.dir} has another configuration (config hash ${m.configHash} vs ${first.configHash})`,
      );
    else if (
      m.shard.count !== first.shard?.count ||
      stableStringify(m.shard.fullOrder) !== stableStringify(first.shard?.fullOrder)
    ) {
      problems.push(`${run.dir} belongs to another plan (shard count or trial order differ)`);
    }
  }
  const indices = runs.map((r) => r.manifest.shard?.index);
  const duplicates = indices.filter((index, i) => indices.indexOf(index) !== i);
  if (duplicates.length) problems.push(`shard ${duplicates.join(', ')} given more than once`);
  return problems;
}

/** Joins shard run directories into one run directory that `report` and `compare` read. */
export async function mergeCommand(
  specs: string[],
  flags: { out?: string; results?: string },
  log: (line: string) => void,
): Promise<number> {
  if (specs.length < 1) throw new UserError('merge <shard-run-dir> <shard-run-dir> ...');
  const dirs = specs.map((spec) => findRunDir(spec, flags.results ?? DEFAULT_CONFIG.results).dir);
  // A shard still being written to must not be merged half-way: take the lock of each shard's
  // results directory (its run holds it while it runs) for the length of the merge.
  const releases: (() => void)[] = [];
  try {
    for (const root of new Set(dirs.map((dir) => dirname(dir)))) {
      releases.push(acquireLock(join(root, '.remus-bench.lock'), `the results directory ${root}`, log));
    }
    return mergeRuns(
      dirs.map((dir) => loadRun(dir)),
      flags,
      log,
    );
  } finally {
    for (const release of releases) release();
  }
}

function mergeRuns(runs: RunData[], flags: { out?: string }, log: (line: string) => void): number {
  const problems = shardProblems(runs);
  if (problems.length) throw new UserError(`Refusing to merge:\n  - ${problems.join('\n  - ')}`);
  const first = runs[0]?.manifest as Manifest;
  const shardInfo = first.shard as NonNullable<Manifest['shard']>;
  const present = new Set(runs.map((r) => r.manifest.shard?.index));
  const missing = Array.from({ length: shardInfo.count }, (_, i) => i + 1).filter((i) => !present.has(i));

  const runId = newRunId();
  const dir = flags.out ?? join(dirname(runs[0]?.dir as string), runId);
  if (existsSync(join(dir, 'manifest.json')))
    throw new UserError(`merge --out ${dir}: that folder already holds a run.`);
  mkdirSync(join(dir, 'artifacts'), { recursive: true });

  const { shard: _shard, ...rest } = first;
  const manifest: Manifest = {
    ...rest,
    runId,
    createdAt: runs.map((r) => r.manifest.createdAt).sort()[0] as string,
    order: shardInfo.fullOrder,
    sessions: runs.flatMap((r) => r.manifest.sessions),
  };
  writeManifest(join(dir, 'manifest.json'), manifest);

  const state: RunState = { schema: 1, updatedAt: new Date().toISOString(), cells: {} };
  for (const run of runs) {
    for (const [cellId, cell] of Object.entries(run.state?.cells ?? {})) {
      const merged: CellState = state.cells[cellId] ?? { status: 'todo', trials: {} };
      Object.assign(merged.trials, cell.trials);
      if (cell.reason) merged.reason = cell.reason;
      state.cells[cellId] = merged;
    }
  }
  for (const cell of Object.values(state.cells)) {
    const derived = deriveCellStatus(cell);
    cell.status = derived.status;
    if (derived.reason) cell.reason = derived.reason;
  }
  writeState(join(dir, 'state.json'), state);
  appendSamples(
    join(dir, 'samples.jsonl'),
    runs.flatMap((r) => r.rows.map((row) => ({ ...row, runId }))),
  );
  for (const run of runs) {
    const artifacts = join(run.dir, 'artifacts');
    if (existsSync(artifacts)) cpSync(artifacts, join(dir, 'artifacts'), { recursive: true });
  }
  log(
    `Merged ${runs.length} of ${shardInfo.count} shards into ${dir} (${runs.reduce((n, r) => n + r.rows.length, 0)} sample rows).`,
  );
  if (missing.length) log(`Warning: shard(s) ${missing.join(', ')} missing; their trials show as not run.`);
  for (const run of runs) {
    const unfinished = Object.values(run.state?.cells ?? {})
      .flatMap((c) => Object.values(c.trials))
      .filter((t) => t.status === 'todo' || t.status === 'running').length;
    if (unfinished)
      log(
        `Warning: shard ${run.manifest.shard?.index} (${run.dir}) has ${unfinished} unfinished trial(s); resume it, then merge again.`,
      );
  }
  log(`Reports: npm run report -- ${dir}`);
  return 0;
}
