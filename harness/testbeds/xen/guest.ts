import { RemoteHost } from '../../remote/ssh.ts';
import type { Endpoint, ExecOptions, ExecResult, Guest, GuestSession, Protection } from '../types.ts';
import type { XenConfig } from './config.ts';
import { sshTarget } from './connect.ts';
import { RemoteProcess, runRemote } from './remote-process.ts';
import { RemusSession } from './remus-session.ts';

/**
 * One trial's guest on the Xen testbed: in-guest programs run over SSH to the guest; network
 * clients reach the guest's own address, so their traffic crosses the primary's network buffering
 * (the output commit of Xen's Remus) when it is on.
 */
export class XenGuestSession implements GuestSession {
  readonly guest: Guest;
  private readonly processes = new Set<RemoteProcess>();
  private protection: RemusSession | null = null;

  private constructor(
    private readonly config: XenConfig,
    private readonly guestHost: RemoteHost,
    private readonly primary: RemoteHost,
    private readonly backup: RemoteHost,
    private readonly label: string,
  ) {
    this.guest = {
      bindAddress: '0.0.0.0',
      exec: (argv, options) => this.exec(argv, options),
      spawn: (argv) => {
        const process = RemoteProcess.spawn(this.guestHost, argv);
        this.processes.add(process);
        return process;
      },
      endpoint: async (port: number): Promise<Endpoint> => ({
        host: this.config.guest.address,
        port,
        ...(this.config.guest.netns ? { netns: this.config.guest.netns } : {}),
      }),
    };
  }

  static async start(
    config: XenConfig,
    primary: RemoteHost,
    backup: RemoteHost,
    label: string,
  ): Promise<XenGuestSession> {
    // With network buffering the guest's replies wait for each checkpoint, the first one (the
    // initial copy) for up to readyTimeoutS: its SSH session must outlast that silence.
    const guestHost = await RemoteHost.connect({
      ...sshTarget('guest', config.guest.ssh, config.guest.netns, 'testbed.xen.guest.ssh'),
      ...(config.remus.unsafe.noNetbuf ? {} : { silenceToleranceMs: config.readyTimeoutS * 1000 }),
    });
    return new XenGuestSession(config, guestHost, primary, backup, label);
  }

  private exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    return runRemote(this.guestHost, argv, options);
  }

  /** Starts Remus; `signal` (Ctrl-C) ends the wait for the first checkpoint, with the usual cleanup. */
  async protect(intervalMs: number, signal?: AbortSignal): Promise<Protection> {
    if (this.protection) throw new Error('the guest is already protected');
    const session = await RemusSession.start(
      this.config,
      this.primary,
      this.backup,
      this.label,
      intervalMs,
      signal,
    );
    this.protection = session;
    return {
      stop: async () => {
        try {
          return await session.stop();
        } finally {
          this.protection = null;
        }
      },
    };
  }

  /** Stops Remus (through the backup), the in-guest programs, and the guest connection. */
  async stop(): Promise<void> {
    const problems: string[] = [];
    if (this.protection) {
      try {
        await this.protection.stop();
      } catch (error) {
        problems.push((error as Error).message);
      }
      this.protection = null;
    }
    await Promise.allSettled([...this.processes].map((p) => p.kill()));
    this.processes.clear();
    this.guestHost.close();
    if (problems.length) throw new Error(problems.join('; '));
  }
}
