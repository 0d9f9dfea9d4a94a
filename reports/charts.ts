import type { MetricOverhead, RunAnalysis } from '../analysis/analyze.ts';
import { compareIntervals } from '../harness/store/interval.ts';
import { formatNumber, intervalLabel, latencyCellLabel } from './format.ts';

/**
 * Chart.js configurations built from an analysis: pure data, JSON-serialisable, so the HTML page
 * (chart.js in the browser) and the PDF (chartjs-node-canvas) draw exactly the same charts.
 */
export interface ChartSpec {
  id: string;
  title: string;
  caption: string;
  config: Record<string, unknown>;
}

/**
 * Chart.js has no error bars: this plugin draws dataset.errorBars[i] = { low, high } as whiskers.
 * Kept as source text so that the page can inline it and Node can evaluate the very same code.
 */
const ERROR_BARS_PLUGIN_SOURCE = `({
  id: 'errorBars',
  afterDatasetsDraw(chart) {
    const ctx = chart.ctx;
    const y = chart.scales.y;
    chart.data.datasets.forEach((dataset, di) => {
      const bars = dataset.errorBars;
      if (!bars || chart.getDatasetMeta(di).hidden) return;
      chart.getDatasetMeta(di).data.forEach((element, i) => {
        const bar = bars[i];
        if (!bar || !Number.isFinite(bar.low) || !Number.isFinite(bar.high)) return;
        const top = y.getPixelForValue(bar.high);
        const bottom = y.getPixelForValue(bar.low);
        const half = Math.min(10, (element.width || 16) / 4);
        ctx.save();
        ctx.strokeStyle = '#222';
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(element.x, top); ctx.lineTo(element.x, bottom);
        ctx.moveTo(element.x - half, top); ctx.lineTo(element.x + half, top);
        ctx.moveTo(element.x - half, bottom); ctx.lineTo(element.x + half, bottom);
        ctx.stroke();
        ctx.restore();
      });
    });
  },
})`;

/**
 * Ticks where the data are: a scale with `dataTicks: [...]` shows those values only, each labelled
 * (for log axes, whose own ticks crowd, e.g. "80.0" over "100.0", and which label only 1, 2 and 5
 * times a power of ten). Source text, shared like the error bars.
 */
export const DATA_TICKS_PLUGIN_SOURCE = `({
  id: 'dataTicks',
  beforeInit(chart) {
    // A log axis labels only 1, 2 and 5 times a power of ten: label every chosen tick.
    for (const scale of Object.values(chart.config.options.scales || {}))
      if (Array.isArray(scale.dataTicks))
        scale.ticks = Object.assign({}, scale.ticks, { callback: (value) => String(Number(value.toPrecision(3))) });
  },
  afterBuildTicks(chart, args) {
    const wanted = args.scale.options.dataTicks;
    if (Array.isArray(wanted)) args.scale.ticks = wanted.map((value) => ({ value }));
  },
})`;

/** Every plugin the charts use, as one source text: the HTML page inlines it, the PDF evaluates it. */
export const CHART_PLUGINS_SOURCE = `[${ERROR_BARS_PLUGIN_SOURCE}, ${DATA_TICKS_PLUGIN_SOURCE}]`;

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
];

const base = { animation: false, responsive: false, maintainAspectRatio: false };

