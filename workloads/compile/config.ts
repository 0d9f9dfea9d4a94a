import { z } from 'zod';

/** `workloads.compile`: the generated project's size and how the guest builds it. */
export const compileWorkloadSchema = z.strictObject({
  seed: z
    .number()
    .int()
    .min(1)
    .max(2 ** 31),
  units: z.number().int().min(1).max(2000),
  functionsPerUnit: z.number().int().min(1).max(1000),
  /** make -j: parallel compiler runs. */
  jobs: z.number().int().min(1).max(256),
  /** Passed to the compiler as CFLAGS. */
  optimization: z.enum(['-O0', '-O1', '-O2', '-O3', '-Os']),
});

export type CompileWorkloadConfig = z.infer<typeof compileWorkloadSchema>;

// 16 units x 6 functions at -O2: about 0.2 s of cc1 per unit and 1.7 s per build with make -j2 on
// this 2-core machine (gcc 12), so a 5 s trial holds a few builds, and one unit's compiler outlives
// a 25 ms epoch but not always a 400 ms one (the question of short-lived processes, see README).
export const COMPILE_DEFAULTS: CompileWorkloadConfig = {
  seed: 1,
  units: 16,
  functionsPerUnit: 6,
  jobs: 2,
  optimization: '-O2',
};
