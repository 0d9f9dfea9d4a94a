import type { TestbedFacts, TestbedSemantics } from '../harness/store/testbed-facts.ts';

/**
 * What a run's testbed did that the findings depend on: recorded by the testbed's probe, or, for
 * runs written before it was, read from the mechanism names those runs stored (the emulated
 * testbed's `replication` and `outputCommit`, the Xen testbed's `networkBuffering`).
 */
export function testbedSemantics(facts: TestbedFacts | undefined): TestbedSemantics | null {
  if (!facts) return null;
  if (facts.semantics) return facts.semantics;
  const mechanisms = facts.mechanisms;
  return {
    outputHeld: !(mechanisms.networkBuffering ?? '').startsWith('off'),
    memoryReplicated: mechanisms.replication !== 'none',
    ...(mechanisms.outputCommit === 'tcp-proxy'
      ? {
          outputNotHeld:
            'TCP handshakes and ACKs (the proxy holds payload bytes; the host kernel terminates TCP)',
        }
      : {}),
  };
}
