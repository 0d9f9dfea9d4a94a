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
  warnings: string[];
}

export const HISTOGRAM_ARTIFACT = 'rtt-histogram.hdr.b64';

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
  const artifacts = join(dir, 'artifacts');
  if (existsSync(artifacts)) {
    for (const folder of readdirSync(artifacts)) {
      const file = join(artifacts, folder, HISTOGRAM_ARTIFACT);
      if (existsSync(file) && done.has(trialIdOf(folder)))
        histograms.set(trialIdOf(folder), readFileSync(file, 'utf8').trim());
    }
  }
  return { dir, manifest, state, rows, histograms, warnings };
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
