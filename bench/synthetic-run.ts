import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { CHECKPOINTS_ARTIFACT } from '../analysis/run-data.ts';
import { DEFAULT_CONFIG } from '../harness/config/presets.ts';
import type { Config } from '../harness/config/schema.ts';
import { cellId, trialId } from '../harness/plan/plan.ts';
import { ADAPTIVE, type CheckpointInterval } from '../harness/store/interval.ts';
import type { Manifest } from '../harness/store/manifest.ts';
import type { SampleRow } from '../harness/store/samples.ts';
import type { RunState } from '../harness/store/state.ts';
import { mulberry32 } from '../harness/util/random.ts';

/**
 * Writes a run directory with made-up measurements, in exactly the stored format, for report tests
 * and the report benchmark. The numbers are generated, never presented as measured: the testbed is
 * named "synthetic" and the manifest says so.
 */
export interface SyntheticOptions {
  intervals: CheckpointInterval[];
  trials: number;
  workloads: ('cpu' | 'latency')[];
  seed: number;
  /** Cells left unfinished: their first trial done, the rest failed with a reason. */
  failedCells?: string[];
  /** Samples per latency histogram (smaller is faster for big runs). */
  histogramSamples?: number;
  runId?: string;
  createdAt?: string;
  /** Multiplies cpu events/s (0.9 = a 10 % slowdown). */
  cpuFactor?: number;
  /**
   * Memory replicated at each checkpoint: each protected trial also stores its checkpoints
   * (artifacts/<trial>/checkpoints.json, 5 s of them) with dirty pages and a pause that grows with them.
   */
  memoryReplicated?: boolean;
}

