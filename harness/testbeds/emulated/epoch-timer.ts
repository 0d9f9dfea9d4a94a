import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Waits until `targetMs` (a performance.now() time) without blocking the event loop: a timer to
 * 1.2 ms before the target (libuv timers have 1 ms granularity and fire up to 0.3 ms early), then
 * event-loop turns until the target. The controller's proxy forwards client requests during those
 * turns; a blocking wait here (Atomics.wait, as reference/emulator.md §6 measured) held requests
 * that arrived in the last 1.5 ms before a checkpoint until after it, which added about 1.5 ms to the
 * median RTT at every interval. The turns cost at most ~1.2 ms of CPU per epoch.
 * `cancel` makes a pending wait return at once.
 */
export function createEpochTimer(): { waitUntil(targetMs: number): Promise<void>; cancel(): void } {
  let pending: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  let cancelled = false;
  return {
    async waitUntil(targetMs: number): Promise<void> {
      const early = targetMs - performance.now() - 1.2;
      if (early > 0) {
        await new Promise<void>((resolve) => {
          pending = { timer: setTimeout(resolve, early), resolve };
        });
        pending = null;
      }
      while (!cancelled && performance.now() < targetMs) await nextTurn();
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
