import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareRuns, DEFAULT_COMPARE } from '../../analysis/compare.ts';
import { loadRun, type RunData } from '../../analysis/run-data.ts';
import { mannWhitneyU } from '../../analysis/tests.ts';
import { writeSyntheticRun } from '../../bench/synthetic-run.ts';
import { mulberry32 } from '../../harness/util/random.ts';

const root = mkdtempSync(join(tmpdir(), 'rb-history-'));
let counter = 0;
/** A synthetic nightly run of the cpu workload (5 trials per cell, CV about 0.5 %). */
function night(cpuFactor = 1): RunData {
  counter++;
  const dir = join(root, `night-${counter}`);
  writeSyntheticRun(dir, {
    intervals: [25, 100],
    trials: 5,
    workloads: ['cpu'],
    seed: counter * 7919,
    cpuFactor,
    runId: `night-${counter}`,
    createdAt: new Date(Date.UTC(2026, 10, counter)).toISOString(),
  });
  return loadRun(dir);
}

const verdicts = (rows: ReturnType<typeof compareRuns>['rows']) =>
  rows.map((r) => `${r.intervalMs ?? 'baseline'}:${r.verdict}`);

describe('regression detection against synthetic histories', () => {
  const history = [night(), night(), night(), night()];

  it('flags an injected 10 % slowdown in every cell', () => {
    const c = compareRuns(night(0.9), history, 'history');
    expect(c.comparedRunIds).toHaveLength(4);
    expect(verdicts(c.rows)).toEqual(['baseline:regression', '25:regression', '100:regression']);
    expect(c.regressions).toBe(3);
    expect(c.rows[0]?.change).toBeCloseTo(-0.1, 1);
  });

  it('does not flag a 2 % slowdown (below the practical threshold) or pure noise', () => {
    expect(compareRuns(night(0.98), history, 'history').regressions).toBe(0);
    expect(compareRuns(night(1), history, 'history').regressions).toBe(0);
    // With the threshold lowered to 1 %, the same 2 % slowdown is significant and flagged.
    const strict = compareRuns(night(0.98), history, 'history', {
      ...DEFAULT_COMPARE,
      defaultThreshold: 0.01,
    });
    expect(strict.regressions).toBeGreaterThan(0);
  });

  it('says "not enough history" with fewer than 3 comparable runs', () => {
    const c = compareRuns(night(0.9), history.slice(0, 2), 'history');
    expect(new Set(c.rows.map((r) => r.verdict))).toEqual(new Set(['not enough history']));
    expect(c.regressions).toBe(0);
  });

  it('compares a pair of runs, and leaves out runs whose number-changing settings differ', () => {
    expect(compareRuns(night(0.9), [history[0] as RunData], 'pair').regressions).toBe(3);
    const other = night();
    other.manifest.config.matrix.durationS = 20;
    const c = compareRuns(night(), [other], 'pair');
    expect(c.incomparable).toEqual([{ runId: other.manifest.runId, differs: ['durationS'] }]);
    expect(c.rows.every((r) => r.verdict === 'not enough history')).toBe(true);
  });

  it('does not compare a run with buffered output against one without (Remus -n)', () => {
    const withMode = (mode: string) => {
      const run = night();
      const session = run.manifest.sessions.at(-1);
      if (session) session.testbed.mechanisms = { ...session.testbed.mechanisms, networkBuffering: mode };
      return run;
    };
    const c = compareRuns(withMode('sch_plug via libnl'), [withMode('off (-n, unsafe)')], 'pair');
    expect(c.incomparable.map((i) => i.differs)).toEqual([['outputCommit']]);
  });

  it('keeps the false-alarm rate on noise-only data below alpha', () => {
    // 2000 noise-only comparisons: 5 new trials against 20 historic ones from the same normal
    // distribution (CV 3 %). Without the practical threshold the test alone alarms at about alpha;
    // with the 5 % threshold practically never.
    const random = mulberry32(99);
    const normal = () => 100 + 3 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    let significant = 0;
    let alarms = 0;
    const runs = 2000;
    for (let i = 0; i < runs; i++) {
      const fresh = Array.from({ length: 5 }, normal);
      const old = Array.from({ length: 20 }, normal);
      const p = mannWhitneyU(fresh, old).p;
      const change = fresh.reduce((a, b) => a + b) / 5 / (old.reduce((a, b) => a + b) / 20) - 1;
      if (p < 0.01) significant++;
      if (p < 0.01 && Math.abs(change) >= 0.05) alarms++;
    }
    expect(significant / runs).toBeLessThan(0.02);
    expect(alarms / runs).toBeLessThan(0.002);
  });
});