export function writeSyntheticRun(dir: string, options: SyntheticOptions): string {
  const random = mulberry32(options.seed);
  const noise = (sd: number) => (random() + random() + random() - 1.5) * sd * 2;
  // Made up: about 40 pages dirtied per ms of epoch, 150 µs plus 0.8 µs per page of pause.
  const writeCheckpoints = (folder: string, epochMs: number) => {
    const checkpoints = Array.from({ length: Math.round(5000 / epochMs) }, (_, i) => {
      const dirtyPages = Math.round(40 * epochMs * (0.7 + 0.6 * random()));
      return { epoch: i + 1, dirtyPages, pauseUs: Math.round(150 + 0.8 * dirtyPages + noise(60)) };
    });
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, CHECKPOINTS_ARTIFACT), JSON.stringify({ summary: {}, checkpoints }));
  };
  const runId = options.runId ?? 'synthetic-run';
  const createdAt = options.createdAt ?? new Date(0).toISOString();
  mkdirSync(join(dir, 'artifacts'), { recursive: true });
  const config: Config = {
    ...DEFAULT_CONFIG,
    matrix: {
      ...DEFAULT_CONFIG.matrix,
      intervals: options.intervals,
      trials: options.trials,
      workloads: options.workloads,
    },
  };
  const intervals: (CheckpointInterval | null)[] = [null, ...options.intervals];
  const cells = options.workloads.flatMap((workload) =>
    intervals.map((intervalMs) => ({
      id: cellId(workload, intervalMs),
      workload,
      intervalMs,
      runnable: true,
    })),
  );
  const state: RunState = { schema: 1, updatedAt: new Date(0).toISOString(), cells: {} };
  const rows: string[] = [];
  const mechanisms = {
    freezer: 'synthetic',
    replication: options.memoryReplicated ? 'synthetic' : 'none',
    outputCommit: 'tcp-proxy',
  };
  for (const cell of cells) {
    const failed = options.failedCells?.includes(cell.id) ?? false;
    state.cells[cell.id] = { status: failed ? 'failed' : 'done', trials: {} };
    for (let trial = 1; trial <= options.trials; trial++) {
      const id = trialId(cell.id, trial);
      const cellState = state.cells[cell.id] as RunState['cells'][string];
      if (failed && trial > 1) {
        cellState.trials[id] = { status: 'failed', reason: 'synthetic failure: sysbench exited with 1' };
        cellState.reason = 'synthetic failure: sysbench exited with 1';
        continue;
      }
      cellState.trials[id] = { status: 'done' };
      const t = cell.intervalMs;
      // The adaptive cell as its policy converges: a guest with no output (cpu) at the upper bound,
      // one that talks (latency) at the lower one.
      const epochMs = t === ADAPTIVE ? (cell.workload === 'cpu' ? 400 : 25) : t;
      const row = (
        metric: string,
        value: number,
        unit: string,
        better: SampleRow['better'],
        source: SampleRow['source'],
      ) =>
        rows.push(
          JSON.stringify({
            schema: 1,
            runId,
            cellId: cell.id,
            trialId: id,
            trial,
            testbed: 'synthetic',
            workload: cell.workload,
            intervalMs: t,
            metric,
            value,
            unit,
            better,
            source,
            startedAt: '',
            endedAt: '',
            durationS: 5,
            warmupS: 1,
            seed: options.seed,
            mechanisms,
            hostDigest: 'synthetic',
            harnessVersion: '0',
          } satisfies SampleRow),
        );
      if (cell.workload === 'cpu') {
        // A made-up cost of 3 ms per checkpoint: longer intervals cost clearly less.
        const pauseShare = epochMs === null ? 0 : 3 / epochMs;
        row(
          'events_per_s',
          4500 * (1 - pauseShare - (epochMs === null ? 0 : 0.004)) * (options.cpuFactor ?? 1) + noise(20),
          'events/s',
          'higher',
          'workload',
        );
      } else {
        const hist = build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: 60_000_000,
          numberOfSignificantValueDigits: 3,
        });
        const n = options.histogramSamples ?? 1000;
        for (let i = 0; i < n; i++) {
          const base = 300 + random() * 100;
          hist.recordValue(Math.round(epochMs === null ? base : base + random() * epochMs * 1000));
        }
        const artifact = join(dir, 'artifacts', id.replace('#', '_'));
        mkdirSync(artifact, { recursive: true });
        writeFileSync(join(artifact, 'rtt-histogram.hdr.b64'), `${encodeIntoCompressedBase64(hist)}\n`);
        row('rtt_p50_us', hist.getValueAtPercentile(50), 'µs', 'lower', 'workload');
        row('rtt_p99_us', hist.getValueAtPercentile(99), 'µs', 'lower', 'workload');
        row('lost', 0, 'count', 'lower', 'workload');
      }
      if (epochMs !== null) {
        if (t === ADAPTIVE) row('configured_rate_hz', 1000 / epochMs, '1/s', 'info', 'protection');
        row('effective_rate_hz', (1000 / epochMs) * (0.99 + noise(0.003)), '1/s', 'info', 'protection');
        row('pause_p50_us', 250 + noise(30), 'µs', 'lower', 'protection');
        row('pause_p99_us', 900 + noise(100), 'µs', 'lower', 'protection');
        row('missed_epochs', 0, 'count', 'lower', 'protection');
        if (options.memoryReplicated) writeCheckpoints(join(dir, 'artifacts', id.replace('#', '_')), epochMs);
      }
    }
  }
  const host = {
    hostname: 'synthetic',
    kernel: 'n/a',
    os: 'synthetic data',
    arch: 'x64',
    cpuModel: 'none',
    cores: 2,
    memoryBytes: 2 ** 34,
    loadAverage1m: 0,
    uid: 0,
    node: process.version,
    harnessVersion: '0',
    harnessCommit: null,
    tools: {},
  };
  const manifest: Manifest = {
    schema: 1,
    runId,
    createdAt,
    harnessVersion: '0',
    config,
    configHash: 'synthetic',
    seed: options.seed,
    cells,
    order: [],
    sessions: [
      {
        startedAt: new Date(0).toISOString(),
        resumed: false,
        host,
        hostDigest: 'synthetic',
        testbed: {
          name: 'synthetic',
          mechanisms,
          details: {},
          fallbacks: [],
          caveats: ['Synthetic data generated for tests and benchmarks; nothing was measured.'],
        },
      },
    ],
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  writeFileSync(join(dir, 'samples.jsonl'), `${rows.join('\n')}\n`);
  return dir;
}