/** Overhead ratio (x baseline) of each workload's primary metric per interval, with 95 % bootstrap CI. */
function overheadCharts(a: RunAnalysis): ChartSpec[] {
  return a.best
    .filter((b) => b.ranking.length > 0)
    .map((b) => {
      const cells = a.metrics
        .filter((m) => m.workload === b.workload && m.metric === b.metric && m.overhead)
        .sort((x, y) => compareIntervals(x.intervalMs, y.intervalMs));
      const ratios = cells.map((c) => (c.overhead as MetricOverhead).ratio);
      const top = Math.max(...ratios.map((r) => (Number.isFinite(r.high) ? r.high : r.estimate)));
      return {
        id: `overhead-${b.workload}`,
        title: `${b.workload}: overhead vs checkpoint interval`,
        caption: `Ratio to the unreplicated baseline of ${b.metric} (1 = no overhead; higher is worse), mean over trials with 95 % bootstrap CI. Best: ${b.bestMs} ms.`,
        config: {
          type: 'bar',
          data: {
            labels: cells.map((c) => intervalLabel(c.intervalMs)),
            datasets: [
              {
                label: `${b.metric}: x baseline`,
                data: ratios.map((r) => r.estimate),
                errorBars: ratios.map((r) => ({ low: r.low, high: r.high })),
                backgroundColor: cells.map((c) => (c.intervalMs === b.bestMs ? '#2ca02c' : '#1f77b4')),
              },
            ],
          },
          options: {
            ...base,
            plugins: {
              legend: { display: false },
              title: { display: true, text: `${b.workload} (${b.metric})` },
            },
            scales: {
              x: { title: { display: true, text: 'checkpoint interval' } },
              y: {
                beginAtZero: true,
                suggestedMax: top * 1.1,
                title: { display: true, text: 'x baseline (higher is worse)' },
              },
            },
          },
        },
      };
    });
}

/** Readable ticks for a log axis of ratios within [low, high]: fine near 1, else 1-2-5 per decade. */
function ratioTicks(low: number, high: number): number[] {
  const fine = [0.5, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2];
  const coarse = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];
  return (high < 2 ? fine : coarse).filter((t) => t >= low / 1.05 && t <= high * 1.1);
}

/** The bounds of a log axis over positive values, with a margin. */
function logRange(values: readonly number[]): { low: number; high: number } {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return { low: 0.1, high: 1 };
  return { low: Math.min(...positive) / 1.2, high: Math.max(...positive) * 1.2 };
}

/** 1-2-5 ticks per decade within [low, high], for a log axis of positive values. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++)
    for (const step of [1, 2, 5]) {
      const tick = Number((step * 10 ** decade).toPrecision(3));
      if (tick >= low && tick <= high) ticks.push(tick);
    }
  return ticks;
}

/**
 * The study at a glance: every workload's primary metric relative to its baseline against the
 * fixed checkpoint interval (log x), 95 % CI whiskers, the baseline at 1, each workload's best
 * interval drawn larger. Finding (i) is whether the lines bottom out at different intervals.
 */
