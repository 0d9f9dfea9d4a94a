/**
 * The guest sessions a testbed has open: each gets a numbered label and is tracked until it stops,
 * so that dispose() can stop what a run left open and leftRunning() can tell whether anything is.
 */
export class LiveSessions<S extends { stop(): Promise<void> }> {
  private count = 0;
  private readonly open = new Set<S>();

  /** A label unique within this testbed: the caller's, numbered. */
  nextLabel(base: string): string {
    return `${base}-${++this.count}`;
  }

  get size(): number {
    return this.open.size;
  }

  /** Tracks an open session; returns its stop, which also forgets it (whether it succeeds or not). */
  track(session: S): () => Promise<void> {
    this.open.add(session);
    return async () => {
      try {
        await session.stop();
      } finally {
        this.open.delete(session);
      }
    };
  }

  /** Stops every session still open; never rejects. */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.open].map((s) => s.stop()));
  }
}
