import { setTimeout as sleep } from 'node:timers/promises';
import { percentile } from '../../../analysis/stats.ts';
import type { XenConfig } from '../../config/schema.ts';
import { commandLine, shellQuote } from '../../remote/shell-quote.ts';
import type { RemoteHost } from '../../remote/ssh.ts';
import type { CheckpointSummary, Protection, ProtectionReport } from '../types.ts';
import { NETBUF_RELEASE_SCRIPT } from './netbuf-check.ts';
import { remusFlags } from './preflight.ts';
import { classifyRemusEnd, parseXlList, remusProgress, type XlDomain } from './xl-output.ts';

const EXIT_MARK = 'remus-bench-exit ';
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
  ) {}

  static async start(
    config: XenConfig,
    primary: RemoteHost,
    backup: RemoteHost,
    label: string,
    intervalMs: number,
  ): Promise<RemusSession> {
    const began = performance.now();
    const log = `${config.remus.logDir.replace(/\/+$/, '')}/remus-bench-${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-${Date.now()}.log`;
    const xl = [
      'xl',
      'remus',
      '-i',
      String(intervalMs),
      ...remusFlags(config),
      '-s',
      config.transport,
      config.guest.domain,
      config.backupAddress,
    ];
    // Every writer appends (O_APPEND): the transport's ssh keeps writing the backup's lines after
    // xl exits, and a shared file offset would overwrite the exit line.
    const wrapper = `"$@"; echo "${EXIT_MARK}$?" >> ${shellQuote(log)}`;
    const line =
      `mkdir -p ${shellQuote(config.remus.logDir)} && ` +
      `{ setsid sh -c ${shellQuote(wrapper)} sh ${commandLine(xl)} </dev/null >>${shellQuote(log)} 2>&1 & echo $!; }`;
    const started = await primary.execLine(line);
    const wrapperPid = Number(started.stdout.trim());
    if (started.exitCode !== 0 || !wrapperPid)
      throw new Error(`primary dom0: could not start xl remus: ${started.stderr.trim()}`);
    const session = new RemusSession(config, primary, backup, log, intervalMs, wrapperPid);
    try {
      await session.waitReady();
    } catch (error) {
      const cleanup = await session.cleanUp().catch((e: Error) => [`cleanup failed: ${e.message}`]);
      throw new Error(
        `${(error as Error).message}${cleanup.length ? ` Cleanup: ${cleanup.join('; ')}.` : ''}`,
      );
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
  private async waitReady(): Promise<void> {
    const deadline = performance.now() + this.config.readyTimeoutS * 1000;
    for (;;) {
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
    const cleanup = await this.cleanUp();
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
    if (endedByItself) {
      const { explanation } = classifyRemusEnd(first.exitCode, before);
      throw new Error(
        `xl remus on the primary ended during the trial (exit ${first.exitCode ?? 'unknown: killed with its wrapper'}): ${explanation}. ` +
          `Cleanup: ${cleanup.join('; ') || 'nothing left to clean'}. Last lines: ${lastLines(before)}`,
      );
    }
    if (!after.ended)
      throw new Error(
        `xl remus on the primary did not exit within ${EXIT_WAIT_MS / 1000} s after the backup's receiver was stopped; check ${this.log} on the primary. Cleanup: ${cleanup.join('; ') || 'nothing'}.`,
      );
    return { summary, checkpoints: [] };
  }

  /**
   * The primary's copy of the guest, resumed if xl left it suspended (killed inside a checkpoint).
   * `stuck`: still suspended because this Xen cannot resume it (no `xl resume` before 4.20).
   */
  private async primaryGuest(done: string[]): Promise<{ guest: XlDomain | undefined; stuck: boolean }> {
    const vm = this.config.guest.domain;
    const guest = parseXlList((await this.primary.exec(['xl', 'list'])).stdout).find((d) => d.name === vm);
    if (guest?.state[3] !== 's') return { guest, stuck: false };
    const resumed = await this.primary.exec(['xl', 'resume', vm]);
    if (resumed.exitCode === 0) {
      done.push(`the guest ${vm} was left suspended (${guest.state}) on the primary; resumed it (xl resume)`);
      return { guest, stuck: false };
    }
    done.push(
      `the guest ${vm} was left suspended (${guest.state}) on the primary and xl resume failed (${resumed.stderr.trim().split('\n')[0]}; Xen before 4.20 has none)`,
    );
    return { guest, stuck: true };
  }

  /**
   * Ends replication from the backup side, then checks both hosts: no copy of the guest left on the
   * backup, the primary's guest running and not suspended. When xl remus ended by itself and left
   * the primary's copy stuck suspended, or gone, the backup's failover is the guest's only way on:
   * it is waited for, not cut short. Returns what it did.
   */
  async cleanUp(): Promise<string[]> {
    const vm = this.config.guest.domain;
    const done: string[] = [];
    const backupDomains = async () => parseXlList((await this.backup.exec(['xl', 'list'])).stdout);
    let primary: { guest: XlDomain | undefined; stuck: boolean } | null = null;
    if ((await this.state()).ended) {
      primary = await this.primaryGuest(done);
      // The primary's copy is stuck or gone: the backup's failover is the guest's only way on, and
      // killing its receiver now would end the last copy. It may take tens of seconds to notice.
      if (primary.stuck || !primary.guest) {
        const deadline = performance.now() + FAILOVER_WAIT_MS;
        while (!(await backupDomains()).some((d) => d.name === vm) && performance.now() < deadline)
          await sleep(POLL_MS * 4);
      }
    }
    // 1. The receiver on the backup (not a promoted domain's daemon, whose parent is init).
    const ps = await this.backup.exec(['ps', '-eo', 'pid=,ppid=,args=']);
    for (const row of ps.stdout.split('\n')) {
      const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(row);
      if (!match || !/\bmigrate-receive\b/.test(match[3] as string) || match[2] === '1') continue;
      await this.backup.exec(['kill', '-KILL', match[1] as string]);
      done.push(`killed the receiver (pid ${match[1]}) on the backup`);
    }
    for (const d of await backupDomains()) {
      if (d.name === `${vm}--incoming`) {
        await this.backup.exec(['xl', 'destroy', d.name]);
        done.push(`destroyed ${d.name} on the backup`);
      }
    }
    // 2. Wait for the primary's xl to exit (it sees the broken stream: "Backup failed? resuming").
    const deadline = performance.now() + EXIT_WAIT_MS;
    while (!(await this.state()).ended && performance.now() < deadline) await sleep(POLL_MS);
    // 3. Primary guest: present, and resumed if it was left suspended.
    primary ??= await this.primaryGuest(done);
    const { guest, stuck } = primary;
    // 3b. xl is gone: no output may stay plugged in the primary's dom0 (see NETBUF_RELEASE_SCRIPT).
    if (!this.config.remus.unsafe.noNetbuf) {
      const released = await this.primary.exec(['sh', '-c', NETBUF_RELEASE_SCRIPT, 'sh', vm]);
      for (const line of released.stdout.split('\n').filter(Boolean))
        done.push(`network buffering left by xl on the primary: ${line}`);
    }
    // 4. A copy the backup promoted (failover): two live copies if the primary's still runs. When
    // the primary's copy is stuck suspended, the backup's is the guest: keep it, end the stuck one.
    const promoted = (await backupDomains()).find((d) => d.name === vm);
    if (promoted && guest && !stuck) {
      await this.backup.exec(['xl', 'destroy', vm]);
      done.push(
        `SPLIT BRAIN: the backup had failed over and was running a second copy of ${vm} (domid ${promoted.domid}); destroyed that copy`,
      );
    } else if (promoted && guest && stuck) {
      await this.primary.exec(['xl', 'destroy', vm]);
      done.push(
        `FAILOVER: the backup had promoted its copy of ${vm} (domid ${promoted.domid}) and the primary's could not be resumed; destroyed the primary's suspended copy and kept the backup's running. Move it back to the primary before the next run`,
      );
    } else if (promoted) {
      done.push(
        `FAILOVER: ${vm} is gone from the primary and now runs only on the backup (domid ${promoted.domid}); left it running. Move it back to the primary before the next run`,
      );
    } else if (stuck) {
      done.push(`no copy of ${vm} runs anywhere: destroy the suspended one on the primary and recreate it`);
    }
    return done;
  }
}

function lastLines(log: string): string {
  return log
    .split('\n')
    .filter((l) => l && !l.startsWith(EXIT_MARK) && !l.includes('Frames iteration'))
    .slice(-4)
    .join(' | ');
}
