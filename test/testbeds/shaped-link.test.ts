import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupLink } from '../../harness/testbeds/emulated/memory/backup-link.ts';
import { ShapedLink, sweepStaleLinks } from '../../harness/testbeds/emulated/memory/shaped-link.ts';
import { runCli } from '../helpers/cli.ts';

const namespaces = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
/** Bytes the qdisc on `device` has sent (`tc -s`: "Sent N bytes"). */
function qdiscSentBytes(device: string): number {
  const shown = spawnSync('tc', ['-s', 'qdisc', 'show', 'dev', device], { encoding: 'utf8' }).stdout;
  return Number(/Sent (\d+) bytes/.exec(shown)?.[1] ?? Number.NaN);
}
const interfaceExists = (name: string) => spawnSync('ip', ['link', 'show', name]).status === 0;

/** Ships one epoch of `bytes` (one region of a made-up process) and returns the ms to its ack. */
async function shipMs(link: BackupLink, epoch: number, bytes: number): Promise<number> {
  const start = 1 << 20;
  const description = { processes: [{ pid: 42, layout: [start, start + bytes], ranges: 1 }], gone: [] };
  const begin = performance.now();
  await link.ship(epoch, description, new Float64Array([start, start + bytes]), Buffer.alloc(bytes, epoch));
  return performance.now() - begin;
}

describe('a shaped link to the backup (veth + tbf in a network namespace)', { timeout: 120_000 }, () => {
  it('carries the checkpoint stream at the configured rate, within 10 %, and is gone after close', async () => {
    const rateMbit = 200;
    const shaped = await ShapedLink.create(rateMbit);
    const link = await BackupLink.start(shaped);
    try {
      expect(namespaces()).toContain(shaped.namespace);
      expect(link.route).toMatch(/tbf 200 Mbit\/s/);
      await shipMs(link, 1, 1 << 20); // the connection's slow start, outside the measurement
      const bytes = 20 * 2 ** 20;
      const sentBefore = qdiscSentBytes(shaped.primaryInterface);
      let totalMs = 0;
      const payloadRates: number[] = [];
      for (let epoch = 2; epoch <= 4; epoch++) {
        const ms = await shipMs(link, epoch, bytes);
        totalMs += ms;
        payloadRates.push((bytes * 8) / ms / 1000);
      }
      // The link's rate as tbf counts it (whole frames, headers included), over the three epochs.
      const wireMbit = ((qdiscSentBytes(shaped.primaryInterface) - sentBefore) * 8) / totalMs / 1000;
      const seen = `wire ${wireMbit.toFixed(1)} Mbit/s; payload per epoch ${payloadRates.map((r) => r.toFixed(1)).join(', ')}`;
      expect(wireMbit, seen).toBeGreaterThan(rateMbit * 0.9);
      expect(wireMbit, seen).toBeLessThan(rateMbit * 1.02);
      // The payload's share of a 1500-byte frame is ~95 %: the guest's pages get a bit less.
      expect(Math.max(...payloadRates), seen).toBeLessThan(rateMbit);
      expect((await link.read(42, (1 << 20) + bytes - 4, (1 << 20) + bytes))?.toString('hex')).toBe(
        '04040404',
      );
    } finally {
      await link.close();
    }
    expect(namespaces()).not.toContain(shaped.namespace);
    expect(interfaceExists(shaped.primaryInterface)).toBe(false);
  });

  it('a later start removes the link of an owner that died without closing it', async () => {
    const dead = spawnSync('true').pid as number;
    const orphan = await ShapedLink.create(100, dead);
    expect(namespaces()).toContain(orphan.namespace);
    const removed = await sweepStaleLinks();
    expect(removed).toContain(orphan.namespace);
    expect(namespaces()).not.toContain(orphan.namespace);
    expect(interfaceExists(orphan.primaryInterface)).toBe(false);
  });

  it('an experiment with testbed.emulated.backupLink records the link on every sample; a bad rate is named', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-shaped-'));
    const config = join(results, 'link.json');
    writeFileSync(
      config,
      JSON.stringify({ testbed: { kind: 'emulated', emulated: { backupLink: { rateMbit: 100 } } } }),
    );
    const { code, output } = await runCli([
      'experiment',
      '--config',
      config,
      '--workloads',
      'memory',
      '--intervals',
      '25',
      '--no-baseline',
      '--trials',
      '1',
      '--duration',
      '2',
      '--warmup',
      '1',
      '--results',
      results,
    ]);
    expect(code, output).toBe(0);
    const [run] = readdirSync(results).filter((name) => !name.startsWith('.') && !name.endsWith('.json'));
    const rows = readFileSync(join(results, run as string, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { metric: string; value: number; mechanisms: Record<string, string> },
      );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.mechanisms.backupLink).toBe('tbf 100 Mbit/s');
    // At 100 Mbit/s an epoch's dirty pages (~1,600 at 25 ms) need ~0.5 s: far fewer than 40 checkpoints/s.
    const effective = rows.find((r) => r.metric === 'effective_rate_hz')?.value as number;
    expect(effective).toBeLessThan(20);
    expect(namespaces()).not.toMatch(/remus-bench-link-/);

    writeFileSync(
      config,
      JSON.stringify({ testbed: { kind: 'emulated', emulated: { backupLink: { rateMbit: 0 } } } }),
    );
    const bad = await runCli(['experiment', '--config', config, '--dry-run']);
    expect(bad.code).toBe(2);
    expect(bad.output).toMatch(/testbed\.emulated\.backupLink\.rateMbit.*at least 1 Mbit\/s/);
  });
});
