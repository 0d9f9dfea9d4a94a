import type { z } from 'zod';
import type { TestbedFacts } from '../store/testbed-facts.ts';
import type { GuestSession } from './types.ts';

// What a probe found is stored in the manifest: its shape belongs to the store.
export type { TestbedFacts } from '../store/testbed-facts.ts';

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

/** What a testbed is given besides its config section: the run's log and its stop signal. */
export interface TestbedContext {
  log: (line: string) => void;
  signal?: AbortSignal;
}

/**
 * What the module list (testbeds/index.ts) holds: a testbed that describes itself. The config
 * schema (`testbed.kind` and one section per testbed), the presets and the run loop read it there.
 */
export interface TestbedDefinition<
  K extends string = string,
  F extends string = string,
  S extends z.ZodType = z.ZodType,
> {
  /** `testbed.kind`. */
  readonly kind: K;
  /** The name of its section of `testbed` (e.g. `xenLab` for kind `xen-lab`). */
  readonly section: F;
  readonly configSchema: S;
  /** Used when the config has no section for it; without defaults the section is required. */
  readonly defaults?: z.output<S>;
  /** Said when the section is required and missing: what to give. */
  readonly whenMissing?: string;
  /** Set when the section must not be given with another kind: what to do instead. */
  readonly onlyWithItsKind?: string;
  /** Set when it cannot run the `adaptive` interval: why (its adaptive cells are planned as not runnable). */
  readonly fixedIntervalsOnly?: string;
  /**
   * Where it runs, not what it measures: dot paths of fields of its section (hosts, addresses,
   * keys, known_hosts, log folders, how long to wait for them). Shards of one plan run on
   * different hosts differ only in these, and merge; every other field defines the plan.
   */
  readonly placement?: readonly string[];
  /** One line naming where a config of it runs (e.g. the two dom0s), for the merged manifest and the report. */
  placementLabel?(config: z.output<S>): string;
  create(config: z.output<S>, context: TestbedContext): Testbed;
}

/** Declares a testbed; keeps its kind and section literal types, so that the config's type names them. */
export function defineTestbed<const K extends string, const F extends string, S extends z.ZodType>(
  definition: TestbedDefinition<K, F, S>,
): TestbedDefinition<K, F, S> {
  return definition;
}
