import { formatNumber } from './format-number.ts';
import { formatRatio } from './format-ratio.ts';
import { testbedSemantics } from './testbed-semantics.ts';
import type { AdaptiveVerdict, Finding, RunAnalysis } from './types.ts';

const ms = (us: number) => `${(us / 1000).toFixed(us >= 10_000 ? 1 : 2)} ms`;

const ratioText = (r: { estimate: number; low: number; high: number }) =>
  `x${formatRatio(r.estimate)}${Number.isFinite(r.low) ? ` [${formatRatio(r.low)}, ${formatRatio(r.high)}]` : ' (no CI: fewer than 2 trials)'}`;

/** The adaptive cell against the best fixed interval, as the findings and the console say it. */
export const VERSUS_TEXT: Record<AdaptiveVerdict, string> = {
  better: 'better than',
  tied: 'tied with',
  worse: 'worse than',
  untested: 'not compared (no CI) with',
};

/** How the adaptive schedule did against each workload's best fixed interval, when the run has it. */
function adaptiveVerdict(best: RunAnalysis['best']): string {
  const judged = best.filter((b) => b.adaptive);
  if (judged.length === 0) return '';
  const count = (v: AdaptiveVerdict) => judged.filter((b) => b.adaptive?.versusBest === v).length;
  const untested = count('untested');
  return ` Adaptive: better than the best fixed interval for ${count('better')}, tied for ${count('tied')}, worse for ${count('worse')}${untested ? `, not compared (no CI) for ${untested}` : ''} of ${judged.length} workloads (${judged.map((b) => `${b.workload}: ${b.adaptive?.versusBest}`).join(', ')}).`;
}

function bestIntervalFinding(a: RunAnalysis): Finding {
  const title = '(i) The checkpoint interval that performs best depends on the application';
  const testable = a.best.filter((b) => b.bestMs !== null && b.ranking.length >= 2);
  const caveats = [
    "Best = lowest overhead ratio of the workload's primary metric; intervals whose 95 % bootstrap CI overlaps the best one are ties.",
  ];
  if (testbedSemantics(a.session?.testbed)?.memoryReplicated === false) {
    caveats.push(
      'This testbed copied no memory: a checkpoint costs only its pause, so throughput favours long intervals; memory replication would add a cost per dirty page.',
    );
  }
  if (testable.length < 2) {
    return {
      id: 'best-interval-depends-on-workload',
      title,
      verdict:
        'Not testable in this run: it needs at least two workloads, each with at least two protected intervals.',
      evidence: a.best.map((b) => `${b.workload}: ${b.ranking.length} protected interval(s) with data`),
      caveats,
    };
  }
  const evidence = testable.map((b) => {
    const best = b.ranking[0];
    const adaptive = b.adaptive
      ? `; adaptive ${ratioText(b.adaptive.ratio)}, ${VERSUS_TEXT[b.adaptive.versusBest]} the best fixed interval`
      : '';
    return `${b.workload} (${b.metric}): best ${b.bestMs} ms, ${best ? ratioText(best.ratio) : ''} of the baseline; tied: ${b.tiesMs.map((t) => `${t} ms`).join(', ')}; ranking ${b.ranking.map((r) => `${r.intervalMs} ms ${ratioText(r.ratio)}`).join(' < ')}${adaptive}`;
  });
  // Intervals that are best or tied for every workload.
  const common = new Set(testable[0]?.tiesMs ?? []);
  for (const b of testable.slice(1)) for (const t of [...common]) if (!b.tiesMs.includes(t)) common.delete(t);
  const verdict =
    common.size === 0
      ? `Yes: no single interval is best (or tied) for every workload (${testable.map((b) => `${b.workload}: ${b.bestMs} ms`).join(', ')}).`
      : `No: ${[...common].map((t) => `${t} ms`).join(', ')} is best or tied for every workload in this run.`;
  return {
    id: 'best-interval-depends-on-workload',
    title,
    verdict: `${verdict}${adaptiveVerdict(testable)}`,
    evidence,
    caveats,
  };
}

