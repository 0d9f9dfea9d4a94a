/**
 * A delay that does not keep the process alive: for the timeout side of a race, where a pending
 * 10 s timer would otherwise hold the CLI open long after its work is done.
 */
export function timeoutDelay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
