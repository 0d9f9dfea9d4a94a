/**
 * Stop signals at many points of real runs: `npm run soak:signals -- [signals]` (default 50).
 *
 * Runs a small matrix (cpu + latency, baseline + 25 ms, 3 trials each: 12 trials) with
 * `npm run experiment`, as users start it, and stops it at a random moment with a random one of:
 * SIGINT / SIGTERM / SIGKILL to the whole process group (no terminal), Ctrl-C typed at a real
 * pseudo-terminal, or the terminal hung up (SIGHUP). Then resumes the run, which is stopped again,
 * until it completes; then starts the next run, until the number of signals is reached. After every
 * stop it checks: every process of the run's sessions has exited, no guest process or cgroup is
 * left, no trial is left "running" and the resume line is in run.log (except after SIGKILL). After
 * every completed run: every trial done, each exactly once in samples.jsonl. Prints the counts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSamples } from '../../harness/store/samples.ts';
import type { RunState } from '../../harness/store/state.ts';
import { leftoverCgroups, leftoverGuestProcesses, runCli } from '../helpers/cli.ts';
import { startNpmRun } from '../helpers/process-group.ts';

const MATRIX = [
  '--intervals',
  '25',
  '--workloads',
  'cpu,latency',
  '--trials',
  '3',
  '--duration',
  '1',
  '--warmup',
  '0',
];
const TRIALS = 12;
const wanted = Number(process.argv[2] ?? 50);
if (!Number.isInteger(wanted) || wanted < 1) {
  console.error(`signals must be a positive whole number, got ${process.argv[2]}`);
  process.exit(2);
}

type Stop = 'SIGINT' | 'SIGTERM' | 'SIGKILL' | 'ctrl-c' | 'hangup';
const STOPS: Stop[] = ['SIGINT', 'SIGTERM', 'SIGKILL', 'ctrl-c', 'hangup'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
  return ok;
};

const trialStates = (dir: string): Map<string, string> => {
  const path = join(dir, 'state.json');
  if (!existsSync(path)) return new Map();
  return new Map(
    Object.values((JSON.parse(readFileSync(path, 'utf8')) as RunState).cells).flatMap((c) =>
      Object.entries(c.trials).map(([id, t]) => [id, t.status] as [string, string]),
    ),
  );
};
const trialStatuses = (dir: string) => [...trialStates(dir).values()];
const runDirOf = (results: string) => {
  const name = readdirSync(results).find((n) => !n.startsWith('.'));
  return name ? join(results, name) : null;
};

const counts = new Map<Stop, number>(STOPS.map((s) => [s, 0]));
let signals = 0;
let runsCompleted = 0;
let stopsBeforeRunDir = 0;
const began = performance.now();

while (signals < wanted) {
  const results = mkdtempSync(join(tmpdir(), 'rb-soak-'));
  let completed = false;
  for (let segment = 0; !completed && segment < 40; segment++) {
    const dir = runDirOf(results);
    const args = dir ? ['--resume', dir] : [...MATRIX, '--results', results];
    const stop = signals < wanted ? (STOPS[Math.floor(Math.random() * STOPS.length)] as Stop) : null;
    const terminal = stop === 'ctrl-c' || stop === 'hangup';
    // Guest processes of anything else on this host (another test run) are not this run's.
    const othersBefore = new Set(leftoverGuestProcesses());
    // Trials an earlier SIGKILL left "running": a stop that comes before this run rewrote its state
    // (start-up) leaves them so; the next resume puts them back to todo.
    const runningBefore = new Set(
      [...(dir ? trialStates(dir) : new Map<string, string>())]
        .filter(([, s]) => s === 'running')
        .map(([id]) => id),
    );
    const leftGuests = () => leftoverGuestProcesses().filter((pid) => !othersBefore.has(pid));
    const run = startNpmRun('experiment', args, { terminal });
    if (stop === null) {
      await run.allGone(600_000);
    } else {
      // Anywhere from start-up (probe, lock, manifest) to the reports of the last trial.
      await sleep(500 + Math.random() * 14_000);
      const harness = run.harnessPid();
      if (stop === 'ctrl-c') run.typeCtrlC();
      else if (stop === 'hangup') run.hangUp();
      else run.killGroup(stop);
      signals++;
      counts.set(stop, (counts.get(stop) ?? 0) + 1);
      await run.allGone(120_000);
      const runDir = runDirOf(results);
      const label = `signal ${signals} (${stop}, segment ${segment})`;
      check(
        leftGuests().length === 0 || stop === 'SIGKILL',
        `${label}: guest processes left: ${leftGuests().join(' ')}`,
      );
      if (harness !== null && stop !== 'SIGKILL')
        check(leftoverCgroups(harness).length === 0, `${label}: cgroups of pid ${harness} left`);
      if (!runDir) {
        stopsBeforeRunDir++;
        continue;
      }
      const statuses = trialStatuses(runDir);
      if (stop !== 'SIGKILL') {
        const leftRunning = [...trialStates(runDir)].filter(
          ([id, s]) => s === 'running' && !runningBefore.has(id),
        );
        check(
          leftRunning.length === 0,
          `${label}: trial ${leftRunning.map(([id]) => id).join(', ')} left running in state.json`,
        );
        const runLog = readFileSync(join(runDir, 'run.log'), 'utf8');
        check(
          runLog.includes(`--resume ${runDir}`) || statuses.every((s) => s === 'done'),
          `${label}: no resume line in run.log`,
        );
      }
      console.log(`${label}: ${statuses.filter((s) => s === 'done').length}/${TRIALS} done`);
    }
    const runDir = runDirOf(results);
    if (runDir && trialStatuses(runDir).every((s) => s === 'done')) completed = true;
  }
  const runDir = runDirOf(results);
  if (!completed && runDir) {
    // Finish it without a signal.
    const last = await runCli(['experiment', '--resume', runDir]);
    check(last.code === 0, `final resume of ${runDir} exited ${last.code}`);
  }
  if (runDir) {
    const statuses = trialStatuses(runDir);
    check(
      statuses.length === TRIALS && statuses.every((s) => s === 'done'),
      `${runDir}: not every trial done`,
    );
    const rows = readSamples(join(runDir, 'samples.jsonl')).rows;
    const perTrial = new Map<string, Set<string>>();
    for (const row of rows) {
      const metrics = perTrial.get(row.trialId) ?? new Set<string>();
      check(
        !metrics.has(`${row.metric}`),
        `${runDir}: trial ${row.trialId} metric ${row.metric} stored twice`,
      );
      metrics.add(row.metric);
      perTrial.set(row.trialId, metrics);
    }
    check(perTrial.size === TRIALS, `${runDir}: ${perTrial.size} of ${TRIALS} trials in samples.jsonl`);
    runsCompleted++;
  }
  check(leftoverGuestProcesses().length === 0, `after run ${runsCompleted}: guest processes left`);
}

console.log(
  `\n${signals} signals (${[...counts].map(([s, n]) => `${s} ${n}`).join(', ')}) over ${runsCompleted} runs of ${TRIALS} trials in ${((performance.now() - began) / 60_000).toFixed(1)} min; ${stopsBeforeRunDir} stopped before the run directory existed`,
);
console.log(
  failures.length
    ? `FAILED ${failures.length}:\n  ${failures.join('\n  ')}`
    : 'no trial lost or duplicated, nothing left running, every resume completed',
);
process.exitCode = failures.length ? 1 : 0;
