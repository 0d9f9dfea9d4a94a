import { appendFileSync, mkdirSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
import { acquireLock } from '../store/lock.ts';
import { configHash, digest, type Manifest, readManifest, writeManifest } from '../store/manifest.ts';
import { artifactDir, createRunDir, newRunId, type RunPaths } from '../store/run-dir.ts';
import {
  appendSamples,
  type MetricSpec,
  readSamples,
  rewriteSamples,
  type SampleRow,
} from '../store/samples.ts';
import {
  doneTrialIds,
  initialState,
  readState,
  setTrial,
  type TrialState,
  writeState,
} from '../store/state.ts';
import { createTestbed } from '../testbeds/registry.ts';
import type { TestbedFacts } from '../testbeds/testbed.ts';
import { HARNESS_VERSION } from '../version.ts';
import { installInterruptHandler, RUN_TEXTS } from './interrupt.ts';
import { protectionMeasurements } from './protection-rows.ts';
import { runTrial, type TrialOutcome } from './trial.ts';

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

/** ENOSPC (or EDQUOT) in an error message: the disk is full, not the trial broken. */
const isDiskFull = (message: string) => /ENOSPC|EDQUOT|no space left on device/i.test(message);

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

/** Runs (or resumes) an experiment: side effects live here and in the testbed, planning is pure. */
export async function runExperiment({
  config,
  resume,
  shard: shardFlag = null,
  log: print,
  writeReports,
}: ExperimentOptions): Promise<ExperimentExit> {
  // Everything the run says also goes, timestamped, into <run-dir>/run.log once that exists.
  let logFile: string | null = null;
  const log = (line: string) => {
    print(line);
    if (!logFile) return;
    const stamp = new Date().toISOString();
    try {
      appendFileSync(
        logFile,
        line
          .split('\n')
          .map((l) => `${stamp} ${l}\n`)
          .join(''),
      );
    } catch {
      // a full disk must not stop the run from stopping cleanly; the console still has it
    }
  };
  const fullPlan = planExperiment(config);
  const shard = resume ? (readManifest(resume.manifest).shard ?? null) : shardFlag;
  const plan = shard ? shardPlan(fullPlan, shard) : fullPlan;
  const modules = plannedWorkloads(plan, config);
  await ensureTools(
    [...modules.values()].flatMap((m) => m.requiredTools),
    log,
  );

  // Two unattended runs must never share a results directory or a testbed.
  const resultsRoot = resume ? dirname(resume.dir) : config.results;
  mkdirSync(resultsRoot, { recursive: true });
  const releaseResults = acquireLock(
    join(resultsRoot, '.remus-bench.lock'),
    `the results directory ${resolve(resultsRoot)}`,
    log,
  );
  let releaseTestbed: () => void;
  try {
    releaseTestbed = acquireLock(
      join(tmpdir(), `remus-bench-testbed-${config.testbed.kind}.lock`),
      `the ${config.testbed.kind} testbed of this host`,
      log,
    );
  } catch (error) {
    releaseResults();
    throw error;
  }
  // Filled in as the run gets under way: what a third stop signal leaves behind.
  let leftRunning = () => RUN_TEXTS.leaving();
  const interrupt = installInterruptHandler(log, { ...RUN_TEXTS, leaving: () => leftRunning() });
  const testbed = createTestbed(config, { log, signal: interrupt.signal });
  leftRunning = () => testbed.leftRunning();
  try {
    const facts = await testbed.probe();
    const host = await collectHostFacts();
    const hostDigest = digest(hostIdentity(host));
    const session = {
      startedAt: new Date().toISOString(),
      resumed: resume !== null,
      host,
      hostDigest,
      testbed: facts,
    };

    let paths: RunPaths;
    let manifest: Manifest;
    if (resume) {
      paths = resume;
      manifest = readManifest(paths.manifest);
      manifest.config = config;
      manifest.configHash = configHash(config);
      // The plan follows from the config and the seed: unchanged unless --force took a changed
      // config, whose cells and order then replace the old ones (done trials keep their ids).
      manifest.cells = plan.cells;
      manifest.order = plan.order.map((t) => t.id);
      if (manifest.shard) manifest.shard.fullOrder = fullPlan.order.map((t) => t.id);
      manifest.sessions.push(session);
      manifest.metrics = metricSpecs(modules);
    } else {
      const runId = newRunId();
      paths = createRunDir(config.results, runId);
      manifest = {
        schema: 1,
        runId,
        createdAt: session.startedAt,
        harnessVersion: HARNESS_VERSION,
        config,
        configHash: configHash(config),
        seed: plan.seed,
        cells: plan.cells,
        order: plan.order.map((t) => t.id),
        ...(shard
          ? { shard: { index: shard.index, count: shard.count, fullOrder: fullPlan.order.map((t) => t.id) } }
          : {}),
        sessions: [session],
        metrics: metricSpecs(modules),
      };
    }
    const runDir = paths.dir;
    leftRunning = () =>
      `${testbed.leftRunning()}\nFinished trials are on disk. Resume with:\n  npm run experiment -- --resume ${runDir}`;
    writeManifest(paths.manifest, manifest);
    logFile = join(paths.dir, 'run.log');
    log(`${resume ? 'Resumed' : 'Started'} by pid ${process.pid}: ${process.argv.slice(2).join(' ')}`);

    // State: on resume, trials that were running when the run stopped go back to todo, and rows of
    // trials that are not done (a crash after the samples write) are removed so none count twice.
    const stored = resume ? readState(paths.state) : null;
    if (resume && !stored)
      log('state.json is missing: the run stopped before it wrote its first state; every trial runs.');
    const state = stored ?? initialState(plan);
    const fresh = initialState(plan);
    for (const [cellId, cell] of Object.entries(fresh.cells)) state.cells[cellId] ??= cell;
    const previous = readSamples(paths.samples);
    for (const warning of previous.warnings) log(`Warning: ${warning}`);
    const done = doneTrialIds(state);
    if (resume) {
      const dropped = rewriteSamples(paths.samples, previous.rows, done);
      if (dropped > 0) log(`Removed ${dropped} sample rows of unfinished trials; those trials run again.`);
    }
    writeState(paths.state, state);

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

    const cellsById = new Map(plan.cells.map((c) => [c.id, c]));
    const cellNumbers = new Map(plan.cells.filter((c) => c.runnable).map((c, i) => [c.id, i + 1]));
    const runnableCells = cellNumbers.size;
    const trialTimes: number[] = [];
    let failedInARow = 0;
    let failures = 0;

    let diskProblem: string | null = null;
    /** Why the testbed is unsafe for another trial (a TestbedUnsafeError), once it is. */
    let unsafeTestbed: string | null = null;

    for (const [index, planned] of todo.entries()) {
      if (interrupt.signal.aborted) break;
      // Stop before a trial, not in the middle of one, when the results file system is nearly full.
      const free = freeBytes(paths.dir);
      if (free < config.minFreeMB * 2 ** 20) {
        diskProblem = `only ${(free / 2 ** 20).toFixed(1)} MB free on the file system of ${paths.dir}; a trial needs at least ${config.minFreeMB} MB (config "minFreeMB")`;
        break;
      }
      const cell = cellsById.get(planned.cellId);
      const module = cell ? modules.get(cell.workload) : undefined;
      if (!cell || !module) throw new Error(`no workload module for ${planned.cellId}`);
      const perTrial = trialTimes.length
        ? trialTimes.reduce((a, b) => a + b) / trialTimes.length
        : plan.trialSeconds;
      log(
        `[${index + 1}/${todo.length}] cell ${cellNumbers.get(cell.id)}/${runnableCells} ${cell.id} trial ${planned.trial}/${config.matrix.trials}` +
          ` - ETA ${formatDuration((todo.length - index) * perTrial)}`,
      );
      try {
        setTrial(state, cell.id, planned.id, { status: 'running', startedAt: new Date().toISOString() });
        writeState(paths.state, state);
        const began = performance.now();
        // A failed trial is retried up to config.retries times; every failed attempt is recorded.
        const attempts: NonNullable<TrialState['attempts']> = [];
        let outcome: TrialOutcome;
        for (;;) {
          outcome = await runTrial(
            {
              trialId: planned.id,
              intervalMs: cell.intervalMs,
              warmupS: config.matrix.warmupS,
              durationS: config.matrix.durationS,
              artifactsDir: artifactDir(paths, planned.id),
            },
            testbed,
            module,
            interrupt.signal,
          );
          if (
            outcome.status !== 'failed' ||
            outcome.stopRun ||
            isDiskFull(outcome.reason) ||
            attempts.length >= config.retries
          )
            break;
          attempts.push({ startedAt: outcome.startedAt, endedAt: outcome.endedAt, reason: outcome.reason });
          log(
            `    attempt ${attempts.length} failed: ${outcome.reason}; retrying (${attempts.length} of ${config.retries} retries)`,
          );
          setTrial(state, cell.id, planned.id, { status: 'running', startedAt: outcome.startedAt, attempts });
          writeState(paths.state, state);
        }
        const retried = attempts.length ? { attempts } : {};
        for (const warning of outcome.cleanupWarnings) log(`Warning (cleanup of ${planned.id}): ${warning}`);
        if (outcome.status === 'done') {
          const rows = toRows(
            outcome,
            planned,
            cell.intervalMs,
            module,
            config,
            manifest.runId,
            facts,
            hostDigest,
          );
          appendSamples(paths.samples, rows);
          setTrial(state, cell.id, planned.id, {
            status: 'done',
            startedAt: outcome.startedAt,
            endedAt: outcome.endedAt,
            ...retried,
          });
          trialTimes.push((performance.now() - began) / 1000);
          failedInARow = 0;
          log(`    ${headlineText(rows, module)}`);
        } else if (outcome.status === 'interrupted') {
          setTrial(state, cell.id, planned.id, {
            status: 'todo',
            reason: `interrupted at ${outcome.endedAt}`,
          });
        } else {
          failures++;
          failedInARow++;
          setTrial(state, cell.id, planned.id, {
            status: 'failed',
            reason: outcome.reason,
            startedAt: outcome.startedAt,
            endedAt: outcome.endedAt,
            ...retried,
          });
          log(`    FAILED: ${outcome.reason}`);
          if (isDiskFull(outcome.reason)) diskProblem = outcome.reason;
          if (outcome.stopRun) unsafeTestbed = outcome.stopRun;
        }
        writeState(paths.state, state);
      } catch (error) {
        // A full disk while persisting: what is on disk stays consistent (appends are whole
        // trials, state.json is replaced atomically); stop and let the user resume.
        if (!isDiskFull(errorMessage(error))) throw error;
        diskProblem = errorMessage(error);
      }
      if (diskProblem) break;
      if (unsafeTestbed) {
        log(
          '\nStopping the run: the testbed is not safe for another trial (see above). Fix the hosts, then resume with:',
        );
        log(`  npm run experiment -- --resume ${paths.dir}`);
        break;
      }
      if (failedInARow >= MAX_CONSECUTIVE_FAILURES) {
        log(
          `${failedInARow} trials failed in a row; stopping the run. Fix the cause above, then resume with:`,
        );
        log(`  npm run experiment -- --resume ${paths.dir}`);
        break;
      }
    }

    if (diskProblem) {
      log(`\nStopped: ${diskProblem}.`);
      log('Finished trials are on disk; a trial cut short runs again. Free space, then resume with:');
      log(`  npm run experiment -- --resume ${paths.dir}`);
      return 1;
    }
    log('');
    // Interrupted: say how to resume before the reports, which take seconds on a large run and may
    // be cut short by a supervisor's final SIGKILL; everything they need is already on disk.
    const resumeLine = `Interrupted. Finished trials are on disk. Resume with:\n  npm run experiment -- --resume ${paths.dir}`;
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
    if (failures > 0 || reportStatus !== 0) {
      log(
        `${failures} trial(s) failed (reasons in state.json). Rerun them with:\n  npm run experiment -- --resume ${paths.dir}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await testbed.dispose().catch((error) => log(`Warning: disposing the testbed: ${errorMessage(error)}`));
    interrupt.dispose();
    releaseTestbed();
    releaseResults();
  }
}

/** What the manifest records of the workloads: their metric specs, for analysis to read. */
function metricSpecs(modules: Map<string, WorkloadModule>): Record<string, MetricSpec[]> {
  return Object.fromEntries([...modules].map(([name, module]) => [name, [...module.metrics]]));
}

function headlineText(rows: readonly SampleRow[], module: WorkloadModule): string {
  const wanted = new Set(module.metrics.filter((m) => m.headline).map((m) => m.name));
  wanted.add('effective_rate_hz');
  return rows
    .filter((r) => wanted.has(r.metric))
    .map((r) => `${r.metric}=${r.value}`)
    .join('  ');
}

function toRows(
  outcome: Extract<Awaited<ReturnType<typeof runTrial>>, { status: 'done' }>,
  planned: PlannedTrial,
  intervalMs: number | null,
  module: WorkloadModule,
  config: Config,
  runId: string,
  facts: TestbedFacts,
  hostDigest: string,
): SampleRow[] {
  const specs = new Map(module.metrics.map((m) => [m.name, m]));
  const base = {
    schema: 1 as const,
    runId,
    cellId: planned.cellId,
    trialId: planned.id,
    trial: planned.trial,
    testbed: facts.name,
    workload: module.name,
    intervalMs,
    startedAt: outcome.startedAt,
    endedAt: outcome.endedAt,
    durationS: config.matrix.durationS,
    warmupS: config.matrix.warmupS,
    seed: config.matrix.seed,
    mechanisms: facts.mechanisms,
    hostDigest,
    harnessVersion: HARNESS_VERSION,
  };
  const rows: SampleRow[] = outcome.workload.map((m) => {
    const spec = specs.get(m.metric);
    return {
      ...base,
      metric: m.metric,
      value: m.value,
      unit: spec?.unit ?? '',
      better: spec?.better ?? 'info',
      source: 'workload',
    };
  });
  if (outcome.protection) {
    for (const m of protectionMeasurements(outcome.protection.summary))
      rows.push({ ...base, ...m, source: 'protection' });
  }
  return rows;
}
