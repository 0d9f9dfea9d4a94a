import { existsSync, readFileSync } from 'node:fs';
import { appendDurable, writeFileAtomic } from './durable.ts';
import type { CheckpointInterval } from './interval.ts';

export type Better = 'higher' | 'lower' | 'info';

/**
 * A metric a workload reports, with the direction that is better. The run's manifest records the
 * specs of its workloads, so that analysis reads them from the run rather than from code.
 */
export interface MetricSpec {
  name: string;
  unit: string;
  better: Better;
  /** The metric the workload is judged by (best interval, overhead headline): one per workload. */
  primary?: boolean;
  /** Shown in the console summary (the others are stored and analysed, not printed). */
  headline?: boolean;
  /**
   * A network round-trip time in µs: finding (ii), the cost for latency-sensitive network
   * applications, is read on the workloads whose primary metric is one.
   */
  roundTrip?: boolean;
  label?: string;
}

/**
 * One measured value of one trial, with its whole context, so that a line of samples.jsonl can be
 * analysed without the rest of the run directory.
 */
export interface SampleRow {
  schema: 1;
  runId: string;
  cellId: string;
  trialId: string;
  /** 1-based trial number within the cell. */
  trial: number;
  testbed: string;
  workload: string;
  /** Checkpoint interval in ms, or `adaptive`; null for the unreplicated baseline. */
  intervalMs: CheckpointInterval | null;
  metric: string;
  value: number;
  unit: string;
  better: Better;
  /** Who measured it: the workload's client, or the protection's own checkpoint statistics. */
  source: 'workload' | 'protection';
  startedAt: string;
  endedAt: string;
  durationS: number;
  warmupS: number;
  seed: number;
  /** Which mechanism did each job of the testbed in this trial (freezer, priority, output commit...). */
  mechanisms: Record<string, string>;
  hostDigest: string;
  harnessVersion: string;
}

export interface ReadSamplesResult {
  rows: SampleRow[];
  warnings: string[];
  /** Byte length of the valid prefix of the file (everything up to the last good newline). */
  validBytes: number;
}

/**
 * Reads samples.jsonl. A last line without its newline (power loss in the middle of a write) is
 * dropped with a warning; a corrupt line in the middle is skipped with a warning. Never throws on
 * content.
 */
export function readSamples(path: string): ReadSamplesResult {
  if (!existsSync(path)) return { rows: [], warnings: [], validBytes: 0 };
  const text = readFileSync(path, 'utf8');
  const rows: SampleRow[] = [];
  const warnings: string[] = [];
  const lines = text.split('\n');
  // The element after the last newline is '' for a complete file, or the truncated line.
  const complete = lines.slice(0, -1);
  const trailing = text.endsWith('\n') ? '' : (lines.at(-1) ?? '');
  let validBytes = 0;
  complete.forEach((line, index) => {
    validBytes += Buffer.byteLength(line) + 1;
    if (line.trim() === '') return;
    try {
      rows.push(JSON.parse(line) as SampleRow);
    } catch {
      warnings.push(`${path}: line ${index + 1} is not valid JSON; skipped it.`);
    }
  });
  if (trailing !== '') {
    warnings.push(
      `${path}: the last line is truncated (${Buffer.byteLength(trailing)} bytes without a newline, likely a crash or power loss during a write); dropped it. Its trial is not marked done and will run again.`,
    );
  }
  return { rows, warnings, validBytes };
}

/** Appends the rows of one trial in one write, fsynced before returning. */
export function appendSamples(path: string, rows: readonly SampleRow[]): void {
  if (rows.length === 0) return;
  appendDurable(path, rows.map((row) => `${JSON.stringify(row)}\n`).join(''));
}

/**
 * Rewrites samples.jsonl keeping only the rows of trials in `keepTrialIds` (used on resume: rows of
 * a trial that was in flight when the run stopped must not be counted twice).
 */
export function rewriteSamples(
  path: string,
  rows: readonly SampleRow[],
  keepTrialIds: ReadonlySet<string>,
): number {
  const kept = rows.filter((row) => keepTrialIds.has(row.trialId));
  writeFileAtomic(path, kept.map((row) => `${JSON.stringify(row)}\n`).join(''));
  return rows.length - kept.length;
}