function latencyFinding(a: RunAnalysis): Finding {
  const title = '(ii) The overhead can be prohibitive for latency-sensitive network applications';
  // The workloads judged by a round-trip time (the latency workload's median RTT).
  const roundTrips = Object.entries(a.metricSpecs).flatMap(([workload, specs]) =>
    specs.filter((s) => s.primary && s.roundTrip).map((s) => `${workload} ${s.name}`),
  );
  const judged = a.metrics.filter((m) => roundTrips.includes(`${m.workload} ${m.metric}`) && m.overhead);
  // The yardstick (half an interval) and "the shortest interval" are read on the fixed intervals.
  const cells = judged.filter((m) => typeof m.intervalMs === 'number');
  const adaptiveCells = judged.filter((m) => m.intervalMs === 'adaptive');
  const caveats: string[] = [];
  const semantics = testbedSemantics(a.session?.testbed);
  if (semantics?.outputHeld && semantics.outputNotHeld) {
    caveats.push(`Output held until the checkpoint commits, except: ${semantics.outputNotHeld}.`);
  }
  const unbuffered = semantics?.outputHeld === false;
  if (unbuffered) {
    caveats.push(
      'Network output was NOT buffered (unsafe Remus mode): latency here is not what buffered Remus would show.',
    );
  }
  if (cells.length === 0) {
    return {
      id: 'latency-overhead',
      title,
      verdict: 'Not testable in this run: no latency cell with a baseline.',
      evidence: [],
      caveats,
    };
  }
  const evidence = cells.map((c) => {
    const o = c.overhead as NonNullable<typeof c.overhead>;
    // With output held until the commit, a reply waits half an interval on average: the yardstick.
    const yardstick = unbuffered
      ? ''
      : ` (half the interval is ${ms(((c.intervalMs as number) * 1000) / 2)})`;
    return `${c.intervalMs} ms: median RTT ${ms(c.mean)} vs ${ms(o.baselineMean)} unreplicated, ${ratioText(o.ratio)}, +${ms(o.absolute)}${yardstick}`;
  });
  for (const c of adaptiveCells) {
    const o = c.overhead as NonNullable<typeof c.overhead>;
    evidence.push(
      `adaptive: median RTT ${ms(c.mean)} vs ${ms(o.baselineMean)} unreplicated, ${ratioText(o.ratio)}, +${ms(o.absolute)}`,
    );
  }
  const smallest = cells.reduce((a, b) => ((a.intervalMs as number) < (b.intervalMs as number) ? a : b));
  const ratio = (smallest.overhead as NonNullable<typeof smallest.overhead>).ratio.estimate;
  const verdict =
    ratio >= 10
      ? `Yes: even at the shortest interval (${smallest.intervalMs} ms) the median RTT is ${formatRatio(ratio)} times the unreplicated one: ${
          unbuffered
            ? 'replies were not held (unbuffered mode), so this is the cost of the checkpoint pauses alone.'
            : 'every reply waits for the next checkpoint to commit.'
        }`
      : ratio >= 2
        ? `Substantial: at ${smallest.intervalMs} ms the median RTT is ${formatRatio(ratio)} times the unreplicated one.`
        : `Not in this run: at ${smallest.intervalMs} ms the median RTT is ${formatRatio(ratio)} times the unreplicated one.`;
  return { id: 'latency-overhead', title, verdict, evidence, caveats };
}

function rateFinding(a: RunAnalysis): Finding {
  const title = 'Effective vs configured checkpoint rate';
  const below = a.checkpoints.filter((c) => c.belowConfigured);
  const evidence = a.checkpoints.map(
    (c) =>
      `${c.cellId}: ${c.effectiveHz.toFixed(2)}/s of ${c.configuredHz.toFixed(2)}/s configured; pause p50 ${c.pauseP50Us.toFixed(0)} µs, p99 ${c.pauseP99Us.toFixed(0)} µs; ${formatNumber(c.missedEpochs)} missed epochs per trial`,
  );
  const verdict =
    a.checkpoints.length === 0
      ? 'No protected cell has checkpoint statistics.'
      : below.length === 0
        ? 'The checkpoints kept up: the effective rate is within 5 % of the configured one in every cell.'
        : `The checkpoints could not keep up in ${below.map((c) => c.cellId).join(', ')}: the effective rate is below 95 % of the configured one.`;
  return { id: 'checkpoint-rate', title, verdict, evidence, caveats: [] };
}

export function findings(a: RunAnalysis): Finding[] {
  return [bestIntervalFinding(a), latencyFinding(a), rateFinding(a)];
}
