import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage, InterruptedError, TestbedUnsafeError } from '../../errors.ts';
import { NETBUF_RELEASE_SCRIPT } from '../../netbuf/check.ts';
import { commandLine, shellQuote } from '../../remote/shell-quote.ts';
import type { RemoteHost } from '../../remote/ssh.ts';
import { percentile } from '../../util/order-stats.ts';
import type { CheckpointSummary, Protection, ProtectionReport } from '../types.ts';
import type { XenConfig } from './config.ts';
import { type CopyState, copyState, decideCopies, type Host } from './copies.ts';
import { findWrapper, killTransport, receiverPids, xlRemusProcesses } from './dom0-processes.ts';
import { remusFlags } from './preflight.ts';
import { classifyRemusEnd, parseXlList, remusProgress, type XlDomain } from './xl-output.ts';

const EXIT_MARK = 'remus-bench-exit ';
const PID_MARK = 'remus-bench-pid ';
const POLL_MS = 250;
const EXIT_WAIT_MS = 30_000;
/**
 * The backup promotes its copy seconds after the stream ends: 5-8 s after a killed xl in the QEMU
 * lab, 24 s after a killed xl plus a destroyed guest (sshd keep-alive, then the vif hotplug).
 */
const FAILOVER_WAIT_MS = 60_000;

/**
 * One `xl remus` run on the primary, started detached (setsid, stdin from /dev/null, output to a log
 * file on the primary) so that a dropped SSH connection cannot kill it: a killed xl remus means a
 * failover and two live copies. A wrapper shell appends
 * xl's exit status to the log. Stopping goes through the backup (section 11.5).
 */
export class RemusSession implements Protection {
  private stopped: Promise<ProtectionReport> | null = null;
  private readyAt = 0;
  private checkpointsAtReady = 0;
  private startMs = 0;

  private constructor(
    private readonly config: XenConfig,
    private readonly primary: RemoteHost,
    private readonly backup: RemoteHost,
    private readonly log: string,
    private readonly intervalMs: number,
    /** The wrapper shell around xl (setsid does not fork in a non-interactive shell's background job). */
    private readonly wrapperPid: number,
    /** The backup's `xl migrate-receive` processes before this session started: not ours to kill. */
    private readonly receiversBefore: ReadonlySet<string>,
  ) {}

  static async start(
    config: XenConfig,
    primary: RemoteHost,
    backup: RemoteHost,
    label: string,
    intervalMs: number,
    signal?: AbortSignal,
  ): Promise<RemusSession> {
    const began = performance.now();
    const vm = config.guest.domain;
    // Another xl remus for this guest (an earlier run's that outlived it, or someone's) would mean
    // two replication streams: refuse before starting ours.
    const others = await xlRemusProcesses(primary, vm);
    if (others.length)
      throw new TestbedUnsafeError(
        `an xl remus for ${vm} already runs on the primary, not started by this trial (${others.join('; ')}). Stop it first: kill its transport (the ssh it runs), which ends it cleanly, then resume`,
      );
    const receiversBefore = await receiverPids(backup);
    const log = `${config.remus.logDir.replace(/\/+$/, '')}/remus-bench-${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-${Date.now()}.log`;
    const xl = [
      'xl',
      'remus',
      '-i',
      String(intervalMs),
      ...remusFlags(config),
      '-s',
      config.transport,
      vm,
      config.backupAddress,
    ];
    // Every writer appends (O_APPEND): the transport's ssh keeps writing the backup's lines after
    // xl exits, and a shared file offset would overwrite the exit line.
    const wrapper = `"$@"; echo "${EXIT_MARK}$?" >> ${shellQuote(log)}`;
    const line =
      `mkdir -p ${shellQuote(config.remus.logDir)} && ` +
      `{ setsid sh -c ${shellQuote(wrapper)} sh ${commandLine(xl)} </dev/null >>${shellQuote(log)} 2>&1 & echo "${PID_MARK}$!"; }`;
    // The pid line is marked: a login shell may print other lines (a banner, a warning).
    const started = await primary.execLine(line, { timeoutMs: 30_000 }).catch((error: unknown) => ({
      exitCode: -1,
      stdout: '',
      stderr: errorMessage(error),
    }));
    let wrapperPid = Number(new RegExp(`^${PID_MARK}(\\d+)$`, 'm').exec(started.stdout)?.[1] ?? 0);
    let startProblem: string | null = null;
    if (started.exitCode !== 0 || !wrapperPid) {
      startProblem = `could not start xl remus (exit ${started.exitCode}: ${(started.stderr || started.stdout).trim().slice(0, 300)})`;
      // It may have started all the same (a timeout, an unexpected reply): its wrapper names this
      // session's log file. Then it is cleaned up like any other session.
      wrapperPid = await findWrapper(primary, log).catch(() => 0);
      if (!wrapperPid) throw new Error(`primary dom0: ${startProblem}; no xl remus of this trial runs there`);
    }
    const session = new RemusSession(config, primary, backup, log, intervalMs, wrapperPid, receiversBefore);
    try {
      if (startProblem)
        throw new Error(`primary dom0: ${startProblem}, but it did start (wrapper pid ${wrapperPid})`);
      await session.waitReady(signal);
    } catch (error) {
      const cleanup = await session.cleanUp();
      const message = `${(error as Error).message}${cleanup.done.length ? ` Cleanup: ${cleanup.done.join('; ')}.` : ''}`;
      if (cleanup.unsafe) throw new TestbedUnsafeError(message);
      throw error instanceof InterruptedError ? new InterruptedError(message) : new Error(message);
    }
    session.startMs = performance.now() - began;
    return session;
  }

