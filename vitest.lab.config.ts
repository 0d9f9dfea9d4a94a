import { defineConfig } from 'vitest/config';

/**
 * `npm run test:lab`: the Xen lab in a box end to end (boots two Xen hosts under QEMU, real
 * `xl remus`). Minutes, not seconds, and root with 8 GB of RAM: kept out of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/lab/**/*.lab.test.ts'],
    fileParallelism: false,
    testTimeout: 30 * 60_000,
    hookTimeout: 30 * 60_000,
  },
});
