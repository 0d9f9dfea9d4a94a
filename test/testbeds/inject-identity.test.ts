import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processStartTime, stealUserfaultfd } from '../../harness/testbeds/emulated/memory/inject.ts';
import { libc } from '../../harness/testbeds/emulated/memory/libc.ts';

const bindings = libc();

describe.skipIf(bindings instanceof Error || process.getuid?.() !== 0)(
  'ptrace injection targets the guest process it was given',
  () => {
    it('a pid whose start time differs (exited, pid reused) is refused before ptrace touches it', () => {
      const other = spawn('sleep', ['5'], { stdio: 'ignore' });
      try {
        const pid = other.pid as number;
        expect(processStartTime(pid)).toMatch(/^\d+$/);
        expect(() => stealUserfaultfd(bindings as Exclude<typeof bindings, Error>, pid, '1')).toThrow(
          /process \d+ is no longer the guest's/,
        );
        // Never seized: no tracer, not stopped.
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        expect(status).toMatch(/^TracerPid:\s+0$/m);
        expect(status).not.toMatch(/^State:\s+t/m);
      } finally {
        other.kill('SIGKILL');
      }
    });
  },
);
