import type { RemoteHost } from '../../remote/ssh.ts';
import { LiveSessions } from '../live-sessions.ts';
import { defineTestbed, type Testbed, type TestbedFacts } from '../testbed.ts';
import type { GuestSession } from '../types.ts';
import { type XenConfig, xenSchema } from './config.ts';
import { connect } from './connect.ts';
import { XenGuestSession } from './guest.ts';
import { type PreflightFacts, preflight } from './preflight.ts';

/**
 * Real Xen dom0 hosts over SSH: `xl remus` from the primary to the backup.
 * The probe connects to both dom0s (host keys verified) and runs the pre-flight checks.
 */
export class XenTestbed implements Testbed {
  readonly name = 'xen';
  private hosts: { primary: RemoteHost; backup: RemoteHost } | null = null;
  private readonly live = new LiveSessions<XenGuestSession>();

  constructor(private readonly config: XenConfig) {}

  async probe(): Promise<TestbedFacts> {
    const began = performance.now();
    const primary = await connect('primary dom0', this.config.primary, 'testbed.xen.primary');
    const backup = await connect('backup dom0', this.config.backup, 'testbed.xen.backup').catch(
      (error: unknown) => {
        primary.close();
        throw error;
      },
    );
    this.hosts = { primary, backup };
    const connected = performance.now();
    const facts: PreflightFacts = await preflight(this.config, primary, backup);
    const checked = performance.now();
    const flags = facts.remusFlags.join(' ') || 'none';
    return {
      name: this.name,
      mechanisms: {
        replication: 'xl remus',
        xen: facts.primaryXen,
        guest: `${facts.guestType}, ${facts.guestMemMiB} MiB`,
        remusFlags: flags,
        networkBuffering: facts.networkBuffering
          ? 'sch_plug via libnl (IFB + plug qdisc on the guest vif; output held until the checkpoint commits)'
          : 'off (-n, unsafe)',
        epochSchedule: 'xl remus -i: the interval after each checkpoint ends',
      },
      details: {
        replication: `xl remus on ${this.config.primary.host} to ${this.config.backupAddress} through \`${this.config.transport}\`, started detached; stopped from the backup side`,
        xen: `primary Xen ${facts.primaryXen}, backup Xen ${facts.backupXen}; guest ${this.config.guest.domain} (${facts.guestType}, ${facts.guestMemMiB} MiB), backup free ${facts.backupFreeMiB} MiB`,
        remusFlags: `unsafe flags: ${flags}`,
        networkBuffering: facts.networkBuffering
          ? "on: libxl (built with libnl) runs /etc/xen/scripts/remus-netbuf-setup per vif, which redirects the vif's ingress (the guest's output) to a free IFB device with a plug qdisc; libxl releases the plug when the backup acknowledges each checkpoint"
          : 'off: xl remus -F -n, the guest output leaves dom0 at once',
        epochSchedule:
          'checkpoint period = interval + checkpoint time; the effective rate counts the backup\'s "All records processed" lines',
        sshOverhead: `connect ${Math.round(connected - began)} ms, pre-flight ${Math.round(checked - connected)} ms`,
      },
      fallbacks: [],
      semantics: { outputHeld: facts.networkBuffering, memoryReplicated: true },
      caveats: [
        ...facts.warnings,
        ...(facts.networkBuffering
          ? []
          : [
              'Network buffering is off (xl remus -F -n): replies are not held until the checkpoint commits.',
            ]),
        'Pause times are not measured on this testbed (xl prints none); dirty pages per epoch come from xl\'s "Checkpointed save" lines.',
        'In-guest programs run over SSH to the guest: the guest needs node and this project at the same path as on the harness host.',
      ],
    };
  }

  async startGuest(options: { label: string; signal?: AbortSignal }): Promise<GuestSession> {
    if (!this.hosts) await this.probe();
    const { primary, backup } = this.hosts as { primary: RemoteHost; backup: RemoteHost };
    const session = await XenGuestSession.start(
      this.config,
      primary,
      backup,
      this.live.nextLabel(options.label),
    );
    return {
      guest: session.guest,
      protect: (interval) => {
        // The plan leaves adaptive cells off this testbed (fixedIntervalsOnly); never reached from a run.
        if (typeof interval !== 'number') throw new Error(XL_FIXED_INTERVAL);
        return session.protect(interval, options.signal);
      },
      stop: this.live.track(session),
    };
  }

  async dispose(): Promise<void> {
    await this.live.stopAll();
    this.hosts?.primary.close();
    this.hosts?.backup.close();
    this.hosts = null;
  }

  leftRunning(): string {
    if (this.live.size === 0) return 'no Remus session was open.';
    return (
      `\`xl remus\` may still be replicating ${this.config.guest.domain} from ${this.config.primary.host} ` +
      `to ${this.config.backupAddress}; the next run's pre-flight refuses to start while it runs. ` +
      'Stop it the way the harness does (docs/xen-cleanup.md, "Leaving at once"), then resume.'
    );
  }
}

/** Why the adaptive schedule does not run on Xen hosts. */
export const XL_FIXED_INTERVAL =
  'xl remus checkpoints at one fixed interval (-i) for its whole run; the adaptive schedule is a policy of the emulated testbed';

export const xenTestbed = defineTestbed({
  kind: 'xen',
  section: 'xen',
  fixedIntervalsOnly: XL_FIXED_INTERVAL,
  configSchema: xenSchema,
  whenMissing:
    'required when testbed.kind is "xen": the primary and backup dom0s, the guest and the Remus options (see README, "The Xen testbed")',
  placement: [
    'primary',
    'backup',
    'backupAddress',
    'transport',
    'guest.domain',
    'guest.address',
    'guest.ssh',
    'guest.netns',
    'remus.logDir',
    'readyTimeoutS',
  ],
  placementLabel: (config) =>
    `${config.primary.user}@${config.primary.host}:${config.primary.port} -> ${config.backup.user}@${config.backup.host}:${config.backup.port} (guest ${config.guest.domain})`,
  create: (config) => new XenTestbed(config),
});
