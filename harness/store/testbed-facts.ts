/**
 * What a testbed's probe found, as the manifest stores it (in its own file: the testbeds' interface
 * names it without depending on the rest of the manifest).
 */
/** Which mechanism does each job, and what was rejected on the way (a testbed's probe finds them). */
export interface TestbedFacts {
  name: string;
  mechanisms: Record<string, string>;
  /** A sentence per mechanism saying how it works, for the manifest and the report. */
  details: Record<string, string>;
  /** Better mechanisms that were not usable here, with the reason. */
  fallbacks: string[];
  /** Things the reader of the results must know (semantic gaps to real Remus). */
  caveats: string[];
  /** What the analysis needs to know of the mechanisms, typed; absent in runs written before it was recorded. */
  semantics?: TestbedSemantics;
}

export interface TestbedSemantics {
  /** Each reply waited until the checkpoint that produced it was committed (Remus's output commit). */
  outputHeld: boolean;
  /** Guest memory was copied to a backup at each checkpoint (false: the checkpoints cost their pauses alone). */
  memoryReplicated: boolean;
  /** What of the guest's output the mechanism does not hold, when it holds some. */
  outputNotHeld?: string;
}