  private async readLog(): Promise<string> {
    const result = await this.primary.exec(['cat', this.log]);
    return result.stdout;
  }

  private exitOf(log: string): number | null {
    const match = new RegExp(`${EXIT_MARK}(\\d+)`).exec(log);
    return match ? Number(match[1]) : null;
  }

  /**
   * The log, and whether xl remus has ended: its exit line is there, or the wrapper is gone without
   * writing one (both killed, e.g. by `pkill -f`): then the exit status is unknown (null).
   */
  private async state(): Promise<{ log: string; ended: boolean; exitCode: number | null }> {
    const log = await this.readLog();
    const exitCode = this.exitOf(log);
    if (exitCode !== null) return { log, ended: true, exitCode };
    const alive = await this.primary.exec(['kill', '-0', String(this.wrapperPid)]);
    return { log, ended: alive.exitCode !== 0, exitCode: null };
  }

  /** Until the first checkpoint is acknowledged (the initial copy is done), or xl remus ends. */
  private async waitReady(signal?: AbortSignal): Promise<void> {
    const deadline = performance.now() + this.config.readyTimeoutS * 1000;
    for (;;) {
      // Ctrl-C during the initial copy (minutes on a large guest): stop now, not after it.
      if (signal?.aborted) throw new InterruptedError('interrupted while waiting for the first checkpoint');
      const { log, ended, exitCode: exit } = await this.state();
      const progress = remusProgress(log);
      if (progress.checkpoints > 0) {
        this.readyAt = performance.now();
        this.checkpointsAtReady = progress.checkpoints;
        return;
      }
      if (ended) {
        const { explanation } = classifyRemusEnd(exit, log);
        throw new Error(
          `xl remus on the primary ended before the first checkpoint (exit ${exit ?? 'unknown'}): ${explanation}. Last lines: ${lastLines(log)}`,
        );
      }
      if (performance.now() > deadline) {
        throw new Error(
          `xl remus made no checkpoint within ${this.config.readyTimeoutS} s (testbed.xen.readyTimeoutS). Last lines: ${lastLines(log)}`,
        );
      }
      await sleep(POLL_MS);
    }
  }

  stop(): Promise<ProtectionReport> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<ProtectionReport> {
    const began = performance.now();
    const first = await this.state();
    const before = first.log;
    const endedByItself = first.ended;
    const progress = remusProgress(before);
    const seconds = (performance.now() - this.readyAt) / 1000;
    const { done: cleanup, unsafe } = await this.cleanUp();
    const after = await this.state().catch(() => first);
    const end = endedByItself ? classifyRemusEnd(first.exitCode, before).end : 'stopped-by-harness';
    const checkpoints = progress.checkpoints - this.checkpointsAtReady;
    const summary: CheckpointSummary = {
      intervalMs: this.intervalMs,
      checkpoints,
      missedEpochs: Number.NaN,
      protectedSeconds: Number(seconds.toFixed(3)),
      configuredRateHz: 1000 / this.intervalMs,
      effectiveRateHz: Number((checkpoints / seconds).toFixed(3)),
      pauseUs: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
      freezeUs: { p50: Number.NaN, p99: Number.NaN },
      phaseErrorUs: { p50: Number.NaN, p99: Number.NaN },
      releasedBytes: Number.NaN,
      remus: {
        flags: remusFlags(this.config).join(' '),
        end,
        cleanup,
        dirtyPages: { p50: percentile(progress.dirtyPages, 50), p99: percentile(progress.dirtyPages, 99) },
        harnessMs: { start: Math.round(this.startMs), stop: Math.round(performance.now() - began) },
      },
    };
    const fail = (message: string) => (unsafe ? new TestbedUnsafeError(message) : new Error(message));
    if (endedByItself) {
      const { explanation } = classifyRemusEnd(first.exitCode, before);
      throw fail(
        `xl remus on the primary ended during the trial (exit ${first.exitCode ?? 'unknown: killed with its wrapper'}): ${explanation}. ` +
          `Cleanup: ${cleanup.join('; ') || 'nothing left to clean'}. Last lines: ${lastLines(before)}`,
      );
    }
    if (!after.ended)
      throw new TestbedUnsafeError(
        `xl remus on the primary did not exit within ${EXIT_WAIT_MS / 1000} s after the backup's receiver was stopped, nor when its transport was killed; check ${this.log} on the primary. Cleanup: ${cleanup.join('; ') || 'nothing'}.`,
      );
    if (unsafe)
      throw fail(`Stopping Remus left the hosts in a state that needs a person: ${cleanup.join('; ')}.`);
    return { summary, checkpoints: [] };
  }

