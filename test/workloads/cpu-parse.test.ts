import { describe, expect, it } from 'vitest';
import { parseSysbenchCpu } from '../../workloads/cpu/parse.ts';

// Output of `sysbench cpu --time=2 run`, Debian's sysbench 1.0.20.
const OUTPUT = `sysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)

CPU speed:
    events per second:  4477.56

General statistics:
    total time:                          2.0004s
    total number of events:              8960

Latency (ms):
         min:                                    0.22
         avg:                                    0.22
         max:                                    0.34
         95th percentile:                        0.24
         sum:                                 1996.76
`;

describe('parseSysbenchCpu', () => {
  it('reads the figures of sysbench 1.0 output', () => {
    expect(parseSysbenchCpu(OUTPUT)).toEqual({
      eventsPerSecond: 4477.56,
      totalTimeS: 2.0004,
      totalEvents: 8960,
      latencyAvgMs: 0.22,
      latencyP95Ms: 0.24,
      latencyMaxMs: 0.34,
    });
  });

  it('names the missing line when the output is not what it expects', () => {
    expect(() => parseSysbenchCpu('FATAL: invalid option')).toThrow(/no "events per second" line/);
  });
});
