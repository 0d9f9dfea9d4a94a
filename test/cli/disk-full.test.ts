import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readSamples } from '../../harness/store/samples.ts';
import type { RunState } from '../../harness/store/state.ts';
import { runCli } from '../helpers/cli.ts';

const MATRIX = [
  '--workloads',
  'cpu',
  '--intervals',
  '25',
  '--trials',
  '6',
  '--duration',
  '1',
  '--warmup',
  '0',
];
const trials = (dir: string) =>
  Object.values((JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState).cells).flatMap((c) =>
    Object.values(c.trials),
  );

describe.skipIf(process.getuid?.() !== 0)(
  'a full disk (a 100 KiB tmpfs as results root)',
  { timeout: 180_000 },
  () => {
    it('stops cleanly, keeps what was written consistent, and resumes once space is freed', async (context) => {
      const mount = mkdtempSync(join(tmpdir(), 'rb-tmpfs-'));
      try {
        await execa('mount', ['-t', 'tmpfs', '-o', 'size=100k', 'tmpfs', mount]);
      } catch (error) {
        context.skip(`mounting a tmpfs is not permitted here: ${(error as Error).message}`);
      }
      try {
        // The free-space check: the default 64 MB minimum stops the run before its first trial.
        const guarded = await runCli(['experiment', ...MATRIX, '--results', mount]);
        expect(guarded.code, guarded.output).toBe(1);
        expect(guarded.output).toMatch(
          /Stopped: only 0\.\d MB free on the file system of .*; a trial needs at least 64 MB \(config "minFreeMB"\)/,
        );
        await execa('sh', ['-c', `rm -rf "${mount}"/*`]);

        // Without the guard, the disk fills in the middle of the run.
        const config = join(mkdtempSync(join(tmpdir(), 'rb-cfg-')), 'nofree.json');
        writeFileSync(config, JSON.stringify({ minFreeMB: 0 }));
        const full = await runCli(['experiment', '--config', config, ...MATRIX, '--results', mount]);
        expect(full.code, full.output).toBe(1);
        expect(full.output).toMatch(/Stopped: .*(ENOSPC|no space left)/);
        const dir = join(mount, readdirSync(mount)[0] as string);
        expect(full.output).toContain(`npm run experiment -- --resume ${dir}`);
        // Nothing already written is corrupted: state.json parses, every complete sample line parses.
        const done = trials(dir).filter((t) => t.status === 'done').length;
        expect(done).toBeGreaterThan(0);
        expect(done).toBeLessThan(12);
        const samples = readSamples(join(dir, 'samples.jsonl'));
        expect(samples.warnings.filter((w) => !/last line is truncated/.test(w))).toEqual([]);

        await execa('mount', ['-o', 'remount,size=20m', mount]);
        const resumed = await runCli(['experiment', '--resume', dir]);
        expect(resumed.code, resumed.output).toBe(0);
        expect(trials(dir).every((t) => t.status === 'done')).toBe(true);
        const rows = readSamples(join(dir, 'samples.jsonl')).rows;
        expect(new Set(rows.map((r) => r.trialId)).size).toBe(12);
      } finally {
        await execa('umount', [mount]);
      }
    });
  },
);
