import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeRun } from '../../analysis/analyze.ts';
import { loadRun } from '../../analysis/run-data.ts';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';

const synthetic = (options: Parameters<typeof writeSyntheticRun>[1]) =>
  analyzeRun(loadRun(writeSyntheticRun(mkdtempSync(join(tmpdir(), 'rb-analysis-')), options)));

describe('analyzeRun on a stored run', () => {
  const a = synthetic({ intervals: [25, 100, 400], trials: 5, workloads: ['cpu', 'latency'], seed: 3 });

  it('orients overhead ratios so that higher is worse for throughput and latency alike', () => {
    const cpu25 = a.metrics.find((m) => m.cellId === 'cpu@25ms' && m.metric === 'events_per_s');
    const lat25 = a.metrics.find((m) => m.cellId === 'latency@25ms' && m.metric === 'rtt_p50_us');
    expect(cpu25?.overhead?.ratio.estimate).toBeGreaterThan(1);
    expect(cpu25?.overhead?.relative).toBeGreaterThan(0);
    expect(lat25?.overhead?.ratio.estimate).toBeGreaterThan(10);
    expect(lat25?.overhead?.ratio.low).toBeLessThanOrEqual(lat25?.overhead?.ratio.estimate as number);
  });

  it("finds the best interval per workload and the study's finding (i)", () => {
    expect(a.best.find((b) => b.workload === 'cpu')?.bestMs).toBe(400);
    expect(a.best.find((b) => b.workload === 'latency')?.bestMs).toBe(25);
    const [bestInterval, latency, rate] = a.findings;
    expect(bestInterval?.verdict).toMatch(/^Yes: no single interval is best/);
    expect(latency?.verdict).toMatch(/^Yes: even at the shortest interval \(25 ms\)/);
    expect(rate?.verdict).toMatch(/kept up/);
  });

  it("takes the metric specs from the manifest; a run written before they were recorded gets the module list's", () => {
    // writeSyntheticRun writes the older manifest, without `metrics`.
    expect(a.metricSpecs.cpu?.find((m) => m.primary)?.name).toBe('events_per_s');
    expect(a.best.find((b) => b.workload === 'latency')?.metric).toBe('rtt_p50_us');
    const dir = writeSyntheticRun(mkdtempSync(join(tmpdir(), 'rb-analysis-')), {
      intervals: [25, 100, 400],
      trials: 3,
      workloads: ['cpu', 'latency'],
      seed: 3,
    });
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    // A run whose latency workload was judged by its p99: the recorded spec decides.
    manifest.metrics = {
      cpu: [{ name: 'events_per_s', unit: 'events/s', better: 'higher', primary: true, headline: true }],
      latency: [
        { name: 'rtt_p50_us', unit: 'µs', better: 'lower', headline: true },
        { name: 'rtt_p99_us', unit: 'µs', better: 'lower', primary: true, headline: true },
      ],
    };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const recorded = analyzeRun(loadRun(dir));
    expect(recorded.best.find((b) => b.workload === 'latency')?.metric).toBe('rtt_p99_us');
    expect(recorded.findings[1]?.verdict).toMatch(/Not testable in this run/);
  });

  it('ranks the fixed intervals and says where the adaptive cell lands against the best one', () => {
    const withAdaptive = synthetic({
      intervals: [25, 100, 400, 'adaptive'],
      trials: 5,
      workloads: ['cpu', 'latency'],
      seed: 3,
    });
    const cpu = withAdaptive.best.find((b) => b.workload === 'cpu');
    const latency = withAdaptive.best.find((b) => b.workload === 'latency');
    expect(cpu?.bestMs).toBe(400);
    expect(cpu?.ranking.map((r) => r.intervalMs)).toEqual(expect.not.arrayContaining(['adaptive']));
    expect(cpu?.ranking).toHaveLength(3);
    // The synthetic adaptive cell behaves as its policy converges (cpu at 400 ms, latency at 25 ms):
    // each one ties with its workload's best fixed interval, not with the other's.
    expect(cpu?.adaptive?.versusBest).toBe('tied');
    expect(latency?.bestMs).toBe(25);
    expect(latency?.adaptive?.versusBest).toBe('tied');
    const cpu25 = withAdaptive.metrics.find((m) => m.cellId === 'cpu@25ms' && m.metric === 'events_per_s');
    const cpuAdaptive = withAdaptive.metrics.find(
      (m) => m.cellId === 'cpu@adaptive' && m.metric === 'events_per_s',
    );
    expect(cpuAdaptive?.overhead?.ratio.estimate).toBeLessThan(cpu25?.overhead?.ratio.estimate as number);
    expect(withAdaptive.findings[0]?.verdict).toMatch(
      /Adaptive: better than the best fixed interval for 0, tied for 2, worse for 0 of 2 workloads \(cpu: tied, latency: tied\)/,
    );
    expect(withAdaptive.findings[0]?.evidence.join('\n')).toMatch(
      /adaptive x\d\.\d+ \[[^\]]+\], tied with the best fixed/,
    );
    // Cells sort baseline, fixed by length, adaptive last; its rate is the one its epochs ran at.
    const cpuCells = withAdaptive.metrics.filter((m) => m.workload === 'cpu' && m.metric === 'events_per_s');
    expect(cpuCells.map((m) => m.intervalMs)).toEqual([null, 25, 100, 400, 'adaptive']);
    const rate = withAdaptive.checkpoints.find((c) => c.cellId === 'cpu@adaptive');
    expect(rate?.configuredHz).toBe(2.5);
    expect(rate?.belowConfigured).toBe(false);
  });

  it('reads latency percentiles from the stored histograms, with CIs across trials', () => {
    const base = a.latency.find((l) => l.intervalMs === null);
    const p50 = base?.percentiles.find((p) => p.percentile === 50);
    expect(p50?.mean).toBeGreaterThan(300);
    expect(p50?.mean).toBeLessThan(400);
    expect(base?.cdf.at(-1)?.[1]).toBe(1);
    expect(a.latency.find((l) => l.intervalMs === 400)?.trials).toBe(5);
  });

  it('reports failed and missing cells instead of hiding them', () => {
    const partial = synthetic({
      intervals: [25],
      trials: 3,
      workloads: ['cpu'],
      seed: 4,
      failedCells: ['cpu@25ms'],
    });
    expect(partial.missing).toEqual([
      {
        cellId: 'cpu@25ms',
        status: 'failed',
        reason: 'synthetic failure: sysbench exited with 1',
        doneTrials: 1,
        plannedTrials: 3,
      },
    ]);
    expect(partial.warnings.join('\n')).toMatch(
      /Cell cpu@25ms: 1 of 3 trials done \(failed: synthetic failure/,
    );
    expect(partial.trialsDone).toBe(4);
  });

  it('does not blame output commit for latency when network output was not buffered (xl remus -n)', () => {
    const dir = writeSyntheticRun(mkdtempSync(join(tmpdir(), 'rb-analysis-')), {
      intervals: [25],
      trials: 3,
      workloads: ['latency'],
      seed: 6,
    });
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    manifest.sessions[0].testbed.mechanisms = {
      replication: 'xl remus',
      networkBuffering: 'off (-n, unsafe)',
    };
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const latency = analyzeRun(loadRun(dir)).findings[1];
    expect(latency?.verdict).toMatch(/not held \(unbuffered mode\)/);
    expect(latency?.verdict).not.toMatch(/waits for the next checkpoint/);
    expect(latency?.evidence.join(' ')).not.toMatch(/half the interval/);
    expect(latency?.caveats.join(' ')).toMatch(/NOT buffered/);
  });

  it('states when a finding cannot be tested', () => {
    const cpuOnly = synthetic({ intervals: [25], trials: 2, workloads: ['cpu'], seed: 5 });
    expect(cpuOnly.findings[0]?.verdict).toMatch(/^Not testable/);
    expect(cpuOnly.findings[1]?.verdict).toMatch(/^Not testable/);
  });
});
