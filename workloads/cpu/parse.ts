/** The figures of `sysbench cpu run` output (sysbench 1.0.x), as numbers. */
export interface SysbenchCpuResult {
  eventsPerSecond: number;
  totalTimeS: number;
  totalEvents: number;
  latencyAvgMs: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
}

function field(text: string, pattern: RegExp, name: string): number {
  const match = pattern.exec(text);
  if (!match?.[1])
    throw new Error(`sysbench output has no "${name}" line; output was:\n${text.slice(0, 2000)}`);
  return Number(match[1]);
}

export function parseSysbenchCpu(text: string): SysbenchCpuResult {
  return {
    eventsPerSecond: field(text, /events per second:\s+([\d.]+)/, 'events per second'),
    totalTimeS: field(text, /total time:\s+([\d.]+)s/, 'total time'),
    totalEvents: field(text, /total number of events:\s+(\d+)/, 'total number of events'),
    latencyAvgMs: field(text, /^\s*avg:\s+([\d.]+)/m, 'avg'),
    latencyP95Ms: field(text, /95th percentile:\s+([\d.]+)/, '95th percentile'),
    latencyMaxMs: field(text, /^\s*max:\s+([\d.]+)/m, 'max'),
  };
}
