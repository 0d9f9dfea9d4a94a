import { fileURLToPath } from 'node:url';

/**
 * The lab's names, addresses, ports and files, in one place: the TypeScript side (SSH targets, the xen-lab
 * testbed) and the zx scripts that build and boot the lab (scripts/) read them from here. Changing
 * one changes the image stamp (image.ts hashes this file), so the next `lab up` rebuilds the image.
 *
 * Three networks per host, each a virtio NIC with a fixed MAC that the image's systemd-networkd
 * files match on (one image serves both hosts):
 * - the lab link (10.99.0.0/24, QEMU UDP socket pair): Remus's checkpoint stream and xena -> xenb SSH;
 * - the guest segment (10.99.1.0/24, a vde hub whose tap lives in LAB_NETNS): dom0 bridge xenbr0,
 *   the guest's vif, and the harness's clients; dom0 has no address there;
 * - management (QEMU user networking, restricted): each dom0's SSH forwarded to a loopback port.
 * Nothing of it reaches this machine's own network namespace but the two loopback SSH ports.
 */

export interface LabHostTopology {
  /** Host name (kernel command line systemd.hostname, /etc/hosts, the QEMU -name suffix). */
  readonly name: 'xena' | 'xenb';
  /** Loopback port forwarded to the dom0's sshd. */
  readonly sshPort: number;
  /** The host's address on the lab link. */
  readonly linkAddress: string;
  readonly linkMac: string;
  /** Local UDP port of the lab link's socket pair (the other host's is the peer). */
  readonly linkUdpPort: number;
  readonly guestSegmentMac: string;
  readonly managementMac: string;
}

export const HOSTS = {
  a: {
    name: 'xena',
    sshPort: 10021,
    linkAddress: '10.99.0.1',
    linkMac: '52:54:00:99:00:01',
    linkUdpPort: 5601,
    guestSegmentMac: '52:54:00:bb:00:01',
    managementMac: '52:54:00:aa:00:01',
  },
  b: {
    name: 'xenb',
    sshPort: 10022,
    linkAddress: '10.99.0.2',
    linkMac: '52:54:00:99:00:02',
    linkUdpPort: 5602,
    guestSegmentMac: '52:54:00:bb:00:02',
    managementMac: '52:54:00:aa:00:02',
  },
} as const satisfies Record<string, LabHostTopology>;

export type LabHost = keyof typeof HOSTS;
export const LAB_HOST_IDS = Object.keys(HOSTS) as LabHost[];

/** Prefix length of both lab networks. */
export const LAB_PREFIX = 24;

/** The network namespace holding the guest segment's tap and the harness's clients. */
export const LAB_NETNS = 'remuslab';

/** The guest segment as seen from LAB_NETNS: the tap port of the hub and the clients' address. */
export const GUEST_SEGMENT = { tap: 'rl0', clientAddress: '10.99.1.100' } as const;

/** The dom0 bridge on the guest segment (the guest's vif joins it). */
export const GUEST_BRIDGE = 'xenbr0';

/** Each QEMU's memory and dom0's share of it (two 2 GB QEMUs: the lab needs 8 GB of RAM). */
export const HOST_MEMORY = { qemuMB: 2048, dom0MB: 1024 } as const;

/**
 * The protected guest: PVH, no disk, everything in its initramfs. A fixed MAC so that the backup's
 * copy has the same one. 128 MB panics while unpacking its initramfs; 160 MB leaves about 50 MB free.
 */
export const LAB_GUEST = {
  domain: 'bench',
  address: '10.99.1.10',
  mac: '00:16:3e:99:01:0a',
  memoryMB: 160,
  netns: LAB_NETNS,
} as const;

/** In the lab folder: the files QEMU boots each host from, and the disk image both overlays are of. */
export const BOOT_FILES = {
  hypervisor: 'boot/xen-4.17-amd64',
  kernel: 'boot/vmlinuz',
  initrd: 'boot/initrd.img',
} as const;
export const BASE_IMAGE = 'base.img';

/** In the lab folder: the guest segment's vde_switch (its control socket, management socket, pid file). */
export const VDE_FILES = { control: 'vde.ctl', management: 'vde.mgmt', pid: 'vde.pid' } as const;

/** This file, which the image's cache key includes (the image scripts build from it). */
export const TOPOLOGY = fileURLToPath(import.meta.url);
