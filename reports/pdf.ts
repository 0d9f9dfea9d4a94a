import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import PDFDocument from 'pdfkit';
import type { RunAnalysis } from '../analysis/analyze.ts';
import type { Comparison } from '../analysis/compare.ts';
import { buildCharts, CHART_PLUGINS_SOURCE, type ChartSpec } from './charts.ts';
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

const CHART_WIDTH = 960;
const CHART_HEIGHT = 380;
const MARGIN = 40;

/** The same plugin code the HTML page inlines, evaluated here for node-canvas. */
const chartPlugins = new Function(`return ${CHART_PLUGINS_SOURCE}`)() as object[];

/**
 * chartjs-node-canvas draws each chart on a new canvas whose pixel surface (5.8 MB at twice the CSS
 * size) is freed only when the garbage collector gets to the canvas: a report's dozen charts would
 * hold them all at once. Resizing the canvas to nothing when Chart.js lets go of it frees its
 * surface right away, once the PNG is taken.
 */
const releaseSurface = {
  id: 'releaseSurface',
  beforeDestroy(chart: { canvas: { width: number; height: number } | null }) {
    if (!chart.canvas) return;
    chart.canvas.width = 0;
    chart.canvas.height = 0;
  },
};

/** Renders one chart to PNG at twice its CSS size, so it stays sharp when printed. */
function renderChart(canvas: ChartJSNodeCanvas, spec: ChartSpec): Buffer {
  const config = spec.config as { options?: Record<string, unknown> };
  return canvas.renderToBufferSync(
    {
      ...(spec.config as object),
      options: { ...config.options, devicePixelRatio: 2 },
      plugins: [...chartPlugins, releaseSurface],
    } as never,
    'image/png',
  );
}

type Doc = InstanceType<typeof PDFDocument>;

function heading(doc: Doc, text: string, size = 14): void {
  // Keep a heading with what follows it (a chart needs about 230 pt).
  if (doc.y > doc.page.height - 260) doc.addPage();
  doc.moveDown(0.6).font('Helvetica-Bold').fontSize(size).fillColor('#111').text(text).moveDown(0.3);
  doc.font('Helvetica').fontSize(9.5);
}

function table(doc: Doc, t: Table): void {
  heading(doc, t.title, 11);
  if (t.rows.length === 0) {
    doc.text('no data');
    return;
  }
  doc.fontSize(t.header.length > 6 ? 6.5 : 8);
  doc.table({
    rowStyles: (i: number) => (i === 0 ? { backgroundColor: '#eeeeee' } : {}),
    data: [t.header, ...t.rows],
  } as never);
  doc.fontSize(9.5);
  if (t.note) doc.moveDown(0.3).fontSize(7.5).fillColor('#555').text(t.note).fillColor('#111').fontSize(9.5);
}

/** The parts of pdfkit's images that say when one has been written (not in its typings). */
interface EmbeddedImage {
  finalize?: () => unknown;
}
interface ImageOpener {
  openImage(src: Buffer): EmbeddedImage;
}

/**
 * Places a PNG and resolves once pdfkit has written it. pdfkit splits a PNG's alpha channel after
 * an asynchronous inflate: without waiting, every chart's decoded pixels (5.8 MB each) would be
 * held at once until the document ends.
 */
function embedPng(doc: Doc, png: Buffer, x: number, y: number, width: number): Promise<void> {
  const image = (doc as unknown as ImageOpener).openImage(png);
  const finalize = image.finalize;
  const written =
    typeof finalize === 'function'
      ? new Promise<void>((resolve) => {
          image.finalize = () => {
            const result = finalize.call(image);
            resolve();
            return result;
          };
        })
      : Promise.resolve();
  doc.image(image as never, x, y, { width });
  return written;
}

/** Draws the report's charts one after another; the last one placed may still be being written. */
interface ChartPainter {
  canvas: ChartJSNodeCanvas;
  /** The last placed chart's embedding: the next chart is rendered meanwhile, then waits for it. */
  written: Promise<void>;
}

async function chart(doc: Doc, painter: ChartPainter, spec: ChartSpec | undefined): Promise<void> {
  if (!spec) return;
  const width = doc.page.width - 2 * MARGIN;
  const height = (width * CHART_HEIGHT) / CHART_WIDTH;
  const png = renderChart(painter.canvas, spec);
  await painter.written;
  if (doc.y + height + 50 > doc.page.height - MARGIN) doc.addPage();
  doc.font('Helvetica-Bold').fontSize(10.5).text(spec.title).font('Helvetica').moveDown(0.2);
  painter.written = embedPng(doc, png, MARGIN, doc.y, width);
  doc.y += height + 4;
  doc
    .fontSize(7.5)
    .fillColor('#444')
    .text(spec.caption, MARGIN, doc.y, { width })
    .fillColor('#111')
    .fontSize(9.5);
  doc.moveDown(0.6);
}

