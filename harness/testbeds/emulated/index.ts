import { UserError } from '../../errors.ts';
import { LiveSessions } from '../live-sessions.ts';
import { defineTestbed, type Testbed, type TestbedFacts } from '../testbed.ts';
import type { GuestSession } from '../types.ts';
import { adaptiveScheduleText } from './adaptive-policy.ts';
import { findCgroupMounts, sweepStaleCgroups } from './cgroup.ts';
import { ADAPTIVE_DEFAULTS, EMULATED_DEFAULTS, type EmulatedConfig, emulatedSchema } from './config.ts';
import { chooseFreezer, type FreezerChoice } from './freezer-choice.ts';
import { EmulatedGuestSession, GUEST_ENV_MARKER } from './guest.ts';
import {
  COPY_DESCRIPTIONS,
  chooseMemoryMechanisms,
  type MemoryPlan,
  TRACKING_DESCRIPTIONS,
} from './memory/choose.ts';
import { probeShapedLink, sweepStaleLinks, tbfParameters } from './memory/shaped-link.ts';
import { choosePriority, type PriorityPlan } from './priority.ts';
import { commitAtEndOfPause } from './replicator.ts';

/**
 * The embedded default testbed: Remus's mechanism applied to a process tree on this host (periodic
 * freeze, checkpoint, output held until the checkpoint commits), with the best mechanism the host
 * offers for each job, recorded.
 */
export class EmulatedTestbed implements Testbed {
  readonly name = 'emulated';
  private chosen: { freezer: FreezerChoice; priority: PriorityPlan; memory: MemoryPlan | null } | null = null;
  private readonly live = new LiveSessions<EmulatedGuestSession>();

  constructor(private readonly config: EmulatedConfig) {}

  async probe(): Promise<TestbedFacts> {
    const mounts = findCgroupMounts();
    const swept = await sweepStaleCgroups(mounts);
    const freezer = chooseFreezer(this.config.freezer, mounts);
    const priority = await choosePriority(this.config.priority);
    const memory =
      this.config.tracking === 'none' ? null : await chooseMemoryMechanisms(this.config.tracking);
    const sweptLinks = await sweepStaleLinks();
    const rateMbit = this.config.backupLink?.rateMbit;
    if (memory && rateMbit !== undefined) {
      const problem = await probeShapedLink(rateMbit);
      if (problem)
        throw new UserError(
          `testbed.emulated.backupLink.rateMbit is ${rateMbit} but this host cannot shape a link to the backup: ${problem}. It needs root (CAP_NET_ADMIN), iproute2, veth and the tbf qdisc (sch_tbf); remove backupLink to ship over loopback.`,
        );
      memory.backupLink = { rateMbit };
    }
    this.chosen = { freezer, priority, memory };
    const replication: {
      mechanisms: Record<string, string>;
      details: Record<string, string>;
      caveats: string[];
    } = memory
      ? {
          mechanisms: {
            replication: 'memory',
            dirtyTracking: memory.tracking,
            copy: memory.copy,
            backup: 'process-tcp',
            backupLink: rateMbit === undefined ? 'loopback' : `tbf ${rateMbit} Mbit/s`,
          },
          details: {
            replication:
              'dirty guest pages copied during each pause, shipped after the thaw to a backup process that applies them to its replica and acks; output released on the ack',
            dirtyTracking: TRACKING_DESCRIPTIONS[memory.tracking],
            copy: COPY_DESCRIPTIONS[memory.copy],
            backup:
              rateMbit === undefined
                ? 'a separate Node process on this host, over loopback TCP; one replica per guest process'
                : 'a separate Node process on this host in its own network namespace, over TCP through a shaped veth; one replica per guest process',
            backupLink:
              rateMbit === undefined
                ? 'loopback, unshaped: checkpoints ship as fast as this host copies memory (faster than a real link between hosts)'
                : `veth into a network namespace of its own; tbf on the primary's end at ${rateMbit} Mbit/s (burst ${tbfParameters(rateMbit).burstBytes} bytes; the rate counts whole frames, headers included, as a wire does)`,
          },
          caveats: [
            "Only the guest processes' writable memory is replicated (no kernel state such as sockets or files); a process is copied in full at its first checkpoints.",
            'Pages a guest process discards (MADV_DONTNEED) keep their last content in the replica until written again.',
            'A guest process that begins and ends between two checkpoints is never copied (in a VM, Remus would copy the pages it dirtied): short-lived processes cost less here, the more so the longer the interval.',
          ],
        }
      : {
          mechanisms: { replication: 'none' },
          details: { replication: commitAtEndOfPause.mechanism },
          caveats: [
            'Checkpoints copy no memory (testbed.emulated.tracking = none): each commits at the end of its pause.',
          ],
        };
    return {
      name: this.name,
      mechanisms: {
        freezer: freezer.kind,
        controllerPriority: priority.kind,
        ...replication.mechanisms,
        outputCommit: 'tcp-proxy',
        epochSchedule: 'absolute',
        network: 'loopback',
      },
      details: {
        freezer: freezer.description,
        controllerPriority: priority.description,
        ...replication.details,
        outputCommit: 'TCP proxy: guest output held per epoch, released when the checkpoint commits',
        epochSchedule: 'checkpoints at t0 + k * interval (Remus paper); setTimeout, then event-loop turns',
        adaptiveSchedule: adaptiveScheduleText(this.config.adaptive ?? ADAPTIVE_DEFAULTS),
        network: 'loopback (127.0.0.1), every guest port reached through the output-commit proxy',
      },
      fallbacks: [...freezer.fallbacks, ...priority.fallbacks, ...(memory?.fallbacks ?? [])],
      semantics: {
        outputHeld: true,
        memoryReplicated: memory !== null,
        outputNotHeld:
          'TCP handshakes and ACKs (the proxy holds payload bytes; the host kernel terminates TCP)',
      },
      caveats: [
        'Only payload bytes are held by the proxy; TCP handshakes and ACKs are not (the host kernel terminates TCP).',
        ...replication.caveats,
        ...(swept.length ? [`Removed stale cgroups of an earlier crashed run: ${swept.join(', ')}`] : []),
        ...(sweptLinks.length
          ? [`Removed backup-link namespaces of an earlier crashed run: ${sweptLinks.join(', ')}`]
          : []),
      ],
    };
  }

  async startGuest(options: { label: string }): Promise<GuestSession> {
    if (!this.chosen) await this.probe();
    const chosen = this.chosen as {
      freezer: FreezerChoice;
      priority: PriorityPlan;
      memory: MemoryPlan | null;
    };
    const label = this.live.nextLabel(options.label.replace(/[^A-Za-z0-9_.-]/g, '_'));
    const session = await EmulatedGuestSession.start({
      label,
      ...chosen,
      adaptive: this.config.adaptive ?? ADAPTIVE_DEFAULTS,
    });
    return {
      guest: session.guest,
      protect: (interval) => session.protect(interval),
      stop: this.live.track(session),
    };
  }

  async dispose(): Promise<void> {
    await this.live.stopAll();
  }

  leftRunning(): string {
    if (this.live.size === 0) return 'no guest was running.';
    return (
      "the guest's processes, its checkpoint controller and its cgroup, possibly frozen; the " +
      "harness's next start on this host removes them (or kill the processes whose environment " +
      `has ${GUEST_ENV_MARKER}).`
    );
  }
}

export const emulatedTestbed = defineTestbed({
  kind: 'emulated',
  section: 'emulated',
  configSchema: emulatedSchema,
  defaults: EMULATED_DEFAULTS,
  create: (config) => new EmulatedTestbed(config),
});
