import { afterEach, describe, expect, it } from 'vitest';
import {
  DUPLICATE_WINDOW_MS,
  type InterruptHandle,
  installInterruptHandler,
} from '../../harness/run/interrupt.ts';

// The handler's counting, with signals emitted in-process (the real signals through npm, a shell
// and a terminal are in signals.test.ts).
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('stop signals: abort, then hurry, then leave', () => {
  let handle: InterruptHandle | null = null;
  afterEach(() => handle?.dispose());

  function install() {
    const lines: string[] = [];
    const exits: number[] = [];
    handle = installInterruptHandler(
      (line) => lines.push(line),
      {
        stopping: 'stopping the test; done parts stay',
        skipping: 'the extras',
        leaving: () => 'the test rig.',
      },
      (code) => exits.push(code),
    );
    return { handle, lines, exits };
  }

  it('counts one signal delivered twice at once as one (a keystroke to the group, relayed again by npm)', () => {
    const { handle, lines, exits } = install();
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect(handle.signal.aborted).toBe(true);
    expect(handle.received()).toBe('SIGINT');
    expect(handle.hurry.aborted).toBe(false);
    expect(lines).toHaveLength(1);
    expect(exits).toEqual([]);
  });

  it('second signal hurries, third leaves with exit 130 and says what is left', async () => {
    const { handle, lines, exits } = install();
    process.emit('SIGTERM', 'SIGTERM');
    expect(lines[0]).toContain(
      'SIGTERM: stopping the test; done parts stay. (send it again to skip the extras',
    );
    await sleep(DUPLICATE_WINDOW_MS + 50);
    process.emit('SIGTERM', 'SIGTERM');
    expect(handle.hurry.aborted).toBe(true);
    expect(lines[1]).toBe(
      'SIGTERM again: skipping the extras; still stopping the test so that nothing is left running (a third signal leaves at once).',
    );
    expect(exits).toEqual([]);
    process.emit('SIGHUP', 'SIGHUP');
    expect(lines[2]).toBe('SIGHUP a third time: leaving now, without finishing the cleanup: the test rig.');
    expect(exits).toEqual([130]);
  });

  it('different signals in quick succession each count', () => {
    const { handle, exits } = install();
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    expect(handle.hurry.aborted).toBe(true);
    expect(exits).toEqual([]);
  });
});
