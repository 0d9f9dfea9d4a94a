import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../harness/store/manifest.ts';
import { readSamples, type SampleRow } from '../harness/store/samples.ts';
import type { RunState } from '../harness/store/state.ts';

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

export function loadRun(dir: string): RunData {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new Error(`${dir} has no manifest.json, so it is not a run directory`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const statePath = join(dir, 'state.json');
  const state = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as RunState) : null;
  const samples = readSamples(join(dir, 'samples.jsonl'));
  const histograms = new Map<string, string>();
  const artifacts = join(dir, 'artifacts');
  if (existsSync(artifacts)) {
    for (const folder of readdirSync(artifacts)) {
      const file = join(artifacts, folder, HISTOGRAM_ARTIFACT);
      if (existsSync(file)) histograms.set(trialIdOf(folder), readFileSync(file, 'utf8').trim());
    }
  }
  return { dir, manifest, state, rows: samples.rows, histograms, warnings: samples.warnings };
}
