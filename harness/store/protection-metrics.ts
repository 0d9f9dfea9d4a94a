/**
 * Names of the protection's sample metrics (source "protection") that other parts read back: the
 * run loop's console line, analysis's checkpoint cells and the console report. Written by
 * harness/run/protection-rows.ts.
 */
export const PROTECTION_METRIC = {
  checkpoints: 'checkpoints',
  configuredRate: 'configured_rate_hz',
  effectiveRate: 'effective_rate_hz',
  missedEpochs: 'missed_epochs',
  pauseP50: 'pause_p50_us',
  pauseP99: 'pause_p99_us',
  dirtyPagesP50: 'dirty_pages_p50',
  scanP50: 'scan_p50_us',
  gatherP50: 'gather_p50_us',
  shipAckP50: 'ship_ack_p50_us',
} as const;
