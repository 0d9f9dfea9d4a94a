import type { Config } from '../config/schema.ts';
import { ADAPTIVE } from '../store/interval.ts';
import { formatDuration, type Plan } from './plan.ts';

/** The dry run's text: every cell, its trial count, the execution order and the ETA. Pure. */
export function formatPlan(plan: Plan, config: Config): string {
  const { matrix } = config;
  const lines: string[] = [];
  lines.push(
    `Plan: ${plan.cells.length} cells, ${plan.order.length} trials to run` +
      (plan.skipped.length ? `, ${plan.skipped.length} not runnable` : '') +
      `; testbed ${config.testbed.kind}; seed ${plan.seed}`,
  );
  lines.push(
    `Each trial: ${matrix.warmupS} s warm-up + ${matrix.durationS} s measured (+ set-up, about ${formatDuration(plan.trialSeconds - matrix.warmupS - matrix.durationS)})`,
  );
  lines.push('');
  lines.push('Cells:');
  const width = Math.max(...plan.cells.map((c) => c.id.length));
  for (const cell of plan.cells) {
    const interval =
      cell.intervalMs === null
        ? 'baseline (unreplicated)'
        : cell.intervalMs === ADAPTIVE
          ? 'adaptive interval'
          : `checkpoint every ${cell.intervalMs} ms`;
    const status = cell.runnable ? `${matrix.trials} trials` : `NOT RUNNABLE: ${cell.notRunnableReason}`;
    lines.push(`  ${cell.id.padEnd(width)}  ${interval.padEnd(26)} ${status}`);
  }
  lines.push('');
  lines.push('Order (interleaved rounds, shuffled with the seed):');
  const perLine = 4;
  for (let i = 0; i < plan.order.length; i += perLine) {
    const chunk = plan.order.slice(i, i + perLine).map((t, k) => `${String(i + k + 1).padStart(4)}. ${t.id}`);
    lines.push(chunk.join('  '));
  }
  lines.push('');
  lines.push(
    `ETA: ${formatDuration(plan.etaSeconds)} (${plan.order.length} trials x ~${plan.trialSeconds.toFixed(1)} s)`,
  );
  return lines.join('\n');
}
