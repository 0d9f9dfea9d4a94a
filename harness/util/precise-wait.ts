import { setImmediate as nextTurn } from 'node:timers/promises';

/** Milliseconds on CLOCK_MONOTONIC: the same clock in every process of this host. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Resolves at `targetMs` (monotonicMs time) within tens of µs, without blocking the event loop: a
 * timer to 1.2 ms before the target (libuv timers have 1 ms granularity and fire up to 0.3 ms
 * early), then event-loop turns, during which I/O callbacks still run. Costs at most ~1.2 ms of CPU
 * per wait. Returns early when `cancelled()` becomes true.
 */
export async function waitUntil(targetMs: number, cancelled: () => boolean = () => false): Promise<void> {
  const early = targetMs - monotonicMs() - 1.2;
  if (early > 0) await new Promise<void>((resolve) => setTimeout(resolve, early));
  while (!cancelled() && monotonicMs() < targetMs) await nextTurn();
}
