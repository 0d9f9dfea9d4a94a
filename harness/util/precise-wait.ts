import { setImmediate as nextTurn } from 'node:timers/promises';

/** Milliseconds on CLOCK_MONOTONIC: the same clock in every process of this host. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * Resolves at `targetMs` (monotonicMs time) within tens of µs, without blocking the event loop: a
 * timer to 1.2 ms before the target (libuv timers have 1 ms granularity and fire up to 0.3 ms
 * early), then event-loop turns, during which I/O callbacks still run. Costs at most ~1.2 ms of CPU
 * per wait. A blocking wait (Atomics.wait, measured while this was written) would stop the
 * caller's sockets meanwhile: in the checkpoint controller that held client requests arriving in
 * the last 1.5 ms before a checkpoint until after it. Returns at once when `signal` aborts.
 */
export async function waitUntil(targetMs: number, signal?: AbortSignal): Promise<void> {
  const early = targetMs - monotonicMs() - 1.2;
  if (early > 0 && !signal?.aborted) {
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, early);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
  while (!signal?.aborted && monotonicMs() < targetMs) await nextTurn();
}
