import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCProgram } from '../../harness/setup/guest-programs.ts';

const SOURCE = fileURLToPath(new URL('../../workloads/memory/guest/dirtier.c', import.meta.url));

describe('the page dirtier (a root guest program) creates its files, never follows or reuses one', () => {
  it('refuses a progress path that is a symlink or an existing file, leaving the target untouched; writes a new one', async () => {
    const dirtier = await buildCProgram(SOURCE);
    const dir = mkdtempSync(join(tmpdir(), 'rb-dirtier-'));
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    const link = join(dir, 'progress-link');
    symlinkSync(victim, link);
    const run = (progress: string) =>
      spawnSync(dirtier, ['1', '1', '0.5', '-', '-', progress], { encoding: 'utf8', timeout: 20_000 });
    const viaLink = run(link);
    expect(viaLink.status).toBe(2);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    const existing = run(victim);
    expect(existing.status).toBe(2);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
    const fresh = join(dir, 'progress');
    const ok = run(fresh);
    expect(ok.status, ok.stderr).toBe(0);
    expect(existsSync(fresh)).toBe(true);
    expect(readFileSync(fresh, 'utf8')).toMatch(/^[\d.]+ \d+ \d+\n$/);
  });
});
