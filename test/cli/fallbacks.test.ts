import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../harness/store/manifest.ts';
import { readSamples } from '../../harness/store/samples.ts';
import { PROJECT_ROOT } from '../../harness/version.ts';
import { leftoverGuestProcesses, runCli } from '../helpers/cli.ts';

const TINY = [
  '--intervals',
  '25',
  '--workloads',
  'latency',
  '--trials',
  '1',
  '--duration',
  '1',
  '--warmup',
  '0',
];
const NOBODY = 65534;

/**
 * The unprivileged runs need the checkout to be reachable by other users (every folder above it
 * searchable); a clone inside a private temp folder is not, and then those runs are skipped.
 */
function checkoutReachableByOthers(): boolean {
  for (let dir = PROJECT_ROOT; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === dirname(dir)) return true;
  }
}
const canRunUnprivileged = process.getuid?.() === 0 && checkoutReachableByOthers();

/** A results folder anyone may write to (for the runs as an unprivileged user). */
function openResults(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rb-fallback-'));
  chmodSync(dir, 0o777);
  return dir;
}

const manifestOf = (results: string): Manifest => {
  const dir = join(results, readdirSync(results)[0] as string);
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
};

describe('fallback mechanisms: the run still works and says which mechanism it used', {
  timeout: 120_000,
}, () => {
  it('with the SIGSTOP freezer asked for', async () => {
    const results = openResults();
    const { code, output } = await runCli([
      'experiment',
      ...TINY,
      '--freezer',
      'sigstop',
      '--results',
      results,
    ]);
    expect(code, output).toBe(0);
    expect(output).toMatch(/freezer: sigstop - SIGSTOP\/SIGCONT/);
    const manifest = manifestOf(results);
    expect(manifest.sessions[0]?.testbed.mechanisms.freezer).toBe('sigstop');
    const rows = readSamples(join(results, manifest.runId, 'samples.jsonl')).rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.mechanisms.freezer === 'sigstop')).toBe(true);
    const rate = rows.find((r) => r.metric === 'effective_rate_hz' && r.intervalMs === 25);
    expect(rate?.value).toBeGreaterThan(30);
  });

  it.skipIf(!canRunUnprivileged)(
    'as an unprivileged user: no cgroup write access, no realtime priority',
    async () => {
      const results = openResults();
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: results, TMPDIR: results };
      const { code, output } = await runCli(['experiment', ...TINY, '--results', results], {
        env,
        uid: NOBODY,
        gid: NOBODY,
      });
      expect(code, output).toBe(0);
      expect(output).toMatch(/Fallbacks: cgroup2 not usable: cannot create .* \(EACCES\)/);
      expect(output).toMatch(/freezer: sigstop/);
      expect(output).toMatch(/controllerPriority: normal/);
      const session = manifestOf(results).sessions[0];
      expect(session?.host.uid).toBe(NOBODY);
      expect(session?.testbed.mechanisms.freezer).toBe('sigstop');
      expect(session?.testbed.fallbacks.join('\n')).toMatch(/realtime priority not permitted/);
      expect(leftoverGuestProcesses()).toEqual([]);
    },
  );

  it.skipIf(!canRunUnprivileged)(
    'as an unprivileged user with sysbench missing: prints the apt-get line, exit 2',
    async () => {
      const results = openResults();
      // A PATH with a shell but without sysbench.
      const bin = join(results, 'bin');
      mkdirSync(bin);
      symlinkSync('/bin/sh', join(bin, 'sh'));
      const env = { PATH: bin, HOME: results, TMPDIR: results };
      const { code, output } = await runCli(
        ['experiment', '--workloads', 'cpu', '--results', join(results, 'r')],
        {
          env,
          uid: NOBODY,
          gid: NOBODY,
        },
      );
      expect(code, output).toBe(2);
      expect(output).toMatch(/Missing programs: sysbench \(package sysbench, for the cpu workload\)/);
      expect(output).toContain('apt-get install -y sysbench');
    },
  );
});
