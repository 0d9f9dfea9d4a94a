import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InterruptedError } from '../../errors.ts';
import { ADAPTIVE, type CheckpointInterval } from '../../store/interval.ts';
import { childEnv } from '../../util/child-env.ts';
import { timeoutDelay } from '../../util/delay.ts';
import type {
  Endpoint,
  ExecOptions,
  ExecResult,
  Guest,
  GuestProcess,
  GuestSession,
  Protection,
  ProtectionReport,
  Transport,
} from '../types.ts';
import type { AdaptivePolicy } from './adaptive-policy.ts';
import { CGROUP_PREFIX, destroyCgroup } from './cgroup.ts';
import type { EpochSchedule } from './checkpointer.ts';
import { ControllerClient } from './controller-client.ts';
import type { FreezerTarget } from './freezer.ts';
import type { FreezerChoice } from './freezer-choice.ts';
import type { MemoryPlan } from './memory/choose.ts';
import { sweepStaleLinks } from './memory/shaped-link.ts';
import type { PriorityPlan } from './priority.ts';

/** Environment marker on every guest process and controller: lets tests and sweeps find leftovers. */
export const GUEST_ENV_MARKER = 'REMUS_BENCH_GUEST';

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone already
  }
}

/** A process of the guest: its own process group, so the terminal's Ctrl-C does not reach it. */
class EmulatedGuestProcess implements GuestProcess {
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  private readonly lines: string[] = [];
  private readonly lineWaiters = new Set<() => void>();
  stderrTail = '';

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (exitCode, signal) => {
        resolve({ exitCode, signal });
        for (const wake of this.lineWaiters) wake();
      });
      child.once('error', (error) => {
        this.stderrTail += error.message;
        resolve({ exitCode: null, signal: null });
      });
    });
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.lines.push(line);
        for (const wake of this.lineWaiters) wake();
      });
    }
    child.stderr?.on('data', (data: Buffer) => {
      this.stderrTail = (this.stderrTail + data.toString()).slice(-4000);
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get stdout(): string {
    return this.lines.join('\n');
  }

  async waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.exited.then(() => {
      exited = true;
    });
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (exited)
        throw new Error(
          `guest process ${this.pid} exited before printing ${pattern}: ${this.stderrTail.trim()}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`guest process ${this.pid} did not print ${pattern} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.lineWaiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.lineWaiters.add(wake);
      });
    }
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    killGroup(this.pid, 'SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), timeoutDelay(2000).then(() => false)]);
    if (!done) {
      killGroup(this.pid, 'SIGKILL');
      await this.exited;
    }
  }
}

export interface SessionOptions {
  label: string;
  freezer: FreezerChoice;
  priority: PriorityPlan;
  /** Memory replication mechanisms, or null to copy no memory. */
  memory: MemoryPlan | null;
  /** The bounds of the adaptive schedule. */
  adaptive: AdaptivePolicy;
}

/**
 * One guest for one trial: a cgroup (or a set of process groups) holding the guest's processes,
 * and a checkpoint controller process that freezes it and owns its output-commit proxy.
 */
export class EmulatedGuestSession implements GuestSession {
  readonly guest: Guest;
  private readonly processes = new Set<EmulatedGuestProcess>();
  private protection: Promise<Protection> | null = null;
  private stopped: Promise<void> | null = null;

  private constructor(
    private readonly options: SessionOptions,
    private readonly cgroupDir: string | null,
    private readonly controller: ControllerClient,
  ) {
    this.guest = {
      bindAddress: '127.0.0.1',
      exec: (argv, execOptions) => this.exec(argv, execOptions),
      spawn: (argv) => this.spawn(argv),
      endpoint: (port, transport) => this.endpoint(port, transport),
    };
  }

  static async start(options: SessionOptions): Promise<EmulatedGuestSession> {
    const { freezer } = options;
    let cgroupDir: string | null = null;
    let target: FreezerTarget;
    if (freezer.kind === 'sigstop') {
      target = { kind: 'sigstop', pgids: [] };
    } else {
      cgroupDir = join(freezer.root as string, `${CGROUP_PREFIX}${process.pid}-${options.label}`);
      mkdirSync(cgroupDir);
      target = { kind: freezer.kind, dir: cgroupDir };
    }
    let controller: ControllerClient;
    try {
      controller = await ControllerClient.start(
        options.priority.prefix,
        childEnv({ [GUEST_ENV_MARKER]: `${options.label}:controller` }),
      );
    } catch (error) {
      if (cgroupDir) await destroyCgroup(cgroupDir, freezer.kind as 'cgroup2' | 'cgroup1');
      throw error;
    }
    const session = new EmulatedGuestSession(options, cgroupDir, controller);
    try {
      await controller.request({ type: 'init', target });
    } catch (error) {
      await session.stop();
      throw error;
    }
    return session;
  }

