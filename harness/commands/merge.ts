import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { loadRun, type RunData } from '../../analysis/run-data.ts';
import { placementOf, planDifferences } from '../config/plan-identity.ts';
import { DEFAULT_CONFIG } from '../config/presets.ts';
import { UserError } from '../errors.ts';
import { acquireLock } from '../store/lock.ts';
import { type Manifest, type ShardRecord, stableStringify, writeManifest } from '../store/manifest.ts';
import { findRunDir, newRunId } from '../store/run-dir.ts';
import { appendSamples } from '../store/samples.ts';
import { type CellState, deriveCellStatus, doneTrialIds, type RunState, writeState } from '../store/state.ts';
import { wholeNumber } from './experiment-options.ts';

/** Mechanism name -> the values a shard's sessions recorded for it (a resumed shard may have several). */
function mechanismsOf(run: RunData): Map<string, string> {
  const values = new Map<string, Set<string>>();
  for (const session of run.manifest.sessions) {
    for (const [name, value] of Object.entries(session.testbed.mechanisms)) {
      values.set(name, (values.get(name) ?? new Set()).add(value));
    }
  }
  return new Map([...values].map(([name, set]) => [name, [...set].sort().join(' | ')]));
}

/**
 * Why a set of shards cannot be one run (none: they can). Shards must be of one plan (the config
 * without where it runs, see config/plan-identity.ts), of one shard split, each given once, and
 * their testbeds must have measured with the same mechanisms (Xen version, Remus flags, network
 * buffering, the guest, the freezer...): those change the numbers.
 */
export function shardProblems(runs: readonly RunData[]): string[] {
  const problems: string[] = [];
  const first = runs[0];
  if (!first) return ['no run given'];
  const firstMechanisms = mechanismsOf(first);
  for (const run of runs) {
    const m = run.manifest;
    if (!m.shard) {
      problems.push(`${run.dir} is not a shard (it was not started with --shard i/n)`);
      continue;
    }
    const differs = planDifferences(first.manifest.config, m.config);
    if (differs.length) {
      problems.push(
        `${run.dir} is of another plan than ${first.dir}: ${differs.join(', ')} differ (only where a shard runs may differ: hosts, addresses, keys, known_hosts, log folders)`,
      );
    } else if (
      m.shard.count !== first.manifest.shard?.count ||
      stableStringify(m.shard.fullOrder) !== stableStringify(first.manifest.shard?.fullOrder)
    ) {
      problems.push(`${run.dir} belongs to another plan (shard count or trial order differ)`);
    }
    if (run === first) continue;
    const mechanisms = mechanismsOf(run);
    for (const name of new Set([...firstMechanisms.keys(), ...mechanisms.keys()])) {
      const a = firstMechanisms.get(name) ?? 'not recorded';
      const b = mechanisms.get(name) ?? 'not recorded';
      if (a !== b)
        problems.push(
          `${run.dir} measured with another ${name} ("${b}") than ${first.dir} ("${a}"): its numbers are not of the same experiment`,
        );
    }
  }
  const indices = runs.map((r) => r.manifest.shard?.index);
  const duplicates = indices.filter((index, i) => indices.indexOf(index) !== i);
  if (duplicates.length) problems.push(`shard ${duplicates.join(', ')} given more than once`);
  return problems;
}

/** How often `merge --wait` tries a shard's lock again. */
const LOCK_RETRY_MS = 2000;

/**
 * Takes the lock of a results directory. A shard still running holds it: refused at once, or with
 * `--wait` tried again until the shard ends or the wait is over.
 */
async function lockResults(root: string, waitS: number, log: (line: string) => void): Promise<() => void> {
  const deadline = Date.now() + waitS * 1000;
  let said = false;
  for (;;) {
    try {
      return acquireLock(join(root, '.remus-bench.lock'), `the results directory ${root}`, log);
    } catch (error) {
      if (!(error instanceof UserError) || Date.now() >= deadline) throw error;
      if (!said) log(`Waiting up to ${waitS} s for the run in ${root} to end: ${error.message}`);
      said = true;
      await setTimeout(LOCK_RETRY_MS);
    }
  }
}