  /**
   * The primary's copy of the guest, resumed if xl left it suspended (killed inside a checkpoint).
   * `stuck`: still suspended because this Xen cannot resume it (no `xl resume` before 4.20).
   */
  private async primaryGuest(done: string[]): Promise<{ state: CopyState; stuck: boolean }> {
    const vm = this.config.guest.domain;
    const listed = await listGuest(this.primary, vm);
    if (listed.state === 'unknown') done.push(`primary: ${listed.problem}`);
    if (listed.state !== 'suspended') return { state: listed.state, stuck: false };
    const resumed = await this.primary.exec(['xl', 'resume', vm]).catch(lostHost);
    if (resumed.exitCode === 0) {
      done.push(
        `the guest ${vm} was left suspended (${listed.letters}) on the primary; resumed it (xl resume)`,
      );
      return { state: (await listGuest(this.primary, vm)).state, stuck: false };
    }
    done.push(
      `the guest ${vm} was left suspended (${listed.letters}) on the primary and xl resume failed (${resumed.stderr.trim().split('\n')[0]}; Xen before 4.20 has none)`,
    );
    return { state: 'suspended', stuck: true };
  }

  /**
   * Ends xl remus from the primary side by killing its transport (the ssh to the backup): xl sees
   * the stream break and resumes the guest at the primary, as when the backup dies. For when the
   * backup cannot be reached to end it from there.
   */
  private async stopFromPrimary(done: string[]): Promise<void> {
    const killed = await killTransport(this.primary, this.wrapperPid, this.config.transport);
    done.push(
      killed.length
        ? `killed xl remus's transport on the primary (pid ${killed.join(', ')})`
        : 'found no transport of xl remus on the primary to kill',
    );
    const deadline = performance.now() + EXIT_WAIT_MS;
    while (!(await this.state().catch(() => ({ ended: false }))).ended && performance.now() < deadline)
      await sleep(POLL_MS);
  }

  /**
   * Ends replication from the backup side (or, when the backup cannot be reached, from the
   * primary's), then makes sure exactly one copy of the guest runs: decided from `xl list` on both
   * hosts (copies.ts), done, and checked again. When xl remus ended by itself and left the
   * primary's copy stuck suspended, or gone, the backup's failover is the guest's only way on: it is
   * waited for, not cut short. Returns what it did, and why the run must stop if it must.
   */
  async cleanUp(): Promise<{ done: string[]; unsafe: string | null }> {
    const done: string[] = [];
    try {
      return await this.cleanUpSteps(done);
    } catch (error) {
      // A host lost in the middle: what was done is reported; nothing more is known.
      const problem = `cleanup stopped: ${errorMessage(error)}`;
      return { done: [...done, problem], unsafe: `${problem}; check \`xl list\` on both hosts` };
    }
  }

