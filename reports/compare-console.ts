import { type Comparison, NOTHING_TO_COMPARE, rowsWithHistory } from '../analysis/compare.ts';
import { formatNumber, intervalLabel } from './format.ts';
import { textTable } from './table.ts';

/** A comparison as text: one row per metric, then what was left out and what differs. */
export function formatComparison(c: Comparison): string {
  const out: string[] = [];
  const { rows, leftOut } = rowsWithHistory(c);
  if (rows.length === 0) {
    // A first run in a results folder: one line, not a table of "no history" rows.
    out.push(...leftOutRuns(c));
    out.push(`Verdict: ${NOTHING_TO_COMPARE} (run ${c.newRunId}).`);
    return out.join('\n');
  }
  const against =
    c.mode === 'pair'
      ? `run ${c.comparedRunIds[0] ?? '(none)'}`
      : `${c.comparedRunIds.length} comparable earlier run(s)`;
  out.push(
    `Comparison of run ${c.newRunId} against ${against} (Mann-Whitney U on trials, alpha ${c.options.alpha}, practical threshold ${(c.options.defaultThreshold * 100).toFixed(0)} % unless set per metric):`,
  );
  out.push(
    textTable(
      ['workload', 'interval', 'metric', 'old mean', 'new mean', 'change', 'p', 'old runs/trials', 'verdict'],
      rows.map((r) => [
        r.workload,
        intervalLabel(r.intervalMs),
        `${r.metric} (${r.unit})`,
        formatNumber(r.oldMean),
        formatNumber(r.newMean),
        Number.isFinite(r.change) ? `${r.change >= 0 ? '+' : ''}${(r.change * 100).toFixed(1)} %` : '-',
        Number.isFinite(r.p) ? r.p.toPrecision(2) : '-',
        `${r.oldRuns}/${r.oldN}`,
        r.verdict === 'not enough history' && c.mode === 'history'
          ? `not enough history (${r.oldRuns} of ${c.options.minHistory} runs)`
          : r.verdict.toUpperCase() === 'REGRESSION'
            ? 'REGRESSION'
            : r.verdict,
      ]),
      new Set([3, 4, 5, 6]),
    ),
  );
  if (leftOut > 0) out.push(`${leftOut} metric(s) that no earlier comparable run measured are left out.`);
  out.push(...leftOutRuns(c));
  for (const note of c.notes) out.push(`Note: ${note}.`);
  out.push(
    c.regressions > 0
      ? `Verdict: ${c.regressions} REGRESSION(S) found.`
      : 'Verdict: no regression (significant and above the threshold) found.',
  );
  return out.join('\n');
}

/** Names a few left-out runs; a results root with other matrices could list dozens. */
function leftOutRuns(c: Comparison): string[] {
  const out = c.incomparable
    .slice(0, 3)
    .map(
      (run) =>
        `Left out run ${run.runId}: settings that change the numbers differ (${run.differs.join(', ')}).`,
    );
  if (c.incomparable.length > 3)
    out.push(`... and ${c.incomparable.length - 3} more runs left out for the same reason.`);
  return out;
}