/** The `merge` flags as commander hands them over. */
export interface MergeFlags {
  out?: string;
  results?: string;
  /** Seconds to wait for shards still running (holding their results directory's lock); default 0: refuse at once. */
  wait?: string;
}

/**
 * Joins shard run directories into one run directory that `report` and `compare` read. Exit code 0
 * when every shard of the plan is there and finished; 1 when the merged run is incomplete (a shard
 * missing, or trials not done: each named, with what to do); 2 when the shards cannot be merged.
 */
export async function mergeCommand(
  specs: string[],
  flags: MergeFlags,
  log: (line: string) => void,
): Promise<number> {
  if (specs.length < 1) throw new UserError('merge <shard-run-dir> <shard-run-dir> ...');
  const problems: string[] = [];
  const waitS = wholeNumber(flags.wait, '--wait', 0, 7 * 24 * 3600, problems) ?? 0;
  if (problems.length) throw new UserError(problems.join('\n'));
  const dirs = specs.map((spec) => findRunDir(spec, flags.results ?? DEFAULT_CONFIG.results).dir);
  // A shard still being written to must not be merged half-way: take the lock of each shard's
  // results directory (its run holds it while it runs) for the length of the merge.
  const releases: (() => void)[] = [];
  try {
    for (const root of new Set(dirs.map((dir) => dirname(dir)))) {
      releases.push(await lockResults(root, waitS, log));
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

function shardRecord(run: RunData): ShardRecord {
  const m = run.manifest;
  const shard = m.shard as NonNullable<Manifest['shard']>;
  const harnessHosts = [...new Set(m.sessions.map((s) => s.host.hostname))];
  const finished = run.state ? doneTrialIds(run.state) : new Set<string>();
  return {
    index: shard.index,
    count: shard.count,
    runId: m.runId,
    dir: run.dir,
    placement: placementOf(m.config, harnessHosts[0] ?? 'an unknown host'),
    harnessHosts,
    trials: m.order.filter((id) => finished.has(id)),
  };
}

/** What is not done in a shard: trials still to run, and failed ones with their first reason. */
function shardGaps(run: RunData): { unfinished: number; failed: number; reason?: string } {
  const trials = Object.values(run.state?.cells ?? {}).flatMap((c) => Object.values(c.trials));
  const failed = trials.filter((t) => t.status === 'failed');
  return {
    unfinished: trials.filter((t) => t.status === 'todo' || t.status === 'running').length,
    failed: failed.length,
    ...(failed[0]?.reason ? { reason: failed[0].reason } : {}),
  };
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

  const shards = runs.map(shardRecord).sort((a, b) => a.index - b.index);
  const { shard: _shard, ...rest } = first;
  const manifest: Manifest = {
    ...rest,
    runId,
    createdAt: runs.map((r) => r.manifest.createdAt).sort()[0] as string,
    order: shardInfo.fullOrder,
    sessions: runs.flatMap((r) => r.manifest.sessions),
    shards,
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
  const pairs = new Set(shards.map((s) => s.placement.id));
  for (const s of shards)
    log(`  shard ${s.index}/${s.count}: ${s.trials.length} trial(s) on ${s.placement.label} (${s.dir})`);
  if (pairs.size > 1)
    log(`The trials ran on ${pairs.size} host pairs: the report breaks cells down by pair.`);
  let complete = missing.length === 0;
  if (missing.length)
    log(
      `Warning: shard(s) ${missing.join(', ')} of ${shardInfo.count} missing; their trials show as not run. Run them (--shard i/${shardInfo.count}, or --resume their run directory), then merge again.`,
    );
  for (const run of runs) {
    const gaps = shardGaps(run);
    if (gaps.unfinished === 0 && gaps.failed === 0) continue;
    complete = false;
    const what = [
      gaps.unfinished ? `${gaps.unfinished} unfinished trial(s)` : '',
      gaps.failed ? `${gaps.failed} failed trial(s) (first: ${gaps.reason ?? 'no reason recorded'})` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    log(
      `Warning: shard ${run.manifest.shard?.index} (${run.dir}) has ${what}; resume it (npm run experiment -- --resume ${run.dir}), then merge again.`,
    );
  }
  log(`Reports: npm run report -- ${dir}`);
  return complete ? 0 : 1;
}
