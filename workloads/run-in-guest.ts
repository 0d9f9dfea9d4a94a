import { InterruptedError } from '../harness/errors.ts';
import type { TrialContext } from './types.ts';

/**
 * Runs a program in the guest to completion and returns its stdout; a Ctrl-C becomes
 * InterruptedError, a non-zero exit an error naming the command and its stderr.
 */
export async function runInGuest(
  context: TrialContext,
  argv: readonly string[],
  timeoutMs: number,
): Promise<string> {
  const result = await context.guest.exec(argv, { signal: context.signal, timeoutMs });
  if (context.signal.aborted) throw new InterruptedError();
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(' ')} exited with ${result.exitCode} in the guest: ${result.stderr.trim()}`);
  }
  return result.stdout;
}
