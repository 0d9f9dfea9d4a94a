import type { Better } from '../store/samples.ts';
import type { CheckpointSummary } from '../testbeds/types.ts';

type ProtectionRow = { metric: string; value: number; unit: string; better: Better };

/** The protection's own per-trial facts, as sample metrics (source "protection"). */
export function protectionMeasurements(s: CheckpointSummary): ProtectionRow[] {
  const rows: ProtectionRow[] = [
    { metric: 'checkpoints', value: s.checkpoints, unit: 'count', better: 'info' },
    { metric: 'configured_rate_hz', value: s.configuredRateHz, unit: '1/s', better: 'info' },
    { metric: 'effective_rate_hz', value: s.effectiveRateHz, unit: '1/s', better: 'info' },
    { metric: 'missed_epochs', value: s.missedEpochs, unit: 'count', better: 'lower' },
    { metric: 'pause_p50_us', value: s.pauseUs.p50, unit: 'µs', better: 'lower' },
    { metric: 'pause_p99_us', value: s.pauseUs.p99, unit: 'µs', better: 'lower' },
    { metric: 'pause_max_us', value: s.pauseUs.max, unit: 'µs', better: 'lower' },
    { metric: 'freeze_p50_us', value: s.freezeUs.p50, unit: 'µs', better: 'lower' },
    { metric: 'phase_error_p50_us', value: s.phaseErrorUs.p50, unit: 'µs', better: 'info' },
    { metric: 'phase_error_p99_us', value: s.phaseErrorUs.p99, unit: 'µs', better: 'info' },
    ...(s.memory ? memoryRows(s.memory) : []),
    ...(s.remus ? remusRows(s.remus) : []),
  ];
  return rows.filter((row) => Number.isFinite(row.value)); // a testbed that cannot measure a figure gives NaN: no row
}

function remusRows(r: NonNullable<CheckpointSummary['remus']>): ProtectionRow[] {
  return [
    row('dirty_pages_p50', r.dirtyPages.p50, 'pages', 'info'),
    row('dirty_pages_p99', r.dirtyPages.p99, 'pages', 'info'),
    row('harness_start_ms', r.harnessMs.start, 'ms', 'info'),
    row('harness_stop_ms', r.harnessMs.stop, 'ms', 'info'),
  ];
}

/** Memory replication per checkpoint, over the checkpoints after the first (a full copy). */
const row = (metric: string, value: number, unit: string, better: Better): ProtectionRow => ({
  metric,
  value,
  unit,
  better,
});

function memoryRows(m: NonNullable<CheckpointSummary['memory']>): ProtectionRow[] {
  return [
    row('scan_p50_us', m.scanUs.p50, 'µs', 'lower'),
    row('scan_p99_us', m.scanUs.p99, 'µs', 'lower'),
    row('gather_p50_us', m.gatherUs.p50, 'µs', 'lower'),
    row('gather_p99_us', m.gatherUs.p99, 'µs', 'lower'),
    row('dirty_pages_p50', m.dirtyPages.p50, 'pages', 'info'),
    row('dirty_pages_p99', m.dirtyPages.p99, 'pages', 'info'),
    row('ship_ack_p50_us', m.shipAckUs.p50, 'µs', 'lower'),
    row('ship_ack_p99_us', m.shipAckUs.p99, 'µs', 'lower'),
    row('first_copy_bytes', m.firstCopyBytes, 'bytes', 'info'),
    row('first_pause_us', m.firstPauseUs, 'µs', 'info'),
    row('copied_bytes', m.copiedBytes, 'bytes', 'info'),
  ];
}
