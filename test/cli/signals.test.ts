import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSamples } from '../../harness/store/samples.ts';
import type { RunState } from '../../harness/store/state.ts';
import { leftoverCgroups, leftoverGuestProcesses, runCli } from '../helpers/cli.ts';
import { type NpmRun, startNpmRun } from '../helpers/process-group.ts';

// cpu x (baseline + 25 ms) x 2 trials = 4 short trials.
const MATRIX = [
  '--intervals',
  '25',
  '--workloads',
  'cpu',
  '--trials',
  '2',
  '--duration',
  '1',
  '--warmup',
  '0',
];
const TRIALS = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const runDirOf = (results: string) =>
  join(results, readdirSync(results).find((name) => !name.startsWith('.')) as string);
const trialStates = (dir: string) =>
  Object.values((JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as RunState).cells).flatMap((c) =>
    Object.values(c.trials),
  );

/** Starts the run the way a user does and waits until its second trial is under way. */
async function startAndReachSecondTrial(terminal: boolean): Promise<{ run: NpmRun; results: string }> {
  const results = mkdtempSync(join(tmpdir(), 'rb-signals-'));
  const run = startNpmRun('experiment', [...MATRIX, '--results', results], { terminal });
  await run.waitFor(/\[2\/4\]/, 90_000);
  await sleep(400);
  return { run, results };
}

/** What every stop must leave: nothing running, state consistent, the resume line, and a resume that completes. */
async function expectStoppedCleanlyAndResumable(
  run: NpmRun,
  results: string,
  consoleSeesTheEnd: boolean,
  reportsWritten = true,
) {
  const harness = run.harnessPid();
  expect(harness).not.toBeNull();
  await run.allGone();
  const dir = runDirOf(results);
  const resumeLine = `npm run experiment -- --resume ${dir}`;
  const runLog = readFileSync(join(dir, 'run.log'), 'utf8');
  expect(runLog).toContain(resumeLine);
  if (consoleSeesTheEnd) expect(run.output()).toContain(resumeLine);
  // The reports of the finished trials were written before the harness exited.
  if (reportsWritten) {
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(existsSync(join(dir, 'report.pdf'))).toBe(true);
  }
  expect(leftoverGuestProcesses()).toEqual([]);
  expect(leftoverCgroups(harness as number)).toEqual([]);
  const states = trialStates(dir);
  expect(states.filter((t) => t.status === 'running')).toEqual([]);
  const doneBefore = states.filter((t) => t.status === 'done').length;
  expect(doneBefore).toBeGreaterThanOrEqual(1);
  expect(doneBefore).toBeLessThan(TRIALS);

  const resumed = await runCli(['experiment', '--resume', dir]);
  expect(resumed.code, resumed.output).toBe(0);
  expect(resumed.output).toContain(
    `${TRIALS - doneBefore} of ${TRIALS} trials to run (${doneBefore} done before)`,
  );
  expect(trialStates(dir).every((t) => t.status === 'done')).toBe(true);
  // Every trial exactly once in the samples: none lost, none counted twice.
  const trialIds = new Set(readSamples(join(dir, 'samples.jsonl')).rows.map((r) => r.trialId));
  expect(trialIds.size).toBe(TRIALS);
  expect(leftoverGuestProcesses()).toEqual([]);
}

