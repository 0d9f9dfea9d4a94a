import { statfsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { configureWorkloads } from '../../workloads/index.ts';
import { metricSpecProblems, type WorkloadModule } from '../../workloads/types.ts';
import type { Config } from '../config/schema.ts';
import { errorMessage } from '../errors.ts';
import { collectHostFacts, hostIdentity } from '../host/facts.ts';
import {
  formatDuration,
  type Plan,
  type PlannedTrial,
  planExperiment,
  type Shard,
  shardPlan,
} from '../plan/plan.ts';
import { ensureTools } from '../setup/system-packages.ts';
import type { CheckpointInterval } from '../store/interval.ts';
import { digest, type Manifest, type RunSession, readManifest } from '../store/manifest.ts';
import type { RunPaths } from '../store/run-dir.ts';
import { appendSamples } from '../store/samples.ts';
import { type RunState, setTrial, writeState } from '../store/state.ts';
import { createTestbed } from '../testbeds/index.ts';
import type { Testbed, TestbedFacts } from '../testbeds/testbed.ts';
import { type FailedAttempts, isDiskFull, runWithRetries } from './attempts.ts';
import { cellAvailability } from './availability.ts';
import { type InterruptHandle, installInterruptHandler, RUN_TEXTS } from './interrupt.ts';
import { openRunDirectory } from './run-directory.ts';
import { acquireRunLocks } from './run-locks.ts';
import { createRunLog } from './run-log.ts';
import { startingState } from './run-state.ts';
import { headlineText, metricSpecs, toRows } from './sample-rows.ts';
import type { TrialOutcome } from './trial.ts';

export interface ExperimentOptions {
  config: Config;
  /** An existing run directory to continue (--resume), or null for a new run. */
  resume: RunPaths | null;
  /** Run only this share of the plan (`--shard i/n`); on resume the manifest's shard applies. */
  shard?: Shard | null;
  log: (line: string) => void;
  /**
   * Writes the reports of the run directory once its trials are done or stopped (the command
   * passes the report writer: the run loop does not render). Formats not started when `skipRest`
   * aborts (a second stop signal) are skipped. Returns 0, or 1 when a report could not be written.
   */
  writeReports: (runDir: string, log: (line: string) => void, skipRest: AbortSignal) => Promise<number>;
}

/** Process exit codes: 0 all done, 1 some trials failed, 130 interrupted. */
export type ExperimentExit = 0 | 1 | 130;

function freeBytes(path: string): number {
  const stats = statfsSync(path);
  return stats.bavail * stats.bsize;
}

/** After this many failures in a row the run stops: the testbed is broken, not one trial. */
const MAX_CONSECUTIVE_FAILURES = 3;

/** The workloads the plan runs, bound to their config sections. */
function plannedWorkloads(plan: Plan, config: Config): Map<string, WorkloadModule> {
  const names = new Set<string>(plan.cells.filter((c) => c.runnable).map((c) => c.workload));
  const modules = new Map([...configureWorkloads(config.workloads)].filter(([name]) => names.has(name)));
  const problems = [...modules.values()].flatMap(metricSpecProblems);
  if (problems.length) throw new Error(`workload modules: ${problems.join('; ')}`);
  return modules;
}

/** Everything the trial loop works with, once the run is open. */
interface OpenRun {
  config: Config;
  plan: Plan;
  modules: Map<string, WorkloadModule>;
  testbed: Testbed;
  facts: TestbedFacts;
  hostDigest: string;
  paths: RunPaths;
  manifest: Manifest;
  state: RunState;
  interrupt: InterruptHandle;
  log: (line: string) => void;
}

/** How the trial loop ended: the failures counted, and a full disk if that stopped it. */
interface LoopEnd {
  failures: number;
  diskProblem: string | null;
}

const resumeHint = (dir: string) => `  npm run experiment -- --resume ${dir}`;

/**
 * Runs (or resumes) an experiment, in steps: plan, take the locks, probe the testbed, open the run
 * directory, settle the state, run the trials, finish. Side effects live here and in the testbed;
 * planning is pure.
 */
export async function runExperiment({
  config,
  resume,
  shard: shardFlag = null,
  log: print,
  writeReports,
}: ExperimentOptions): Promise<ExperimentExit> {
  const { log, attach } = createRunLog(print);
  const fullPlan = planExperiment(config, cellAvailability(config.testbed.kind));
  const shard = resume ? (readManifest(resume.manifest).shard ?? null) : shardFlag;
  const plan = shard ? shardPlan(fullPlan, shard) : fullPlan;
  const modules = plannedWorkloads(plan, config);
  await ensureTools(
    [...modules.values()].flatMap((m) => m.requiredTools),
    log,
  );
  const releaseLocks = acquireRunLocks(
    resume ? dirname(resume.dir) : config.results,
    config.testbed.kind,
    log,
  );
  // Filled in as the run gets under way: what a third stop signal leaves behind.
  let leftRunning = () => RUN_TEXTS.leaving();
  const interrupt = installInterruptHandler(log, { ...RUN_TEXTS, leaving: () => leftRunning() });
  const testbed = createTestbed(config.testbed, { log, signal: interrupt.signal });
  leftRunning = () => testbed.leftRunning();
  try {
    const facts = await testbed.probe();
    const host = await collectHostFacts();
    const hostDigest = digest(hostIdentity(host));
    const session: RunSession = {
      startedAt: new Date().toISOString(),
      resumed: resume !== null,
      host,
      hostDigest,
      testbed: facts,
    };
    const { paths, manifest } = openRunDirectory({
      config,
      resume,
      plan,
      fullPlan,
      shard,
      session,
      metrics: metricSpecs(modules),
    });
    leftRunning = () =>
      `${testbed.leftRunning()}\nFinished trials are on disk. Resume with:\n${resumeHint(paths.dir)}`;
    attach(join(paths.dir, 'run.log'));
    log(`${resume ? 'Resumed' : 'Started'} by pid ${process.pid}: ${process.argv.slice(2).join(' ')}`);
    const { state, done } = startingState(paths, plan, resume !== null, log);
    const todo = plan.order.filter((t) => !done.has(t.id));
    log(
      `Run ${manifest.runId} (${paths.dir})\n` +
        `Testbed ${facts.name}: ${Object.entries(facts.mechanisms)
          .map(([job, m]) => `${job}=${m}`)
          .join(', ')}` +
        (facts.fallbacks.length ? `\nFallbacks: ${facts.fallbacks.join('; ')}` : '') +
        `\n${todo.length} of ${plan.order.length} trials to run${resume ? ` (${done.size} done before)` : ''}; ETA ${formatDuration(todo.length * plan.trialSeconds)}`,
    );
    for (const skipped of plan.cells.filter((c) => !c.runnable))
      log(`Skipping ${skipped.id}: ${skipped.notRunnableReason}`);
    const run: OpenRun = {
      config,
      plan,
      modules,
      testbed,
      facts,
      hostDigest,
      paths,
      manifest,
      state,
      interrupt,
      log,
    };
    return await finish(run, await runTrials(run, todo), writeReports);
  } finally {
    await testbed.dispose().catch((error) => log(`Warning: disposing the testbed: ${errorMessage(error)}`));
    interrupt.dispose();
    releaseLocks();
  }
}

/**
 * The trials still to do, one at a time, each recorded as it ends. Stops early on a stop signal,
 * before a trial when the disk is nearly full, when the testbed is unsafe for another trial, or
 * after MAX_CONSECUTIVE_FAILURES failures in a row.
 */
async function runTrials(run: OpenRun, todo: readonly PlannedTrial[]): Promise<LoopEnd> {
  const { config, plan, modules, paths, state, interrupt, log } = run;
  const cellsById = new Map(plan.cells.map((c) => [c.id, c]));
  const cellNumbers = new Map(plan.cells.filter((c) => c.runnable).map((c, i) => [c.id, i + 1]));
  const trialTimes: number[] = [];
  let failedInARow = 0;
  let failures = 0;
  for (const [index, planned] of todo.entries()) {
    if (interrupt.signal.aborted) break;
    // Stop before a trial, not in the middle of one, when the results file system is nearly full.
    const free = freeBytes(paths.dir);
    if (free < config.minFreeMB * 2 ** 20) {
      return {
        failures,
        diskProblem: `only ${(free / 2 ** 20).toFixed(1)} MB free on the file system of ${paths.dir}; a trial needs at least ${config.minFreeMB} MB (config "minFreeMB")`,
      };
    }
    const cell = cellsById.get(planned.cellId);
    const module = cell ? modules.get(cell.workload) : undefined;
    if (!cell || !module) throw new Error(`no workload module for ${planned.cellId}`);
    const perTrial = trialTimes.length
      ? trialTimes.reduce((a, b) => a + b) / trialTimes.length
      : plan.trialSeconds;
    log(
      `[${index + 1}/${todo.length}] cell ${cellNumbers.get(cell.id)}/${cellNumbers.size} ${cell.id} trial ${planned.trial}/${config.matrix.trials}` +
        ` - ETA ${formatDuration((todo.length - index) * perTrial)}`,
    );
    let recorded: Recorded;
    try {
      const began = performance.now();
      const { outcome, attempts } = await runWithRetries({
        planned,
        cell,
        module,
        testbed: run.testbed,
        timing: { warmupS: config.matrix.warmupS, durationS: config.matrix.durationS },
        retries: config.retries,
        paths,
        state,
        signal: interrupt.signal,
        log,
      });
      recorded = recordOutcome(run, planned, cell.intervalMs, module, outcome, attempts);
      if (recorded === 'done') trialTimes.push((performance.now() - began) / 1000);
    } catch (error) {
      // A full disk while persisting: what is on disk stays consistent (appends are whole
      // trials, state.json is replaced atomically); stop and let the user resume.
      if (!isDiskFull(errorMessage(error))) throw error;
      return { failures, diskProblem: errorMessage(error) };
    }
    if (recorded === 'done') failedInARow = 0;
    if (typeof recorded === 'object') {
      failures++;
      failedInARow++;
      if (recorded.diskProblem) return { failures, diskProblem: recorded.diskProblem };
      if (recorded.unsafeTestbed) {
        log(
          '\nStopping the run: the testbed is not safe for another trial (see above). Fix the hosts, then resume with:',
        );
        log(resumeHint(paths.dir));
        break;
      }
    }
    if (failedInARow >= MAX_CONSECUTIVE_FAILURES) {
      log(`${failedInARow} trials failed in a row; stopping the run. Fix the cause above, then resume with:`);
      log(resumeHint(paths.dir));
      break;
    }
  }
  return { failures, diskProblem: null };
}

/** What recording a trial's outcome found: done, interrupted (to do again), or failed and what that means. */
type Recorded = 'done' | 'interrupted' | { diskProblem: string | null; unsafeTestbed: string | null };

/** Writes a trial's outcome: its samples when done, its state in every case. */
function recordOutcome(
  run: OpenRun,
  planned: PlannedTrial,
  intervalMs: CheckpointInterval | null,
  module: WorkloadModule,
  outcome: TrialOutcome,
  attempts: FailedAttempts,
): Recorded {
  const { config, paths, state, manifest, log } = run;
  const { cellId } = planned;
  const retried = attempts.length ? { attempts } : {};
  for (const warning of outcome.cleanupWarnings) log(`Warning (cleanup of ${planned.id}): ${warning}`);
  let recorded: Recorded;
  if (outcome.status === 'done') {
    const rows = toRows(
      outcome,
      planned,
      intervalMs,
      module,
      config,
      manifest.runId,
      run.facts,
      run.hostDigest,
    );
    appendSamples(paths.samples, rows);
    setTrial(state, cellId, planned.id, {
      status: 'done',
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
      ...retried,
    });
    log(`    ${headlineText(rows, module)}`);
    recorded = 'done';
  } else if (outcome.status === 'interrupted') {
    setTrial(state, cellId, planned.id, { status: 'todo', reason: `interrupted at ${outcome.endedAt}` });
    recorded = 'interrupted';
  } else {
    setTrial(state, cellId, planned.id, {
      status: 'failed',
      reason: outcome.reason,
      startedAt: outcome.startedAt,
      endedAt: outcome.endedAt,
      ...retried,
    });
    log(`    FAILED: ${outcome.reason}`);
    recorded = {
      diskProblem: isDiskFull(outcome.reason) ? outcome.reason : null,
      unsafeTestbed: outcome.stopRun ?? null,
    };
  }
  writeState(paths.state, state);
  return recorded;
}

/** After the trials: the reports (unless a second stop signal skips them), the exit code and what to do next. */
async function finish(
  run: OpenRun,
  end: LoopEnd,
  writeReports: ExperimentOptions['writeReports'],
): Promise<ExperimentExit> {
  const { paths, interrupt, log } = run;
  if (end.diskProblem) {
    log(`\nStopped: ${end.diskProblem}.`);
    log('Finished trials are on disk; a trial cut short runs again. Free space, then resume with:');
    log(resumeHint(paths.dir));
    return 1;
  }
  log('');
  // Interrupted: say how to resume before the reports, which take seconds on a large run and may
  // be cut short by a supervisor's final SIGKILL; everything they need is already on disk.
  const resumeLine = `Interrupted. Finished trials are on disk. Resume with:\n${resumeHint(paths.dir)}`;
  // A second stop signal skips the reports (all of them, or those not yet started): the console
  // says how to write them later.
  let reportStatus = 0;
  if (interrupt.hurry.aborted) {
    log(
      `${resumeLine}\nReports skipped (a second stop signal). Write them with:\n  npm run report -- ${paths.dir}`,
    );
  } else {
    if (interrupt.received()) log(`${resumeLine}\nWriting the reports of the finished trials.`);
    reportStatus = await writeReports(paths.dir, log, interrupt.hurry);
  }
  log(`Results: ${paths.dir} (manifest.json, samples.jsonl, state.json, artifacts/, reports)`);
  if (interrupt.received()) {
    log(resumeLine);
    return 130;
  }
  if (end.failures > 0 || reportStatus !== 0) {
    log(
      `${end.failures} trial(s) failed (reasons in state.json). Rerun them with:\n${resumeHint(paths.dir)}`,
    );
    return 1;
  }
  return 0;
}