function studyChart(a: RunAnalysis): ChartSpec[] {
  const lines = a.best
    .map((b) => ({
      best: b,
      cells: a.metrics
        .filter(
          (m) =>
            m.workload === b.workload &&
            m.metric === b.metric &&
            m.overhead &&
            typeof m.intervalMs === 'number',
        )
        .sort((x, y) => compareIntervals(x.intervalMs, y.intervalMs)),
    }))
    .filter((line) => line.cells.length >= 2);
  if (lines.length === 0) return [];
  const intervals = [...new Set(lines.flatMap((l) => l.cells.map((c) => c.intervalMs as number)))].sort(
    (x, y) => x - y,
  );
  const ratios = lines.flatMap((l) => l.cells.map((c) => (c.overhead as MetricOverhead).ratio));
  const values = ratios
    .flatMap((r) => [r.estimate, r.low, r.high])
    .filter((v) => Number.isFinite(v) && v > 0);
  const top = Math.max(1, ...values);
  const bottom = Math.min(1, ...values);
  const ends = [intervals[0] as number, intervals.at(-1) as number];
  return [
    {
      id: 'study',
      title: 'The study at a glance: overhead against the checkpoint interval',
      caption: `Each workload's primary metric as a ratio to its unreplicated baseline (1 = no overhead; higher is worse), mean over trials with 95 % bootstrap CI whiskers, against the fixed interval (log scale; the adaptive cell has no place on this axis, see the findings). The larger mark is each workload's best interval (${lines.map((l) => `${l.best.workload}: ${l.best.bestMs} ms`).join(', ')}).`,
      config: {
        type: 'scatter',
        data: {
          datasets: [
            ...lines.map((line, i) => ({
              label: `${line.best.workload} (${line.best.metric})`,
              data: line.cells.map((c) => ({
                x: c.intervalMs,
                y: (c.overhead as MetricOverhead).ratio.estimate,
              })),
              errorBars: line.cells.map((c) => {
                const r = (c.overhead as MetricOverhead).ratio;
                return { low: r.low, high: r.high };
              }),
              showLine: true,
              borderColor: PALETTE[i % PALETTE.length],
              backgroundColor: PALETTE[i % PALETTE.length],
              borderWidth: 2,
              pointRadius: line.cells.map((c) => (c.intervalMs === line.best.bestMs ? 8 : 3)),
              pointStyle: line.cells.map((c) => (c.intervalMs === line.best.bestMs ? 'rectRot' : 'circle')),
            })),
            {
              label: 'baseline (1)',
              data: ends.map((x) => ({ x, y: 1 })),
              showLine: true,
              borderColor: '#888888',
              borderDash: [6, 4],
              borderWidth: 1.5,
              pointRadius: 0,
            },
          ],
        },
        options: {
          ...base,
          plugins: { title: { display: true, text: 'overhead (x baseline) per workload' } },
          scales: {
            x: {
              type: 'logarithmic',
              min: (intervals[0] as number) / 1.25,
              max: (intervals.at(-1) as number) * 1.25,
              dataTicks: intervals,
              title: { display: true, text: 'checkpoint interval (ms, log)' },
            },
            y: {
              type: 'logarithmic',
              min: bottom / 1.05,
              max: top * 1.1,
              dataTicks: ratioTicks(bottom, top),
              title: { display: true, text: 'x baseline (log)' },
            },
          },
        },
      },
    },
  ];
}

/** The latency workload's RTT p50/p99 against the interval, with the mechanism's prediction. */
function latencyModelChart(a: RunAnalysis): ChartSpec[] {
  const model = a.latencyModel;
  if (!model) return [];
  const intervals = model.points.map((p) => p.intervalMs);
  const ms = (us: number) => us / 1000;
  const range = logRange(
    model.points
      .flatMap((p) => [
        p.measured.p50Low,
        p.measured.p99High,
        p.predicted.p50,
        p.predicted.p99,
        p.measured.p50,
      ])
      .concat(model.baseline.p50)
      .map(ms),
  );
  const ends = [intervals[0] as number, intervals.at(-1) as number];
  const measured = (q: 'p50' | 'p99', colour: string) => ({
    label: `measured RTT ${q}`,
    data: model.points.map((p) => ({ x: p.intervalMs, y: ms(p.measured[q]) })),
    errorBars: model.points.map((p) => ({
      low: ms(q === 'p50' ? p.measured.p50Low : p.measured.p99Low),
      high: ms(q === 'p50' ? p.measured.p50High : p.measured.p99High),
    })),
    showLine: true,
    borderColor: colour,
    backgroundColor: colour,
    borderWidth: 2,
    pointRadius: 4,
  });
  const predicted = (q: 'p50' | 'p99', colour: string) => ({
    label: `predicted ${q}`,
    data: model.points.map((p) => ({ x: p.intervalMs, y: ms(p.predicted[q]) })),
    showLine: true,
    borderColor: colour,
    backgroundColor: colour,
    borderDash: [6, 4],
    borderWidth: 2,
    pointRadius: 0,
  });
  const rule = model.outputHeld
    ? 'Output held until the checkpoint commits: predicted q-quantile = baseline p50 + q x interval (the wait for the next checkpoint) + pause p50 + commit p50.'
    : "Output not held (this testbed's replies leave at once): only a request that lands in a pause waits; the prediction is that pause-only expectation (quantiles below 1 - pause/interval are the baseline's own).";
  return [
    {
      id: 'latency-model',
      title: 'Latency against the mechanism: measured and predicted RTT',
      caption: `The latency workload's RTT p50 and p99 per fixed interval, mean over trials with 95 % bootstrap CI whiskers, and the protection model's prediction from this run's own baseline and checkpoint figures (dashed). ${rule}${model.pauseMeasured ? '' : ' This testbed does not measure the pause: the prediction leaves it out.'} Log scales.`,
      config: {
        type: 'scatter',
        data: {
          datasets: [
            measured('p50', PALETTE[0] as string),
            predicted('p50', PALETTE[0] as string),
            measured('p99', PALETTE[1] as string),
            predicted('p99', PALETTE[1] as string),
            {
              label: 'baseline p50',
              data: ends.map((x) => ({ x, y: ms(model.baseline.p50) })),
              showLine: true,
              borderColor: '#888888',
              borderDash: [2, 3],
              borderWidth: 1.5,
              pointRadius: 0,
            },
          ],
        },
        options: {
          ...base,
          plugins: { title: { display: true, text: 'RTT (ms) against the checkpoint interval' } },
          scales: {
            x: {
              type: 'logarithmic',
              min: (ends[0] as number) / 1.25,
              max: (ends[1] as number) * 1.25,
              dataTicks: intervals,
              title: { display: true, text: 'checkpoint interval (ms, log)' },
            },
            y: {
              type: 'logarithmic',
              min: range.low,
              max: range.high,
              dataTicks: logTicks(range.low, range.high),
              title: { display: true, text: 'RTT (ms, log)' },
            },
          },
        },
      },
    },
  ];
}

