import type { XlDomain } from './xl-output.ts';

/**
 * Which copy of the guest stays running after a Remus session, decided from what `xl list` shows
 * on both hosts. Pure: the session gathers the states, this table says what to do, the session
 * does it and checks the result.
 */

/** One copy of the guest on one host. `unknown`: `xl list` failed there, so nothing is known. */
export type CopyState = 'running' | 'paused' | 'suspended' | 'crashed' | 'dying' | 'absent' | 'unknown';

/**
 * xl list's six state letters are r b p s c d (running, blocked, paused, shutdown, crashed, dying);
 * a copy counts as running only when none of p, s, c, d is set. A suspended guest shows `---ss-`.
 */
export function copyState(domain: XlDomain | undefined): CopyState {
  if (!domain) return 'absent';
  const flag = (index: number, letter: string) => domain.state[index] === letter;
  if (flag(5, 'd')) return 'dying';
  if (flag(4, 'c')) return 'crashed';
  if (flag(3, 's')) return 'suspended';
  if (flag(2, 'p')) return 'paused';
  return 'running';
}

export type Host = 'primary' | 'backup';

export type CopyAction = { kind: 'destroy'; host: Host } | { kind: 'unpause'; host: 'primary' };

export interface CopyDecision {
  actions: CopyAction[];
  /** Where the one running copy must be afterwards; null when none can be left running. */
  survivor: Host | null;
  /** What was found and what is done, for the trial's record; '' when all is as it should be. */
  verdict: string;
  /** The run must stop here: the hosts need a person before the next trial. */
  stopRun: boolean;
}

export function decideCopies(primary: CopyState, backup: CopyState, vm: string): CopyDecision {
  const found = `primary: ${primary}, backup: ${backup}`;
  if (primary === 'unknown' || backup === 'unknown') {
    return {
      actions: [],
      survivor: null,
      verdict: `cannot tell which copies of ${vm} run (${found}): nothing was destroyed. Check \`xl list\` on both hosts; exactly one copy must run before the next run`,
      stopRun: true,
    };
  }
  if (primary === 'running') {
    if (backup === 'absent') return { actions: [], survivor: 'primary', verdict: '', stopRun: false };
    return {
      actions: [{ kind: 'destroy', host: 'backup' }],
      survivor: 'primary',
      verdict:
        backup === 'running'
          ? `SPLIT BRAIN: the backup had failed over and was running a second copy of ${vm}; destroyed that copy`
          : `the backup held a ${backup} copy of ${vm} next to the running primary; destroyed it`,
      stopRun: false,
    };
  }
  if (backup === 'running') {
    const moveBack = 'Move it back to the primary before the next run';
    if (primary === 'absent')
      return {
        actions: [],
        survivor: 'backup',
        verdict: `FAILOVER: ${vm} is gone from the primary and now runs only on the backup; left it running. ${moveBack}`,
        stopRun: true,
      };
    return {
      actions: [{ kind: 'destroy', host: 'primary' }],
      survivor: 'backup',
      verdict: `FAILOVER: the backup had promoted its copy of ${vm} and the primary's is ${primary}; destroyed the primary's copy and kept the backup's running. ${moveBack}`,
      stopRun: true,
    };
  }
  if (primary === 'paused' && backup === 'absent') {
    return {
      actions: [{ kind: 'unpause', host: 'primary' }],
      survivor: 'primary',
      verdict: `the guest ${vm} was left paused on the primary; unpaused it (xl unpause)`,
      stopRun: false,
    };
  }
  return {
    actions: [],
    survivor: null,
    verdict: `no copy of ${vm} runs (${found}); nothing was destroyed, so that whichever copy is sound can still be recovered by hand`,
    stopRun: true,
  };
}
