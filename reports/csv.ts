import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunAnalysis } from '../analysis/analyze.ts';
import type { Reporter } from './types.ts';

const quote = (v: unknown) => {
  const s = v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** cells.csv: one row per cell and metric with every statistic, for anyone's own tools. */
export function renderCsv(a: RunAnalysis): string {
  const header = [
    'run_id',
    'cell',
    'workload',
    'interval_ms',
    'metric',
    'unit',
    'better',
    'source',
    'n',
    'mean',
    'ci95_low',
    'ci95_high',
    'median',
    'min',
    'max',
    'cv',
    'overhead_ratio',
    'overhead_ratio_low',
    'overhead_ratio_high',
    'overhead_abs',
    'mde_relative',
    'outliers_tukey',
    'outliers_mad',
  ];
  const rows = a.metrics.map((m) => [
    a.runId,
    m.cellId,
    m.workload,
    m.intervalMs ?? 'baseline',
    m.metric,
    m.unit,
    m.better,
    m.source,
    m.n,
    m.mean,
    m.ci.low,
    m.ci.high,
    m.median,
    m.min,
    m.max,
    m.cv,
    m.overhead?.ratio.estimate,
    m.overhead?.ratio.low,
    m.overhead?.ratio.high,
    m.overhead?.absolute,
    m.overhead?.minimumDetectable,
    m.outliers.tukey.join(' '),
    m.outliers.mad.join(' '),
  ]);
  return `${[header, ...rows].map((r) => r.map(quote).join(',')).join('\n')}\n`;
}

export const csvReporter: Reporter = {
  format: 'csv',
  async write(analysis, outDir) {
    const path = join(outDir, 'cells.csv');
    writeFileSync(path, renderCsv(analysis));
    return [path];
  },
};
