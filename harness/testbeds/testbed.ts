import type { TestbedFacts } from '../store/manifest.ts';
import type { GuestSession } from './types.ts';

// What a probe found is stored in the manifest: its shape belongs to the store.
export type { TestbedFacts } from '../store/manifest.ts';

/** The interface every testbed implements (emulated, xen and xen-lab). */
export interface Testbed {
  readonly name: string;
  /** Detects what the host offers; the result goes into the manifest and onto every sample. */
  probe(): Promise<TestbedFacts>;
  startGuest(options: { label: string; signal?: AbortSignal }): Promise<GuestSession>;
  /** Idempotent: releases everything the testbed created. */
  dispose(): Promise<void>;
  /**
   * Said when the harness leaves without its cleanup (a third stop signal): what of this testbed
   * may still be running, and what to do about it.
   */
  leftRunning(): string;
}