function latencyCharts(a: RunAnalysis): ChartSpec[] {
  if (a.latency.length === 0) return [];
  const labels = a.latency[0]?.percentiles.map((p) => `p${p.percentile}`) ?? [];
  const percentileRange = logRange(
    a.latency.flatMap((c) => c.percentiles.flatMap((p) => [p.low, p.mean, p.high])).map((us) => us / 1000),
  );
  const cdfRange = logRange(a.latency.flatMap((c) => c.cdf.map(([us]) => us / 1000)));
  const percentiles: ChartSpec = {
    id: 'latency-percentiles',
    title: 'Latency: RTT percentiles per interval',
    caption:
      'Per-trial percentiles from the stored µs histograms, mean over trials with 95 % bootstrap CI; log scale.',
    config: {
      type: 'bar',
      data: {
        labels,
        datasets: a.latency.map((cell, i) => ({
          label: latencyCellLabel(a, cell),
          data: cell.percentiles.map((p) => p.mean / 1000),
          errorBars: cell.percentiles.map((p) => ({ low: p.low / 1000, high: p.high / 1000 })),
          backgroundColor: PALETTE[i % PALETTE.length],
        })),
      },
      options: {
        ...base,
        plugins: { title: { display: true, text: 'RTT percentiles (ms)' } },
        scales: {
          y: {
            type: 'logarithmic',
            min: percentileRange.low,
            max: percentileRange.high,
            dataTicks: logTicks(percentileRange.low, percentileRange.high),
            title: { display: true, text: 'RTT (ms, log)' },
          },
        },
      },
    },
  };
  const cdf: ChartSpec = {
    id: 'latency-cdf',
    title: 'Latency: RTT distribution (CDF) per interval',
    caption:
      'All trials of a cell merged. Under protection a reply waits for the next commit: RTTs spread over one interval.',
    config: {
      type: 'line',
      data: {
        datasets: a.latency.map((cell, i) => ({
          label: latencyCellLabel(a, cell),
          data: cell.cdf.map(([us, f]) => ({ x: us / 1000, y: f })),
          borderColor: PALETTE[i % PALETTE.length],
          backgroundColor: PALETTE[i % PALETTE.length],
          pointRadius: 0,
          borderWidth: 2,
          stepped: true,
        })),
      },
      options: {
        ...base,
        plugins: { title: { display: true, text: 'RTT CDF' } },
        scales: {
          x: {
            type: 'logarithmic',
            min: cdfRange.low,
            max: cdfRange.high,
            dataTicks: logTicks(cdfRange.low, cdfRange.high),
            title: { display: true, text: 'RTT (ms, log)' },
          },
          y: { min: 0, max: 1, title: { display: true, text: 'fraction of requests' } },
        },
      },
    },
  };
  return [percentiles, cdf];
}