  private spawn(argv: readonly string[]): EmulatedGuestProcess {
    if (this.stopped) throw new Error('the guest has been stopped');
    // Join the cgroup before exec, so that not one instruction of the program runs outside it.
    const full = this.cgroupDir
      ? ['sh', '-c', 'echo $$ > "$0" && exec "$@"', join(this.cgroupDir, 'cgroup.procs'), ...argv]
      : [...argv];
    const child = spawn(full[0] as string, full.slice(1), {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv({ [GUEST_ENV_MARKER]: this.options.label }),
    });
    const guestProcess = new EmulatedGuestProcess(child);
    this.processes.add(guestProcess);
    guestProcess.exited.then(() => this.processes.delete(guestProcess));
    if (!this.cgroupDir && child.pid) {
      this.controller.request({ type: 'addGroup', pgid: child.pid }).catch(() => {});
    }
    return guestProcess;
  }

  private async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { signal, timeoutMs } = options;
    if (signal?.aborted) throw new InterruptedError();
    const guestProcess = this.spawn(argv);
    const onAbort = () => guestProcess.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = timeoutMs ? setTimeout(() => guestProcess.kill(), timeoutMs) : null;
    try {
      const { exitCode } = await guestProcess.exited;
      if (signal?.aborted) throw new InterruptedError();
      if (exitCode === null && timeoutMs)
        throw new Error(`${argv.join(' ')} timed out after ${timeoutMs} ms in the guest`);
      return { exitCode: exitCode ?? -1, stdout: guestProcess.stdout, stderr: guestProcess.stderrTail };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
    }
  }

  private endpoint(port: number, transport: Transport = 'tcp'): Promise<Endpoint> {
    return this.controller.request({
      type: 'forward',
      upstream: { host: this.guest.bindAddress, port },
      listenHost: '127.0.0.1',
      transport,
    });
  }

  /** Protects the guest; after the protection's stop() the guest may be protected again. */
  protect(interval: CheckpointInterval): Promise<Protection> {
    const schedule: EpochSchedule =
      interval === ADAPTIVE
        ? { kind: 'adaptive', policy: this.options.adaptive }
        : { kind: 'fixed', intervalMs: interval };
    if (this.protection) throw new Error('the guest is already protected');
    const controller = this.controller;
    let report: Promise<ProtectionReport> | null = null;
    const protection: Promise<Protection> = controller
      .request({ type: 'protect', schedule, memory: this.options.memory })
      .then(() => ({
        stop: () => {
          report ??= controller.request({ type: 'unprotect' }).finally(() => {
            if (this.protection === protection) this.protection = null;
          });
          return report;
        },
      }));
    this.protection = protection;
    return protection;
  }

  /** Stops protection, the controller and every guest process; removes the cgroup. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.stopOnce();
    return this.stopped;
  }

  private async stopOnce(): Promise<void> {
    const problems: string[] = [];
    if (this.protection) {
      try {
        await (await this.protection).stop();
      } catch (error) {
        problems.push(`stopping protection: ${(error as Error).message}`);
      }
    }
    await this.controller.close();
    // A controller that went away before closing its shaped backup link (killed, or its channel
    // lost) leaves the link's namespace: remove it now that the controller is gone.
    await sweepStaleLinks().catch(() => []);
    const { freezer } = this.options;
    try {
      if (this.cgroupDir) {
        await destroyCgroup(this.cgroupDir, freezer.kind as 'cgroup2' | 'cgroup1');
      } else {
        for (const p of this.processes) {
          killGroup(p.pid, 'SIGKILL');
          killGroup(p.pid, 'SIGCONT');
        }
      }
      await Promise.race([Promise.all([...this.processes].map((p) => p.exited)), timeoutDelay(10_000)]);
    } catch (error) {
      problems.push(`stopping guest processes: ${(error as Error).message}`);
    }
    if (problems.length > 0) throw new Error(`guest ${this.options.label}: ${problems.join('; ')}`);
  }
}
