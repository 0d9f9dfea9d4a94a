import { execa } from 'execa';
import { UserError } from '../../errors.ts';
import type { PRIORITY_CHOICES } from './config.ts';

export type PriorityChoice = (typeof PRIORITY_CHOICES)[number];

export interface PriorityPlan {
  kind: 'realtime' | 'nice' | 'normal';
  /** Command prefix that starts the controller at this priority. */
  prefix: string[];
  description: string;
  fallbacks: string[];
}

const REALTIME: PriorityPlan = {
  kind: 'realtime',
  // Reset-on-fork is mandatory: without it, processes the controller spawns would inherit
  // SCHED_FIFO and could starve the machine.
  prefix: ['chrt', '--reset-on-fork', '-f', '50'],
  description: 'realtime: SCHED_FIFO 50 with reset-on-fork (chrt)',
  fallbacks: [],
};
const NICE: PriorityPlan = {
  kind: 'nice',
  prefix: ['nice', '-n', '-20'],
  description: 'nice -20',
  fallbacks: [],
};
const NORMAL: PriorityPlan = {
  kind: 'normal',
  prefix: [],
  description: 'normal priority (expect millisecond-scale freeze times under load)',
  fallbacks: [],
};

async function realtimePermitted(): Promise<string | null> {
  try {
    await execa('chrt', ['--reset-on-fork', '-f', '50', 'true'], { timeout: 5000 });
    return null;
  } catch (error) {
    return (error as { shortMessage?: string }).shortMessage ?? String(error);
  }
}

async function nicePermitted(): Promise<string | null> {
  try {
    // `nice -n -20` runs the command even when the raise is refused; check the niceness it got.
    const { stdout } = await execa('nice', ['-n', '-20', 'nice'], { timeout: 5000 });
    return stdout.trim() === '-20' ? null : `niceness stayed at ${stdout.trim()} (no permission to raise it)`;
  } catch (error) {
    return (error as { shortMessage?: string }).shortMessage ?? String(error);
  }
}

/** The best controller priority the host permits, or exactly the one asked for. */
export async function choosePriority(preference: PriorityChoice): Promise<PriorityPlan> {
  const fallbacks: string[] = [];
  if (preference === 'normal') return NORMAL;
  if (preference === 'auto' || preference === 'realtime') {
    const refused = await realtimePermitted();
    if (!refused) return REALTIME;
    if (preference === 'realtime') {
      throw new UserError(
        `testbed.emulated.priority is "realtime" but chrt failed: ${refused}. Use "auto" to fall back.`,
      );
    }
    fallbacks.push(`realtime priority not permitted (${refused})`);
  }
  const refused = await nicePermitted();
  if (!refused) return { ...NICE, fallbacks };
  if (preference === 'nice') {
    throw new UserError(
      `testbed.emulated.priority is "nice" but nice -20 is not permitted: ${refused}. Use "auto" to fall back.`,
    );
  }
  fallbacks.push(`nice -20 not permitted (${refused})`);
  return { ...NORMAL, fallbacks };
}