function checkpointCharts(a: RunAnalysis): ChartSpec[] {
  if (a.checkpoints.length === 0) return [];
  const labels = a.checkpoints.map((c) => c.cellId);
  return [
    {
      id: 'checkpoint-rate',
      title: 'Checkpoints: effective vs configured rate',
      caption:
        'Checkpoints per second, mean over trials. An effective rate below the configured one means the checkpoint could not keep up.',
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: [
            {
              label: 'configured /s',
              data: a.checkpoints.map((c) => c.configuredHz),
              backgroundColor: '#bbbbbb',
            },
            {
              label: 'effective /s',
              data: a.checkpoints.map((c) => c.effectiveHz),
              backgroundColor: '#1f77b4',
            },
          ],
        },
        options: {
          ...base,
          plugins: { title: { display: true, text: 'checkpoints per second' } },
          scales: { y: { beginAtZero: true } },
        },
      },
    },
    {
      id: 'checkpoint-pause',
      title: 'Checkpoints: pause time',
      caption:
        'Guest-visible pause per checkpoint (freeze to thaw), p50 and p99 per trial, mean over trials.',
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: [
            {
              label: 'pause p50 (µs)',
              data: a.checkpoints.map((c) => c.pauseP50Us),
              backgroundColor: '#2ca02c',
            },
            {
              label: 'pause p99 (µs)',
              data: a.checkpoints.map((c) => c.pauseP99Us),
              backgroundColor: '#d62728',
            },
          ],
        },
        options: {
          ...base,
          plugins: { title: { display: true, text: 'pause (µs)' } },
          scales: { y: { beginAtZero: true } },
        },
      },
    },
  ];
}

/** Pause against dirty pages of every checkpoint (sampled), per interval, with the fitted line. */
function pauseCostChart(a: RunAnalysis): ChartSpec[] {
  const cost = a.pauseCost;
  if (!cost) return [];
  const pages = cost.cells.flatMap((c) => c.points.map(([x]) => x));
  const low = Math.min(...pages);
  const high = Math.max(...pages);
  const fit = cost.fit;
  const stored = cost.cells.reduce((sum, c) => sum + c.checkpoints, 0);
  const drawn = cost.cells.reduce((sum, c) => sum + c.points.length, 0);
  const fitText = fit
    ? `Least-squares line over all ${fit.n} checkpoints: pause = ${formatNumber(fit.intercept)} µs + ${formatNumber(fit.slope)} µs per dirty page (r² ${formatNumber(fit.r2)}).`
    : 'Too few distinct page counts for a line.';
  return [
    {
      id: 'pause-cost',
      title: 'Checkpoints: pause against dirty pages',
      caption: `Each point is one checkpoint after the first (the first copies all memory): its guest-visible pause against the pages it copied, coloured by interval${drawn < stored ? ` (${drawn} of ${stored} drawn, every k-th)` : ''}. ${fitText}`,
      config: {
        type: 'scatter',
        data: {
          datasets: [
            ...cost.cells.map((cell, i) => ({
              label: intervalLabel(cell.intervalMs),
              data: cell.points.map(([x, y]) => ({ x, y })),
              borderColor: PALETTE[i % PALETTE.length],
              backgroundColor: `${PALETTE[i % PALETTE.length]}99`,
              pointRadius: 2,
            })),
            ...(fit
              ? [
                  {
                    label: `fit: ${formatNumber(fit.slope)} µs/page`,
                    data: [low, high].map((x) => ({ x, y: fit.intercept + fit.slope * x })),
                    showLine: true,
                    borderColor: '#222222',
                    borderWidth: 2,
                    pointRadius: 0,
                  },
                ]
              : []),
          ],
        },
        options: {
          ...base,
          plugins: { title: { display: true, text: 'pause (µs) against dirty pages per checkpoint' } },
          scales: {
            x: { beginAtZero: true, title: { display: true, text: 'dirty pages copied' } },
            y: { beginAtZero: true, title: { display: true, text: 'pause (µs)' } },
          },
        },
      },
    },
  ];
}

