import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProgress } from '../../workloads/memory/progress.ts';
import { parseSysbenchMemory } from '../../workloads/memory/sysbench.ts';
import { runCli } from '../helpers/cli.ts';

const SYSBENCH_OUTPUT = `Threads started!

Total operations: 7850 ( 7844.34 per second)

31400.00 MiB transferred (31377.37 MiB/sec)
`;

describe('memory workload', { timeout: 120_000 }, () => {
  it('parses sysbench memory and the dirtier progress file', () => {
    expect(parseSysbenchMemory(SYSBENCH_OUTPUT)).toEqual({
      mibPerSecond: 31377.37,
      operationsPerSecond: 7844.34,
    });
    expect(() => parseSysbenchMemory('FATAL: out of memory')).toThrow(/no throughput: FATAL/);
    expect(parseProgress('1.500000 96000 3\n')).toEqual({
      elapsedS: 1.5,
      pagesWritten: 96000,
      missedTicks: 3,
    });
    expect(parseProgress('')).toBeNull();
  });

  it('a protected dirtier run stores pages/s, the replication costs and the mechanisms', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-memory-'));
    const { code, output } = await runCli([
      'experiment',
      '--workloads',
      'memory',
      '--intervals',
      '25',
      '--trials',
      '1',
      '--duration',
      '2',
      '--warmup',
      '1',
      '--results',
      results,
    ]);
    expect(code, output).toBe(0);
    const [run] = readdirSync(results).filter((name) => !name.startsWith('.'));
    const dir = join(results, run as string);
    const rows = readFileSync(join(dir, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { cellId: string; metric: string; value: number });
    const value = (cell: string, metric: string) =>
      rows.find((r) => r.cellId === cell && r.metric === metric)?.value;
    // The dirtier writes 64 pages per ms: about 64,000 pages/s unprotected.
    expect(value('memory@baseline', 'pages_per_s')).toBeGreaterThan(50_000);
    expect(value('memory@25ms', 'pages_per_s')).toBeGreaterThan(20_000);
    // Paced: a tick the pauses made late is lost, so protection costs pages/s and missed ticks.
    expect(value('memory@25ms', 'pages_per_s')).toBeLessThan(
      value('memory@baseline', 'pages_per_s') as number,
    );
    expect(value('memory@25ms', 'missed_ticks_per_s')).toBeGreaterThan(0);
    // About 1,600 pages per 25 ms epoch are copied; the first checkpoint copied the 64 MB working set.
    expect(value('memory@25ms', 'dirty_pages_p50')).toBeGreaterThan(800);
    expect(value('memory@25ms', 'first_copy_bytes')).toBeGreaterThan(64 * 1024 * 1024);
    for (const metric of ['scan_p50_us', 'gather_p50_us', 'ship_ack_p50_us'])
      expect(value('memory@25ms', metric), metric).toBeGreaterThan(0);
    const manifest = readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(manifest).toMatch(/"dirtyTracking": "(uffd-wp|soft-dirty|full-compare)"/);
    expect(manifest).toMatch(/"copy": "(process_vm_readv|proc-pid-mem)"/);
    const trialDir = readdirSync(join(dir, 'artifacts')).find((name) => name.startsWith('memory@25ms'));
    const checkpoints = JSON.parse(
      readFileSync(join(dir, 'artifacts', trialDir as string, 'checkpoints.json'), 'utf8'),
    );
    expect(checkpoints.checkpoints[1]).toMatchObject({
      scanUs: expect.any(Number),
      gatherUs: expect.any(Number),
      dirtyPages: expect.any(Number),
    });
    expect(output).toMatch(/dirtyTracking: /);
  });
});
