import { closeSync, existsSync, openSync, readSync } from 'node:fs';
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

/** Bytes read at a time: the file is never held whole (a long run's is tens of MB). */
const READ_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Reads samples.jsonl. A last line without its newline (power loss in the middle of a write) is
 * dropped with a warning; a corrupt line in the middle is skipped with a warning. Never throws on
 * content. The file is read a chunk at a time and rows of one run share their repeated strings and
 * mechanism records, so a run of many thousand trials costs little more memory than its rows' numbers.
 */
export function readSamples(path: string): ReadSamplesResult {
  if (!existsSync(path)) return { rows: [], warnings: [], validBytes: 0 };
  const rows: SampleRow[] = [];
  const warnings: string[] = [];
  const compact = rowCompactor();
  const fd = openSync(path, 'r');
  let validBytes = 0;
  let lineNumber = 0;
  // Bytes of a line that began in an earlier chunk, not yet ended by a newline.
  let pending: Buffer = Buffer.alloc(0);
  try {
    const chunk = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      let buffer = chunk.subarray(0, read);
      if (pending.length) buffer = Buffer.concat([pending, buffer]);
      let start = 0;
      for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
        lineNumber++;
        validBytes += end - start + 1;
        const line = buffer.toString('utf8', start, end);
        start = end + 1;
        if (line.trim() === '') continue;
        try {
          rows.push(compact(JSON.parse(line) as SampleRow));
        } catch {
          warnings.push(`${path}: line ${lineNumber} is not valid JSON; skipped it.`);
        }
      }
      // Copied: the chunk is reused by the next read.
      pending = Buffer.from(buffer.subarray(start));
    }
  } finally {
    closeSync(fd);
  }
  if (pending.length > 0) {
    warnings.push(
      `${path}: the last line is truncated (${pending.length} bytes without a newline, likely a crash or power loss during a write); dropped it. Its trial is not marked done and will run again.`,
    );
  }
  return { rows, warnings, validBytes };
}

/** The string fields whose values repeat across a run's rows (run, cell, workload, metric...). */
const SHARED_STRING_FIELDS = [
  'runId',
  'cellId',
  'trialId',
  'testbed',
  'workload',
  'metric',
  'unit',
  'better',
  'source',
  'startedAt',
  'endedAt',
  'hostDigest',
  'harnessVersion',
] as const;

/**
 * Makes rows share equal strings and equal mechanism records (JSON.parse gives every row its own
 * copies). Rows are read-only to analysis, so sharing is safe.
 */
function rowCompactor(): (row: SampleRow) => SampleRow {
  const strings = new Map<string, string>();
  const mechanisms = new Map<string, Record<string, string>>();
  const shared = (value: string) => {
    const known = strings.get(value);
    if (known !== undefined) return known;
    strings.set(value, value);
    return value;
  };
  return (row) => {
    if (row === null || typeof row !== 'object') return row;
    const fields = row as unknown as Record<string, unknown>;
    for (const field of SHARED_STRING_FIELDS) {
      const value = fields[field];
      if (typeof value === 'string') fields[field] = shared(value);
    }
    if (row.mechanisms && typeof row.mechanisms === 'object') {
      const key = JSON.stringify(row.mechanisms);
      const known = mechanisms.get(key);
      if (known) row.mechanisms = known;
      else mechanisms.set(key, row.mechanisms);
    }
    return row;
  };
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
