import { describe, expect, it } from 'vitest';
import { type CopyState, copyState, decideCopies } from '../../harness/testbeds/xen/copies.ts';

const STATES: CopyState[] = ['running', 'paused', 'suspended', 'crashed', 'dying', 'absent', 'unknown'];
const domain = (state: string) => ({ name: 'vm', domid: 3, memMiB: 128, vcpus: 1, state });

describe('which copy of the guest stays after a Remus session', () => {
  it("reads xl list's state letters: only a copy with none of p s c d set runs", () => {
    expect(copyState(domain('-b----'))).toBe('running');
    expect(copyState(domain('r-----'))).toBe('running');
    expect(copyState(domain('--p---'))).toBe('paused');
    expect(copyState(domain('---ss-'))).toBe('suspended');
    expect(copyState(domain('----c-'))).toBe('crashed');
    expect(copyState(domain('--pssd'))).toBe('dying');
    expect(copyState(undefined)).toBe('absent');
  });

  for (const primary of STATES) {
    for (const backup of STATES) {
      it(`primary ${primary}, backup ${backup}`, () => {
        const d = decideCopies(primary, backup, 'vm');
        // Nothing is destroyed or changed unless both hosts were seen.
        if (primary === 'unknown' || backup === 'unknown') {
          expect(d.actions).toEqual([]);
          expect(d.stopRun).toBe(true);
        }
        // A running copy is never destroyed unless the other host's copy runs and is kept.
        for (const action of d.actions) {
          if (action.kind !== 'destroy') continue;
          const other = action.host === 'primary' ? backup : primary;
          expect(other).toBe('running');
          expect(d.survivor).not.toBe(action.host);
        }
        // The survivor is a copy that runs (or that the unpause makes run).
        if (d.survivor === 'primary')
          expect(primary === 'running' || (primary === 'paused' && backup === 'absent')).toBe(true);
        if (d.survivor === 'backup') expect(backup).toBe('running');
        // Either exactly one copy will run and the run may go on, or the run stops and says why.
        if (!d.survivor) {
          expect(d.stopRun).toBe(true);
          expect(d.verdict).not.toBe('');
        }
        // The guest left the primary: the next trial must not start until it is moved back.
        if (d.survivor === 'backup') expect(d.stopRun).toBe(true);
      });
    }
  }
});
