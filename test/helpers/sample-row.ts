import type { SampleRow } from '../../harness/store/samples.ts';

/** A sample row of trial `trialId` ("cell#n") with `value`, the rest plain defaults or `overrides`. */
export function sampleRow(trialId: string, value: number, overrides: Partial<SampleRow> = {}): SampleRow {
  return {
    schema: 1,
    runId: 'r',
    cellId: trialId.split('#')[0] as string,
    trialId,
    trial: Number(trialId.split('#')[1]),
    testbed: 'emulated',
    workload: 'cpu',
    intervalMs: null,
    metric: 'events_per_s',
    value,
    unit: 'events/s',
    better: 'higher',
    source: 'workload',
    startedAt: '',
    endedAt: '',
    durationS: 1,
    warmupS: 0,
    seed: 1,
    mechanisms: {},
    hostDigest: 'h',
    harnessVersion: '0',
    ...overrides,
  };
}