describe('stop signals as users send them (npm, its shell and the harness together)', {
  timeout: 240_000,
}, () => {
  it('a supervisor stop without a terminal (SIGTERM to the process group): reports, resume line, resumable', async () => {
    const { run, results } = await startAndReachSecondTrial(false);
    run.killGroup('SIGTERM');
    await expectStoppedCleanlyAndResumable(run, results, true);
  });

  it('a supervisor stop while the reports are being written (the run is done): the reports are finished', async () => {
    const results = mkdtempSync(join(tmpdir(), 'rb-signals-'));
    const run = startNpmRun('experiment', [...MATRIX, '--trials', '1', '--results', results], {
      terminal: false,
    });
    // The console analysis is printed first; the HTML and PDF files follow (seconds of busy work).
    await run.waitFor(/^Verdict: /m, 90_000);
    run.killGroup('SIGTERM');
    await run.allGone();
    const dir = runDirOf(results);
    expect(run.output()).toMatch(/^Reports: .*report\.pdf$/m);
    expect(readFileSync(join(dir, 'report.pdf')).subarray(0, 5).toString()).toBe('%PDF-');
    expect(readFileSync(join(dir, 'report.pdf')).subarray(-8).toString()).toMatch(/%%EOF/);
    expect(trialStates(dir).every((t) => t.status === 'done')).toBe(true);
  });

  it('SIGINT to the process group without a terminal (a CI cancel): the same', async () => {
    const { run, results } = await startAndReachSecondTrial(false);
    run.killGroup('SIGINT');
    await expectStoppedCleanlyAndResumable(run, results, true);
  });

  it('Ctrl-C typed at a real terminal: the same', async () => {
    const { run, results } = await startAndReachSecondTrial(true);
    run.typeCtrlC();
    await expectStoppedCleanlyAndResumable(run, results, true);
  });

  it('the terminal goes away (SIGHUP, then every console write fails): cleanup, state and reports all the same', async () => {
    const { run, results } = await startAndReachSecondTrial(true);
    run.hangUp();
    await expectStoppedCleanlyAndResumable(run, results, false);
  });

  it('a second stop signal: the reports are skipped (the console says how to write them), the cleanup is the same', async () => {
    const { run, results } = await startAndReachSecondTrial(false);
    // An operator's Ctrl-C (to the group, no terminal), then a supervisor's stop before the cleanup
    // is done: two signals. (The same signal twice within a few hundred ms counts once: npm relays it.)
    run.killGroup('SIGINT');
    run.killGroup('SIGTERM');
    await run.allGone();
    const dir = runDirOf(results);
    // Both are pending at once: the process may take them in either order.
    expect(run.output()).toMatch(
      /SIG(INT|TERM) again: skipping the reports; still stopping the trial in flight/,
    );
    expect(run.output()).toContain(`Write them with:\n  npm run report -- ${dir}`);
    expect(existsSync(join(dir, 'report.pdf'))).toBe(false);
    // Written later, they are complete.
    const reported = await runCli(['report', dir]);
    expect(reported.code, reported.output).toBe(0);
    expect(readFileSync(join(dir, 'report.pdf')).subarray(-8).toString()).toMatch(/%%EOF/);
    await expectStoppedCleanlyAndResumable(run, results, true, false);
  });

  it('three stop signals: leaves at once, says what may be left running; the next start cleans up, resume completes', async () => {
    const { run, results } = await startAndReachSecondTrial(false);
    const harness = run.harnessPid();
    // A supervisor's stop, an operator's Ctrl-C and a hangup, in quick succession: three signals
    // within a few ms (the cleanup after the first can be done in under 100 ms: later ones would
    // find the harness gone).
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      run.killGroup(signal);
      await sleep(5);
    }
    const seconds = await run.allGone();
    expect(seconds).toBeLessThan(10);
    const dir = runDirOf(results);
    const said = readFileSync(join(dir, 'run.log'), 'utf8');
    expect(said).toMatch(/SIG(TERM|INT|HUP) a third time: leaving now, without finishing the cleanup: /);
    expect(said).toContain("the harness's next start on this host removes them");
    expect(said).toMatch(/Resume with:\n.* {2}npm run experiment -- --resume /);
    expect(said).toContain(`npm run experiment -- --resume ${dir}`);
    expect(existsSync(join(dir, 'report.pdf'))).toBe(false);
    const resumed = await runCli(['experiment', '--resume', dir]);
    expect(resumed.code, resumed.output).toBe(0);
    expect(trialStates(dir).every((t) => t.status === 'done')).toBe(true);
    expect(new Set(readSamples(join(dir, 'samples.jsonl')).rows.map((r) => r.trialId)).size).toBe(TRIALS);
    expect(leftoverCgroups(harness as number)).toEqual([]);
    expect(leftoverGuestProcesses()).toEqual([]);
  });

  it('a crash (SIGKILL to the whole group), then --resume latest at once: not refused, completes', async () => {
    const { run, results } = await startAndReachSecondTrial(false);
    const harness = run.harnessPid();
    run.killGroup('SIGKILL');
    await run.allGone();
    const resumed = await runCli(['experiment', '--resume', 'latest', '--results', results]);
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).not.toMatch(/Another run/);
    const dir = runDirOf(results);
    expect(trialStates(dir).every((t) => t.status === 'done')).toBe(true);
    expect(new Set(readSamples(join(dir, 'samples.jsonl')).rows.map((r) => r.trialId)).size).toBe(TRIALS);
    // What the killed harness left (its guest's cgroup) is gone after the next start.
    expect(leftoverCgroups(harness as number)).toEqual([]);
    expect(leftoverGuestProcesses()).toEqual([]);
  });
});
