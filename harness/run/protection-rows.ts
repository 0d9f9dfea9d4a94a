import type { Better } from '../store/samples.ts';
import type { CheckpointSummary } from '../testbeds/types.ts';

/** The protection's own per-trial facts, as sample metrics (source "protection"). */
export function protectionMeasurements(
  s: CheckpointSummary,
): { metric: string; value: number; unit: string; better: Better }[] {
  return [
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
  ];
}
