import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { RunAnalysis } from '../analysis/analyze.ts';
import { buildCharts, CHART_PLUGINS_SOURCE } from './charts.ts';
import { escapeHtml as esc } from './format.ts';
import {
  checkpointTable,
  comparisonSummary,
  comparisonTable,
  latencyTable,
  metadataPairs,
  metricTables,
  pairTable,
  type Table,
} from './tables.ts';
import type { Reporter } from './types.ts';

/** chart.js's UMD build, inlined so that the page makes no network request. */
function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chart.js');
  const source = readFileSync(join(dirname(main), 'chart.umd.min.js'), 'utf8');
  return source.replace(/\/\/# sourceMappingURL=.*$/m, '').replaceAll('</script', '<\\/script');
}

function tableHtml(table: Table): string {
  const head = table.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = table.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('\n');
  return `<h3>${esc(table.title)}</h3>
<table><thead><tr>${head}</tr></thead><tbody>${body || `<tr><td colspan="${table.header.length}">no data</td></tr>`}</tbody></table>
${table.note ? `<p class="note">${esc(table.note)}</p>` : ''}`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1b1b1b; margin: 0 auto; max-width: 1100px; padding: 24px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { border-bottom: 2px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
.sub { color: #555; margin-top: 0; }
details.other-metrics summary { cursor: pointer; font-weight: 600; margin: 16px 0 8px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td:nth-child(n+3) { font-variant-numeric: tabular-nums; }
.finding { border-left: 4px solid #1f77b4; background: #f7f9fc; padding: 8px 12px; margin: 12px 0; }
.finding .verdict { font-weight: 600; } .finding ul { margin: 4px 0; } .caveat { color: #6b5900; }
.warnings li, .regression { color: #8a1c1c; font-weight: 600; } .note { color: #555; font-size: 12px; }
.chart { margin: 16px 0; page-break-inside: avoid; } .chart canvas { max-width: 100%; border: 1px solid #eee; }
.chart p { color: #444; font-size: 12px; margin: 4px 0; }
@media print { body { max-width: none; padding: 0; } h2 { page-break-before: auto; } .chart { page-break-inside: avoid; } }
`;

/** The page's own script: draws every chart from the embedded data, then sets a ready flag. */
const PAGE_SCRIPT = `
const charts = JSON.parse(document.getElementById('chart-data').textContent);
const plugins = ${CHART_PLUGINS_SOURCE};
for (const spec of charts) {
  const canvas = document.getElementById('chart-' + spec.id);
  new Chart(canvas.getContext('2d'), Object.assign({}, spec.config, { plugins }));
}
window.__chartsReady = true;
`;

/** Every stored metric beyond the headline ones, collapsed: there for whoever needs it. */
function otherMetricsHtml(a: RunAnalysis): string {
  const tables = metricTables(a, 'rest');
  if (tables.length === 0) return '';
  const rows = tables.reduce((sum, t) => sum + t.rows.length, 0);
  return `<details class="other-metrics"><summary>Every other stored metric (${rows} rows in ${tables.length} tables; also in cells.csv)</summary>
${tables.map(tableHtml).join('\n')}
</details>`;
}

/** The regression section: verdict per metric against the run's history, with the trend chart. */
function comparisonHtml(a: RunAnalysis, trend: string): string {
  const c = a.comparison;
  if (!c) return '';
  const summary = comparisonSummary(c);
  const noteHtml = summary.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
  const verdict = `<p${summary.regressed ? ' class="regression"' : ''}>${esc(summary.verdict)}</p>`;
  if (summary.rows.length === 0) return `<h2>Regressions against history</h2>\n${verdict}${noteHtml}`;
  const table = comparisonTable(c, summary.rows);
  return `<h2>Regressions against history</h2>\n${verdict}\n${trend}${tableHtml(table)}${noteHtml}`;
}

export function renderHtml(a: RunAnalysis): string {
  const charts = buildCharts(a);
  const findings = a.findings
    .map(
      (
        f,
      ) => `<div class="finding"><div><strong>${esc(f.title)}</strong></div><div class="verdict">${esc(f.verdict)}</div>
<ul>${f.evidence.map((e) => `<li>${esc(e)}</li>`).join('')}</ul>
${f.caveats.map((c) => `<div class="caveat">Caveat: ${esc(c)}</div>`).join('')}</div>`,
    )
    .join('\n');
  const chartHtml = (id: string) => {
    const spec = charts.find((c) => c.id === id);
    return spec
      ? `<div class="chart"><h3>${esc(spec.title)}</h3><canvas id="chart-${esc(spec.id)}" width="960" height="380"></canvas><p>${esc(spec.caption)}</p></div>`
      : '';
  };
  const overheadCharts = charts
    .filter((c) => c.id.startsWith('overhead-'))
    .map((c) => chartHtml(c.id))
    .join('\n');
  const warnings = a.warnings.length
    ? `<ul class="warnings">${a.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
    : '<p>None.</p>';
  const meta = metadataPairs(a)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>remus-bench report ${esc(a.runId)}</title><style>${STYLE}</style></head>
<body>
<h1>Remus replication overhead</h1>
<p class="sub">Run ${esc(a.runId)} on the ${esc(a.testbed)} testbed, ${esc(a.createdAt)}; ${a.trialsDone} of ${a.trialsPlanned} trials done.</p>
<h2>Findings</h2>
${chartHtml('study')}
${findings}
<h2>Overhead per workload</h2>
${overheadCharts || '<p>No protected cell with a baseline to compare against.</p>'}
${metricTables(a).map(tableHtml).join('\n')}
${otherMetricsHtml(a)}
<h2>Latency</h2>
${chartHtml('latency-model')}
${chartHtml('latency-percentiles')}
${chartHtml('latency-cdf')}
${a.latency.length ? tableHtml(latencyTable(a)) : '<p>No latency cells in this run.</p>'}
<h2>Checkpoints</h2>
${chartHtml('checkpoint-rate')}
${chartHtml('pause-cost')}
${chartHtml('checkpoint-pause')}
${tableHtml(checkpointTable(a))}
${a.pairs.length ? `<h2>By host pair</h2>\n${tableHtml(pairTable(a))}` : ''}
${comparisonHtml(a, chartHtml('trend'))}
<h2>Warnings</h2>
${warnings}
<h2>Run metadata</h2>
<table>${meta}</table>
<script type="application/json" id="chart-data">${JSON.stringify(charts).replaceAll('<', '\\u003c')}</script>
<script>${chartJsSource()}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

export const htmlReporter: Reporter = {
  format: 'html',
  async write(analysis, outDir) {
    const path = join(outDir, 'report.html');
    writeFileSync(path, renderHtml(analysis));
    return [path];
  },
};
