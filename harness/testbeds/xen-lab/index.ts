import { labDir, labGuestTarget, labTarget } from '../../lab/hosts.ts';
import { HOSTS, LAB_GUEST } from '../../lab/topology.ts';
import { labUp } from '../../lab/up.ts';
import type { SshTarget } from '../../remote/ssh.ts';
import { defineTestbed, type Testbed, type TestbedFacts } from '../testbed.ts';
import type { GuestSession } from '../types.ts';
import type { XenConfig } from '../xen/config.ts';
import { XenTestbed, XL_FIXED_INTERVAL } from '../xen/index.ts';
import { XEN_LAB_DEFAULTS, type XenLabConfig, xenLabSchema } from './config.ts';
import { placeLabGuest } from './guest-placement.ts';

/** The lab's SSH targets as the xen testbed's config fields (key and known_hosts from the lab build). */
function targetConfig(target: SshTarget) {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    keyFile: target.keyFile as string,
    knownHosts: target.knownHosts,
  };
}

/**
 * The xen testbed's config for the lab in a box: xena is the primary, xenb the backup (reached by
 * xena as `xenb` over the lab link, host key checked by xena's own known_hosts), the diskless PVH
 * guest `bench` reached from the lab's network namespace. With network buffering (the default) the
 * lab's own libxl, built with libnl, holds the guest's output in dom0 until each checkpoint commits;
 * without it, `xl remus -F -n`.
 */
export function labXenConfig(lab: XenLabConfig, dir = labDir()): XenConfig {
  return {
    primary: targetConfig(labTarget('a', dir)),
    backup: targetConfig(labTarget('b', dir)),
    backupAddress: HOSTS.b.name,
    // Keep-alives: a dead backup link ends xl remus in seconds rather than at TCP's timeout.
    transport: 'ssh -o BatchMode=yes -o ServerAliveInterval=1 -o ServerAliveCountMax=3',
    guest: {
      domain: LAB_GUEST.domain,
      address: LAB_GUEST.address,
      ssh: targetConfig(labGuestTarget(dir)),
      netns: LAB_GUEST.netns,
    },
    remus: {
      unsafe: { noNetbuf: !lab.networkBuffering, noDiskReplication: false, blackhole: false },
      logDir: '/root/remus-bench',
    },
    // The initial copy of 160 MB under TCG took 24-48 s; a loaded 2-core machine can double it.
    readyTimeoutS: 300,
  };
}

/**
 * Two Xen hosts under QEMU on this machine (harness/lab/), driven by the same code as real hosts:
 * this testbed only brings the lab up (building it on first use) and puts the guest back on the
 * primary before each trial; everything else is the xen testbed's. The lab stays up afterwards
 * (`npm run lab -- down` stops it), so that the next run starts in seconds.
 */
export class XenLabTestbed implements Testbed {
  readonly name = 'xen-lab';
  private readonly dir = labDir();
  private readonly xen: XenTestbed;

  constructor(
    private readonly lab: XenLabConfig,
    private readonly log: (line: string) => void,
    private readonly signal?: AbortSignal,
  ) {
    this.xen = new XenTestbed(labXenConfig(lab, this.dir));
  }

  async probe(): Promise<TestbedFacts> {
    await labUp(this.log, this.signal, (dir) => placeLabGuest(dir, this.log, this.signal));
    const facts = await this.xen.probe();
    return {
      ...facts,
      name: this.name,
      mechanisms: { ...facts.mechanisms, hosts: 'QEMU TCG (software emulation), Xen lab in a box' },
      details: {
        ...facts.details,
        hosts: `two Xen hosts under qemu-system-x86_64 -accel tcg -cpu qemu64,+npt (2 GB, 1 CPU each, dom0 1 GB) on this machine; guest ${LAB_GUEST.domain} (PVH, initramfs only, no disk) at ${LAB_GUEST.address}, reached from network namespace ${LAB_GUEST.netns} through a vde hub shared by both dom0 bridges; lab folder ${this.dir}`,
      },
      caveats: [
        ...facts.caveats.filter((c) => !c.startsWith('In-guest programs run over SSH')),
        'Emulated hardware: the hosts run under QEMU software emulation (about 1/11 of native CPU speed in the guest), so absolute numbers are not those of real Xen hosts; the relative cost of Remus is the point.',
        this.lab.networkBuffering
          ? "Network buffering: the lab's libxl is Debian's own xen source rebuilt with libnl (Debian's is built without it); each reply waits in dom0 (IFB + plug qdisc) until the checkpoint that produced it is on the backup."
          : 'Network buffering off (--netbuf off, xl remus -F -n): replies leave the guest before the checkpoint that covers them is on the backup. RTTs here show the pauses of checkpointing, not the output-commit delay of safe Remus.',
        `In-guest programs (sysbench, socat echo, page dirtier) are part of the guest's initramfs and run over SSH from network namespace ${LAB_GUEST.netns}.`,
      ],
    };
  }

  async startGuest(options: { label: string; signal?: AbortSignal }): Promise<GuestSession> {
    // A failover or a split brain in an earlier trial leaves the guest on xenb or suspended.
    await placeLabGuest(this.dir, this.log, options.signal);
    return this.xen.startGuest(options);
  }

  dispose(): Promise<void> {
    return this.xen.dispose();
  }

  leftRunning(): string {
    return this.xen.leftRunning();
  }
}

export const xenLabTestbed = defineTestbed({
  kind: 'xen-lab',
  section: 'xenLab',
  fixedIntervalsOnly: XL_FIXED_INTERVAL,
  configSchema: xenLabSchema,
  defaults: XEN_LAB_DEFAULTS,
  onlyWithItsKind: 'on real dom0s set testbed.xen.remus.unsafe.noNetbuf',
  create: (config, context) => new XenLabTestbed(config, context.log, context.signal),
});
