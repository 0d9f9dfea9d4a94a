import { monotonicMs } from '../../util/precise-wait.ts';

/**
 * Waits until `targetMs` (a monotonicMs time) without blocking the event loop: a timer to 1.2 ms
 * before the target, then event-loop turns until it (harness/util/precise-wait.ts). The
 * controller's proxy forwards client requests during those turns; a blocking wait here
 * (Atomics.wait, as reference/emulator.md §6 measured) held requests that arrived in the last
 * 1.5 ms before a checkpoint until after it, which added about 1.5 ms to the median RTT at every
 * interval. `cancel` makes a pending wait return at once.
 */
export function createEpochTimer(): { waitUntil(targetMs: number): Promise<void>; cancel(): void } {
  let pending: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  let cancelled = false;
  return {
    async waitUntil(targetMs: number): Promise<void> {
      const early = targetMs - monotonicMs() - 1.2;
      if (early > 0) {
        await new Promise<void>((resolve) => {
          pending = { timer: setTimeout(resolve, early), resolve };
        });
        pending = null;
      }
      while (!cancelled && monotonicMs() < targetMs)
        await new Promise<void>((resolve) => setImmediate(resolve));
    },
    cancel(): void {
      cancelled = true;
      if (pending) {
        clearTimeout(pending.timer);
        pending.resolve();
      }
    },
  };
}
