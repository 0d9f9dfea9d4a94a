/** The figures of a `sysbench memory run` (sysbench 1.0.20 output). */
export interface SysbenchMemoryResult {
  mibPerSecond: number;
  operationsPerSecond: number;
}

export function parseSysbenchMemory(text: string): SysbenchMemoryResult {
  const transferred = /MiB transferred \(([\d.]+) MiB\/sec\)/.exec(text);
  const operations = /Total operations: \d+ \(\s*([\d.]+) per second\)/.exec(text);
  if (!transferred || !operations) {
    throw new Error(
      `sysbench memory printed no throughput: ${text.trim().split('\n').slice(-3).join(' | ')}`,
    );
  }
  return { mibPerSecond: Number(transferred[1]), operationsPerSecond: Number(operations[1]) };
}
