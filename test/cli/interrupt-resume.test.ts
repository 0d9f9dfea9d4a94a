import { appendFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../harness/store/manifest.ts';
import { readSamples, type SampleRow } from '../../harness/store/samples.ts';
import type { RunState } from '../../harness/store/state.ts';
import { leftoverCgroups, leftoverGuestProcesses, runCli, startCli } from '../helpers/cli.ts';

// 2 workloads x (baseline + 25 ms) x 2 trials = 8 short trials.
const MATRIX = [
  '--intervals',
  '25',
  '--workloads',
  'cpu,latency',
  '--trials',
  '2',
  '--duration',
  '1',
  '--warmup',
  '0',
];

const runDirOf = (results: string) => join(results, readdirSync(results)[0] as string);
const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const trialStates = (dir: string) =>
  Object.values(readJson<RunState>(join(dir, 'state.json')).cells).flatMap((c) => Object.values(c.trials));
const rowsPerTrial = (rows: SampleRow[]) => {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.trialId, (counts.get(row.trialId) ?? 0) + 1);
  return counts;
};

describe('Ctrl-C during a trial, then --resume', { timeout: 180_000 }, () => {
  it('cleans up, keeps finished trials, and resumes to the same trials as an uninterrupted run', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-interrupt-'));
    const run = startCli(['experiment', ...MATRIX, '--results', results]);
    await run.waitFor(/\[3\/8\]/, 90_000);
    await new Promise((resolve) => setTimeout(resolve, 700));
    run.child.kill('SIGINT');
    const interrupted = await run.done;

    expect(interrupted.code).toBe(130);
    const dir = runDirOf(results);
    expect(interrupted.output).toContain(`npm run experiment -- --resume ${dir}`);
    // Nothing left running: no guest program, no checkpoint controller, no cgroup of that harness.
    expect(leftoverGuestProcesses()).toEqual([]);
    expect(leftoverCgroups(run.child.pid as number)).toEqual([]);
    // The two finished trials are on disk; the one in flight goes back to todo.
    const states = trialStates(dir);
    expect(states.filter((t) => t.status === 'done')).toHaveLength(2);
    expect(states.filter((t) => t.status === 'todo')).toHaveLength(6);
    expect(states.find((t) => t.reason?.startsWith('interrupted'))).toBeDefined();
    expect(rowsPerTrial(readSamples(join(dir, 'samples.jsonl')).rows).size).toBe(2);

    // Power loss in the middle of a write: a truncated last line is dropped with a warning.
    appendFileSync(join(dir, 'samples.jsonl'), '{"schema":1,"runId":"trunc');

    // A changed config is refused unless --force.
    const changed = await runCli(['experiment', '--resume', dir, '--trials', '3']);
    expect(changed.code).toBe(2);
    expect(changed.output).toMatch(/configuration differs .*matrix\.trials/);

    const resumed = await runCli(['experiment', '--resume', 'latest', '--results', results]);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toMatch(/last line is truncated/);
    expect(resumed.output).toMatch(/6 of 8 trials to run \(2 done before\)/);
    expect(trialStates(dir).every((t) => t.status === 'done')).toBe(true);
    const manifest = readJson<Manifest>(join(dir, 'manifest.json'));
    expect(manifest.sessions.map((s) => s.resumed)).toEqual([false, true]);

    // The same matrix without interruption, for comparison.
    const cleanResults = mkdtempSync(join(tmpdir(), 'rb-clean-'));
    const clean = await runCli(['experiment', ...MATRIX, '--results', cleanResults]);
    expect(clean.code, clean.output).toBe(0);
    const resumedRows = rowsPerTrial(readSamples(join(dir, 'samples.jsonl')).rows);
    const cleanRows = rowsPerTrial(readSamples(join(runDirOf(cleanResults), 'samples.jsonl')).rows);
    expect(resumedRows.size).toBe(8);
    expect(new Map([...resumedRows].sort())).toEqual(new Map([...cleanRows].sort()));
    expect(leftoverGuestProcesses()).toEqual([]);
  });
});
