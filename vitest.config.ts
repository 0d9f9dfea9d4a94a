import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The Xen lab's end-to-end test boots QEMU hosts for minutes: `npm run test:lab` (vitest.lab.config.ts).
    exclude: ['test/lab/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    // End-to-end tests start real processes, cgroups and sockets; keep files sequential so that
    // timing-sensitive tests (freeze, RTT) do not compete for the 2 cores of a typical runner.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
