import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../harness/errors.ts';
import { type Manifest, readManifest } from '../harness/store/manifest.ts';
import { readSamples, type SampleRow } from '../harness/store/samples.ts';
import { doneTrialIds, type RunState, readState } from '../harness/store/state.ts';

/** Everything stored in one run directory, read (never written) for analysis and reports. */
export interface RunData {
  dir: string;
  manifest: Manifest;
  state: RunState | null;
  rows: SampleRow[];
  /** Encoded RTT histograms (HdrHistogram V2, base64) by trial id. */
  histograms: Map<string, string>;
  /**
   * What each checkpoint cost against what it copied, by trial id, from the protection's stored
   * report (artifacts/<trial>/checkpoints.json), where it records dirty pages per checkpoint.
   */
  checkpointCosts: Map<string, CheckpointCost>;
  warnings: string[];
}

/** A trial's checkpoints: the i-th one's guest-visible pause and the pages it copied (typed: a run may hold millions). */
export interface CheckpointCost {
  pauseUs: Float64Array;
  dirtyPages: Float64Array;
}

export const HISTOGRAM_ARTIFACT = 'rtt-histogram.hdr.b64';
export const CHECKPOINTS_ARTIFACT = 'checkpoints.json';
/** Per trial at most this many checkpoints are kept (every k-th): a long trial at 25 ms has thousands. */
export const COSTS_PER_TRIAL = 300;

/**
 * The checkpoints after the first (the initial full copy, which Remus makes before protection
 * starts) that recorded dirty pages; every k-th when there are more than COSTS_PER_TRIAL.
 */
export function checkpointCostsOf(report: unknown): CheckpointCost | null {
  const records = (report as { checkpoints?: unknown })?.checkpoints;
  if (!Array.isArray(records) || records.length < 2) return null;
  const stride = Math.ceil((records.length - 1) / COSTS_PER_TRIAL);
  const pauseUs = new Float64Array(Math.ceil((records.length - 1) / stride));
  const dirtyPages = new Float64Array(pauseUs.length);
  let kept = 0;
  for (let i = 1; i < records.length; i += stride) {
    const pause = Number(records[i]?.pauseUs);
    const pages = Number(records[i]?.dirtyPages);
    if (!Number.isFinite(pause) || !Number.isFinite(pages)) continue;
    pauseUs[kept] = pause;
    dirtyPages[kept] = pages;
    kept++;
  }
  return kept === 0 ? null : { pauseUs: pauseUs.subarray(0, kept), dirtyPages: dirtyPages.subarray(0, kept) };
}

/** Trial id from its artifact folder name (latency@25ms_2 -> latency@25ms#2). */
const trialIdOf = (folder: string) => folder.replace(/_(\d+)$/, '#$1');

/**
 * Reads a run directory. Only trials that reached "done" count: rows of a trial cut short (a crash
 * after its samples were written, before its state was) are left out with a warning, as a resume
 * would remove them.
 */
export function loadRun(dir: string): RunData {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath))
    throw new UserError(`${dir} has no manifest.json, so it is not a run directory.`);
  const manifest = readManifest(manifestPath);
  const state = readState(join(dir, 'state.json'));
  const samples = readSamples(join(dir, 'samples.jsonl'));
  const warnings = [...samples.warnings];
  // Without a state.json (a run directory assembled by hand) every row counts.
  const done = state ? doneTrialIds(state) : new Set(samples.rows.map((row) => row.trialId));
  const rows = samples.rows.filter((row) => done.has(row.trialId));
  const unfinished = new Set(samples.rows.filter((row) => !done.has(row.trialId)).map((row) => row.trialId));
  if (unfinished.size) {
    warnings.push(
      `${samples.rows.length - rows.length} sample rows of ${unfinished.size} trial(s) that did not finish (${[...unfinished].slice(0, 3).join(', ')}${unfinished.size > 3 ? ', ...' : ''}) are left out`,
    );
  }
  const histograms = new Map<string, string>();
  const checkpointCosts = new Map<string, CheckpointCost>();
  const artifacts = join(dir, 'artifacts');
  if (existsSync(artifacts)) {
    for (const folder of readdirSync(artifacts)) {
      const trialId = trialIdOf(folder);
      if (!done.has(trialId)) continue;
      const file = join(artifacts, folder, HISTOGRAM_ARTIFACT);
      if (existsSync(file)) histograms.set(trialId, readFileSync(file, 'utf8').trim());
      const costs = readCheckpointCosts(join(artifacts, folder, CHECKPOINTS_ARTIFACT), warnings);
      if (costs) checkpointCosts.set(trialId, costs);
    }
  }
  return { dir, manifest, state, rows, histograms, checkpointCosts, warnings };
}

function readCheckpointCosts(file: string, warnings: string[]): CheckpointCost | null {
  if (!existsSync(file)) return null;
  try {
    return checkpointCostsOf(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    warnings.push(`${file} is not readable JSON (${(error as Error).message}): its checkpoints are left out`);
    return null;
  }
}

/** Every run directory under `root` except `exclude`. */
export function historyRuns(root: string, exclude: string): RunData[] {
  const dir = resolve(root);
  if (!existsSync(dir)) throw new UserError(`--history ${root}: ${dir} does not exist.`);
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => path !== resolve(exclude) && existsSync(join(path, 'manifest.json')))
    .map((path) => loadRun(path));
}