/**
 * The nightly trend: each cell's primary metric run by run against history, as the overhead
 * ratios are drawn (above 1 is worse): value / mean of the earlier runs, or its inverse where
 * higher is better. The new run's point is marked when it is a regression or an improvement.
 */
function trendChart(a: RunAnalysis): ChartSpec[] {
  const series = a.comparison?.trend.filter((t) => t.points.length >= 2) ?? [];
  if (series.length === 0) return [];
  const runs = [
    ...new Map(series.flatMap((t) => t.points.map((p) => [p.runId, p.createdAt] as const))).entries(),
  ].sort((x, y) => x[1].localeCompare(y[1]));
  const labels = runs.map(
    ([runId, createdAt]) =>
      `${createdAt.slice(0, 16).replace('T', ' ')} (${runId.length <= 12 ? runId : runId.slice(-6)})`,
  );
  const marks = { regression: '#d62728', improvement: '#2ca02c' } as const;
  const datasets = series.map((t, i) => {
    const earlier = t.points.slice(0, -1).map((p) => p.mean);
    const reference = earlier.reduce((sum, v) => sum + v, 0) / earlier.length;
    const relative = (value: number) => (t.better === 'higher' ? reference / value : value / reference);
    const byRun = new Map(t.points.map((p) => [p.runId, relative(p.mean)]));
    const last = runs.length - 1;
    const mark = t.verdict === 'regression' || t.verdict === 'improvement' ? marks[t.verdict] : null;
    const colour = PALETTE[i % PALETTE.length] as string;
    return {
      label: `${t.workload} ${intervalLabel(t.intervalMs)} (${t.metric})${mark ? `: ${t.verdict}` : ''}`,
      data: runs.map(([runId]) => byRun.get(runId) ?? null),
      borderColor: colour,
      backgroundColor: runs.map((_, r) => (r === last && mark ? mark : colour)),
      pointRadius: runs.map((_, r) => (r === last && mark ? 9 : 3)),
      pointStyle: runs.map((_, r) => (r === last && mark ? 'crossRot' : 'circle')),
      pointBorderColor: runs.map((_, r) => (r === last && mark ? mark : colour)),
      pointBorderWidth: runs.map((_, r) => (r === last && mark ? 3 : 1)),
      borderWidth: 1.5,
      spanGaps: true,
    };
  });
  const regressions = series.filter((t) => t.verdict === 'regression').length;
  return [
    {
      id: 'trend',
      title: 'Trend: each cell against its history',
      caption: `Each cell's primary metric per run, relative to its mean over the earlier comparable runs (1 = as before; above 1 is worse, as for the overhead ratios), oldest run first, this run last. ${regressions ? `${regressions} regression(s), marked with a red cross` : 'No regression'}; improvements are marked green. A mark needs a significant change on trials larger than the threshold (see the table).`,
      config: {
        type: 'line',
        data: { labels, datasets },
        options: {
          ...base,
          plugins: {
            title: { display: true, text: 'primary metric relative to history (above 1 is worse)' },
          },
          scales: {
            x: { title: { display: true, text: 'run (created at, UTC)' } },
            y: { title: { display: true, text: 'relative to earlier runs' } },
          },
        },
      },
    },
  ];
}

export function buildCharts(a: RunAnalysis): ChartSpec[] {
  return [
    ...studyChart(a),
    ...overheadCharts(a),
    ...latencyModelChart(a),
    ...latencyCharts(a),
    ...checkpointCharts(a),
    ...pauseCostChart(a),
    ...trendChart(a),
  ];
}