  private async cleanUpSteps(done: string[]): Promise<{ done: string[]; unsafe: string | null }> {
    const vm = this.config.guest.domain;
    const problems: string[] = [];
    let primary: { state: CopyState; stuck: boolean } | null = null;
    if ((await this.state()).ended) {
      primary = await this.primaryGuest(done);
      // The primary's copy is stuck or gone: the backup's failover is the guest's only way on, and
      // killing its receiver now would end the last copy. It may take tens of seconds to notice.
      if (primary.stuck || primary.state === 'absent') {
        const deadline = performance.now() + FAILOVER_WAIT_MS;
        while (performance.now() < deadline) {
          const backup = await listGuest(this.backup, vm);
          if (backup.state !== 'absent') break;
          await sleep(POLL_MS * 4);
        }
      }
    }
    // 1. Our receiver on the backup (not one that ran before this session, not a promoted
    // domain's daemon, whose parent is init), and the half-received copy.
    let backupLost: string | null = null;
    try {
      for (const pid of await receiverPids(this.backup)) {
        if (this.receiversBefore.has(pid)) continue;
        const kill = await this.backup.exec(['kill', '-KILL', pid]);
        if (kill.exitCode === 0) done.push(`killed the receiver (pid ${pid}) on the backup`);
        else done.push(`could not kill the receiver (pid ${pid}) on the backup: ${kill.stderr.trim()}`);
      }
      const incoming = await listDomains(this.backup);
      for (const d of incoming.ok ? incoming.domains : []) {
        if (d.name !== `${vm}--incoming`) continue;
        const destroyed = await this.backup.exec(['xl', 'destroy', d.name]);
        if (destroyed.exitCode === 0) done.push(`destroyed ${d.name} on the backup`);
        else problems.push(`could not destroy ${d.name} on the backup (${xlError(destroyed)})`);
      }
    } catch (error) {
      backupLost = errorMessage(error);
      done.push(
        `the backup cannot be reached (${backupLost}), so a copy it promoted after the stream broke cannot be seen: check \`xl list\` on ${this.config.backup.host}`,
      );
    }
    // 2. Wait for the primary's xl to exit (it sees the broken stream: "Backup failed? resuming").
    const deadline = performance.now() + EXIT_WAIT_MS;
    while (!backupLost && !(await this.state()).ended && performance.now() < deadline) await sleep(POLL_MS);
    if (!(await this.state()).ended) await this.stopFromPrimary(done);
    // 3. Primary guest: present, and resumed if it was left suspended.
    primary ??= await this.primaryGuest(done);
    // 3b. xl is gone: no output may stay plugged in the primary's dom0 (see NETBUF_RELEASE_SCRIPT).
    if (!this.config.remus.unsafe.noNetbuf) {
      const released = await this.primary.exec(['sh', '-c', NETBUF_RELEASE_SCRIPT, 'sh', vm]).catch(lostHost);
      for (const line of released.stdout.split('\n').filter(Boolean))
        done.push(`network buffering left by xl on the primary: ${line}`);
    }
    // 4. Exactly one running copy: decide from both hosts' lists, act, and check.
    const backupCopy = await listGuest(this.backup, vm);
    if (backupCopy.state === 'unknown') done.push(`backup: ${backupCopy.problem}`);
    const decision = decideCopies(primary.state, backupCopy.state, vm);
    for (const action of decision.actions) {
      const host = action.host === 'primary' ? this.primary : this.backup;
      const argv = action.kind === 'destroy' ? ['xl', 'destroy', vm] : ['xl', 'unpause', vm];
      const result = await host.exec(argv).catch(lostHost);
      if (result.exitCode !== 0)
        problems.push(`${argv.join(' ')} on the ${action.host} failed (${xlError(result)})`);
    }
    if (decision.verdict) done.push(decision.verdict);
    const end = await Promise.all([listGuest(this.primary, vm), listGuest(this.backup, vm)]);
    const running = (['primary', 'backup'] as Host[]).filter((_, i) => end[i]?.state === 'running');
    const endStates = `now: primary ${end[0]?.state}, backup ${end[1]?.state}`;
    if (decision.survivor && (running.length !== 1 || running[0] !== decision.survivor))
      problems.push(`expected ${vm} to run on the ${decision.survivor} only, ${endStates}`);
    if (problems.length) done.push(...problems.map((p) => `PROBLEM: ${p}`));
    const unsafe = decision.stopRun || problems.length || backupLost;
    if (unsafe) done.push(endStates);
    return { done, unsafe: unsafe ? done.join('; ') : null };
  }
}

/** `xl list` on a host, with its exit status checked: a failed list is not an empty one. */
async function listDomains(
  host: RemoteHost,
): Promise<{ ok: true; domains: XlDomain[] } | { ok: false; problem: string }> {
  try {
    const result = await host.exec(['xl', 'list']);
    if (result.exitCode !== 0) return { ok: false, problem: `\`xl list\` failed (${xlError(result)})` };
    return { ok: true, domains: parseXlList(result.stdout) };
  } catch (error) {
    return { ok: false, problem: `\`xl list\` could not run (${errorMessage(error)})` };
  }
}

/** The state of the guest's copy on a host (`unknown` with the reason when the list failed). */
async function listGuest(
  host: RemoteHost,
  vm: string,
): Promise<{ state: CopyState; letters?: string; problem?: string }> {
  const listed = await listDomains(host);
  if (!listed.ok) return { state: 'unknown', problem: listed.problem };
  const domain = listed.domains.find((d) => d.name === vm);
  return { state: copyState(domain), ...(domain ? { letters: domain.state } : {}) };
}

/** A command that could not run on a lost host, as a failed result (exit -1) with the reason. */
function lostHost(error: unknown): { exitCode: number; stdout: string; stderr: string } {
  return { exitCode: -1, stdout: '', stderr: errorMessage(error) };
}

function xlError(result: { exitCode: number; stderr: string }): string {
  return `exit ${result.exitCode}: ${result.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
}

function lastLines(log: string): string {
  return log
    .split('\n')
    .filter((l) => l && !l.startsWith(EXIT_MARK) && !l.includes('Frames iteration'))
    .slice(-4)
    .join(' | ');
}
