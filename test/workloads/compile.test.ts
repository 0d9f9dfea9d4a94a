import { afterAll, describe, expect, it } from 'vitest';
import { EmulatedTestbed } from '../../harness/testbeds/emulated/index.ts';
import { compileWorkload } from '../../workloads/compile/index.ts';
import { generateProject } from '../../workloads/compile/project.ts';
import { runWorkloadTrial } from '../helpers/workload-trial.ts';

const testbed = new EmulatedTestbed({ freezer: 'auto', priority: 'auto', tracking: 'auto' });
afterAll(() => testbed.dispose());

const SMALL = { seed: 3, units: 6, functionsPerUnit: 6, jobs: 2, optimization: '-O2' as const };

/** One trial of the real build (make, cc) in an emulated guest: baseline or protected at `intervalMs`. */
async function trial(intervalMs: number | null): Promise<Record<string, number>> {
  const module = compileWorkload.configure(SMALL);
  const run = await runWorkloadTrial(testbed, module, intervalMs, {
    label: 'compile-test',
    warmupS: 0,
    durationS: 2.5,
  });
  return run.metrics;
}

describe('compile workload', { timeout: 300_000 }, () => {
  it('generates the same project from the same seed, another from another', () => {
    const shape = { seed: 9, units: 12, functionsPerUnit: 4 };
    const first = generateProject(shape);
    const again = generateProject(shape);
    const other = generateProject({ ...shape, seed: 10 });
    expect([...again.files]).toEqual([...first.files]);
    expect(other.files.get('src/unit0.c')).not.toBe(first.files.get('src/unit0.c'));
    // 12 units, main, common.h, 3 module headers, the Makefile.
    expect(first.files.size).toBe(18);
    expect(first.objects).toBe(13);
    expect(first.files.get('Makefile')).toMatch(/^obj\/unit11\.o: src\/unit11\.c /m);
  });

  it('builds with the real compiler; checkpoints slow the build and see its processes come and go', async () => {
    const baseline = await trial(null);
    const every25 = await trial(25);
    const every400 = await trial(400);
    // make, then driver + cc1 + as for 7 objects, then the link's driver, collect2 and ld.
    expect(baseline.processes_per_build).toBe(1 + 7 * 3 + 3);
    for (const result of [baseline, every25, every400]) {
      expect(result.builds).toBeGreaterThanOrEqual(1);
      expect(result.units_per_s).toBeCloseTo(7 / (result.build_time_s as number), 1);
    }
    // 40 pauses a second, each copying the compilers' fresh memory: the build takes longer.
    expect(every25.build_time_s).toBeGreaterThan(baseline.build_time_s as number);
    expect(every25.processes_per_checkpoint_p50).toBeGreaterThanOrEqual(1);
    expect(every25.dirty_pages_per_checkpoint_p50).toBeGreaterThan(0);
    // A compiler that lives 0.1-0.2 s outlives a 25 ms epoch; most of them end inside a 400 ms one
    // and no checkpoint ever sees them.
    expect(every400.unseen_process_share).toBeGreaterThan(every25.unseen_process_share as number);
    expect(every400.processes_seen_per_build).toBeLessThan(every25.processes_seen_per_build as number);
  });
});
