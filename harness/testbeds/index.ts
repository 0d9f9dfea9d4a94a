import { emulatedTestbed } from './emulated/index.ts';
import type { Testbed, TestbedContext, TestbedDefinition } from './testbed.ts';
import { xenTestbed } from './xen/index.ts';
import { xenLabTestbed } from './xen-lab/index.ts';

/**
 * The module list: every testbed the harness can run on (its import above, its name below); the
 * first is the default. The config schema (`testbed.kind` and the sections), the presets and the
 * run loop read it here.
 */
export const TESTBEDS = [emulatedTestbed, xenTestbed, xenLabTestbed] as const;

export type TestbedName = (typeof TESTBEDS)[number]['kind'];

export const TESTBED_NAMES = TESTBEDS.map((t) => t.kind) as [TestbedName, ...TestbedName[]];

/** The testbed `testbed.kind` names, given its section (or its defaults). */
export function createTestbed(
  testbed: { readonly kind: string } & Readonly<Record<string, unknown>>,
  context: TestbedContext = { log: () => {} },
): Testbed {
  // The config schema gives each section its testbed's own type; the list cannot say so per item.
  const definition = TESTBEDS.find((t) => t.kind === testbed.kind) as unknown as
    | TestbedDefinition
    | undefined;
  if (!definition) throw new Error(`no testbed "${testbed.kind}" in the module list`);
  const section = testbed[definition.section] ?? definition.defaults;
  // The schema refuses a config without the section of a testbed that has no defaults.
  if (section === undefined) throw new Error(`testbed.${definition.section} missing`);
  return definition.create(section, context);
}

/** Why a testbed kind cannot run the `adaptive` interval, or undefined where it can. */
export function adaptiveUnavailableReason(kind: string): string | undefined {
  return (TESTBEDS as readonly TestbedDefinition[]).find((t) => t.kind === kind)?.fixedIntervalsOnly;
}