/** Against history: the verdict, the trend, and the rows with history. */
async function comparisonSection(
  doc: Doc,
  painter: ChartPainter,
  c: Comparison,
  trend: ChartSpec | undefined,
): Promise<void> {
  heading(doc, 'Regressions against history');
  const summary = comparisonSummary(c);
  doc
    .fontSize(10)
    .fillColor(summary.regressed ? '#8a1c1c' : '#111')
    .text(summary.verdict)
    .fillColor('#111');
  if (summary.rows.length > 0) {
    await chart(doc, painter, trend);
    table(doc, comparisonTable(c, summary.rows));
  }
  for (const note of summary.notes) doc.fontSize(7.5).fillColor('#555').text(note).fillColor('#111');
  doc.fontSize(9.5);
}

/** The report as a PDF: the HTML page's content, charts rendered with chartjs-node-canvas. */
export async function writePdf(a: RunAnalysis, path: string): Promise<void> {
  const painter: ChartPainter = {
    canvas: new ChartJSNodeCanvas({ width: CHART_WIDTH, height: CHART_HEIGHT, backgroundColour: 'white' }),
    written: Promise.resolve(),
  };
  const charts = buildCharts(a);
  const byId = (id: string) => charts.find((c) => c.id === id);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `remus-bench report ${a.runId}`, Author: 'remus-bench' },
  });
  const out = createWriteStream(path);
  doc.pipe(out);
  doc.font('Helvetica-Bold').fontSize(20).text('Remus replication overhead');
  doc
    .font('Helvetica')
    .fontSize(10)
    .fillColor('#555')
    .text(
      `Run ${a.runId} on the ${a.testbed} testbed, ${a.createdAt}; ${a.trialsDone} of ${a.trialsPlanned} trials done.`,
    )
    .fillColor('#111');

  heading(doc, 'Findings');
  await chart(doc, painter, byId('study'));
  for (const f of a.findings) {
    doc.font('Helvetica-Bold').fontSize(10).text(f.title);
    doc
      .font('Helvetica-Bold')
      .fontSize(9.5)
      .fillColor('#1f4e79')
      .text(f.verdict)
      .fillColor('#111')
      .font('Helvetica');
    for (const e of f.evidence) doc.fontSize(8.5).text(`- ${e}`, { indent: 8 });
    for (const c of f.caveats)
      doc.fontSize(8).fillColor('#6b5900').text(`Caveat: ${c}`, { indent: 8 }).fillColor('#111');
    doc.moveDown(0.5);
  }

  heading(doc, 'Overhead per workload');
  for (const spec of charts.filter((c) => c.id.startsWith('overhead-'))) await chart(doc, painter, spec);
  for (const t of metricTables(a)) table(doc, t);
  const others = metricTables(a, 'rest').reduce((sum, t) => sum + t.rows.length, 0);
  if (others > 0)
    doc
      .fontSize(8)
      .fillColor('#555')
      .text(`${others} rows of other stored metrics are in cells.csv and in the HTML report.`)
      .fillColor('#111');

  heading(doc, 'Latency');
  await chart(doc, painter, byId('latency-model'));
  await chart(doc, painter, byId('latency-percentiles'));
  await chart(doc, painter, byId('latency-cdf'));
  if (a.latency.length) table(doc, latencyTable(a));
  else doc.text('No latency cells in this run.');

  heading(doc, 'Checkpoints');
  await chart(doc, painter, byId('checkpoint-rate'));
  await chart(doc, painter, byId('pause-cost'));
  await chart(doc, painter, byId('checkpoint-pause'));
  table(doc, checkpointTable(a));

  if (a.pairs.length) {
    heading(doc, 'By host pair');
    table(doc, pairTable(a));
  }

  if (a.comparison) await comparisonSection(doc, painter, a.comparison, byId('trend'));

  heading(doc, 'Warnings');
  if (a.warnings.length === 0) doc.text('None.');
  for (const w of a.warnings) doc.fontSize(8.5).fillColor('#8a1c1c').text(`- ${w}`).fillColor('#111');

  heading(doc, 'Run metadata');
  for (const [k, v] of metadataPairs(a)) {
    doc.fontSize(8.5).font('Helvetica-Bold').text(`${k}: `, { continued: true }).font('Helvetica').text(v);
  }
  await painter.written;
  doc.end();
  await once(out, 'finish');
}

export const pdfReporter: Reporter = {
  format: 'pdf',
  async write(analysis, outDir) {
    const path = join(outDir, 'report.pdf');
    await writePdf(analysis, path);
    return [path];
  },
};
