import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireLock } from '../store/lock.ts';

/**
 * Two unattended runs must never share a results directory or a testbed of this host: takes both
 * locks (or neither) and returns what releases them.
 */
export function acquireRunLocks(
  resultsRoot: string,
  testbedKind: string,
  log: (line: string) => void,
): () => void {
  mkdirSync(resultsRoot, { recursive: true });
  const releaseResults = acquireLock(
    join(resultsRoot, '.remus-bench.lock'),
    `the results directory ${resolve(resultsRoot)}`,
    log,
  );
  try {
    const releaseTestbed = acquireLock(
      join(tmpdir(), `remus-bench-testbed-${testbedKind}.lock`),
      `the ${testbedKind} testbed of this host`,
      log,
    );
    return () => {
      releaseTestbed();
      releaseResults();
    };
  } catch (error) {
    releaseResults();
    throw error;
  }
}
