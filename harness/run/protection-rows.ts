import { PROTECTION_METRIC } from '../store/protection-metrics.ts';
import type { Better } from '../store/samples.ts';
import type { CheckpointSummary, Spread } from '../testbeds/types.ts';

type ProtectionRow = { metric: string; value: number; unit: string; better: Better };

/** The protection's own per-trial facts, as sample metrics (source "protection"). */
export function protectionMeasurements(s: CheckpointSummary): ProtectionRow[] {
  const rows: ProtectionRow[] = [
    { metric: PROTECTION_METRIC.checkpoints, value: s.checkpoints, unit: 'count', better: 'info' },
    { metric: PROTECTION_METRIC.configuredRate, value: s.configuredRateHz, unit: '1/s', better: 'info' },
    { metric: PROTECTION_METRIC.effectiveRate, value: s.effectiveRateHz, unit: '1/s', better: 'info' },
    { metric: PROTECTION_METRIC.missedEpochs, value: s.missedEpochs, unit: 'count', better: 'lower' },
    { metric: PROTECTION_METRIC.pauseP50, value: s.pauseUs.p50, unit: 'µs', better: 'lower' },
    { metric: PROTECTION_METRIC.pauseP99, value: s.pauseUs.p99, unit: 'µs', better: 'lower' },
    { metric: 'pause_max_us', value: s.pauseUs.max, unit: 'µs', better: 'lower' },
    { metric: 'freeze_p50_us', value: s.freezeUs.p50, unit: 'µs', better: 'lower' },
    { metric: 'phase_error_p50_us', value: s.phaseErrorUs.p50, unit: 'µs', better: 'info' },
    { metric: 'phase_error_p99_us', value: s.phaseErrorUs.p99, unit: 'µs', better: 'info' },
    ...(s.memory ? memoryRows(s.memory) : []),
    ...(s.remus ? remusRows(s.remus) : []),
  ];
  return rows.filter((row) => Number.isFinite(row.value)); // a testbed that cannot measure a figure gives NaN: no row
}

const row = (metric: string, value: number, unit: string, better: Better): ProtectionRow => ({
  metric,
  value,
  unit,
  better,
});

/** `<name>_p50<suffix>` and `<name>_p99<suffix>` of one per-checkpoint series. */
const spreadRows = (name: string, suffix: string, spread: Spread, unit: string, better: Better) => [
  row(`${name}_p50${suffix}`, spread.p50, unit, better),
  row(`${name}_p99${suffix}`, spread.p99, unit, better),
];

function remusRows(r: NonNullable<CheckpointSummary['remus']>): ProtectionRow[] {
  return [
    ...spreadRows('dirty_pages', '', r.dirtyPages, 'pages', 'info'),
    row('harness_start_ms', r.harnessMs.start, 'ms', 'info'),
    row('harness_stop_ms', r.harnessMs.stop, 'ms', 'info'),
  ];
}

/** Memory replication per checkpoint, over the checkpoints after the first (a full copy). */
function memoryRows(m: NonNullable<CheckpointSummary['memory']>): ProtectionRow[] {
  return [
    ...spreadRows('scan', '_us', m.scanUs, 'µs', 'lower'),
    ...spreadRows('gather', '_us', m.gatherUs, 'µs', 'lower'),
    ...spreadRows('dirty_pages', '', m.dirtyPages, 'pages', 'info'),
    ...spreadRows('ship_ack', '_us', m.shipAckUs, 'µs', 'lower'),
    row('first_copy_bytes', m.firstCopyBytes, 'bytes', 'info'),
    row('first_pause_us', m.firstPauseUs, 'µs', 'info'),
    row('copied_bytes', m.copiedBytes, 'bytes', 'info'),
  ];
}
