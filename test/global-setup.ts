import { ensureTools } from '../harness/setup/system-packages.ts';
import { cpuWorkload } from '../workloads/cpu/index.ts';

/**
 * The end-to-end tests run real sysbench in the guest: install it with the project's own set-up
 * step (as root) when it is missing, exactly as `npm run experiment` does.
 */
export default async function setup(): Promise<void> {
  const cpu = cpuWorkload({ threads: 1, maxPrime: 10_000 });
  await ensureTools(cpu.requiredTools, (line) => process.stdout.write(`[test setup] ${line}\n`));
}
