import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SshTarget } from '../remote/ssh.ts';
import { PROJECT_ROOT } from '../version.ts';
import { HOSTS, LAB_GUEST, type LabHost } from './topology.ts';

/**
 * The Xen lab in a box: two Xen 4.17 hosts under QEMU's software emulation on this machine, built
 * from Debian packages with the machine's own apt sources, cached, each host's SSH on a loopback port
 * with a host key recorded by our own build. Its libxl is rebuilt from Debian's own xen source with
 * libnl (harness/netbuf/scripts/build-netbuf.sh), so Remus can hold the guest's output until each checkpoint
 * commits. Recipe and measured costs: README, "The Xen lab in a box".
 *
 * This file: where the lab lives, and how to reach each host and the guest (their names and
 * addresses: topology.ts).
 */

/** The lab's folder (images, keys, logs): REMUS_BENCH_LAB_DIR, else .lab in the project. */
export function labDir(): string {
  return process.env.REMUS_BENCH_LAB_DIR ?? join(PROJECT_ROOT, '.lab');
}

/** SSH to one lab dom0, host key checked against the known_hosts our build wrote. */
export function labTarget(host: LabHost, dir = labDir()): SshTarget {
  return {
    role: `lab host ${HOSTS[host].name}`,
    host: '127.0.0.1',
    port: HOSTS[host].sshPort,
    user: 'root',
    keyFile: join(dir, 'keys', 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    connectTimeoutMs: 60_000,
  };
}

/** SSH into the lab's guest, from inside the lab's network namespace; its host key is from scripts/guest.ts. */
export function labGuestTarget(dir = labDir()): SshTarget {
  return {
    role: `lab guest ${LAB_GUEST.domain}`,
    host: LAB_GUEST.address,
    port: 22,
    user: 'root',
    keyFile: join(dir, 'keys', 'id_ed25519'),
    knownHosts: join(dir, 'known_hosts'),
    netns: LAB_GUEST.netns,
    connectTimeoutMs: 60_000,
  };
}

/** The pid of a lab host's QEMU, or null when it is not running (checked to be our QEMU). */
export function alivePid(dir: string, host: LabHost): number | null {
  try {
    const pid = Number(readFileSync(join(dir, `${host}.pid`), 'utf8').trim());
    process.kill(pid, 0);
    // Only a QEMU we started: the pid file could be stale and the pid reused.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('qemu-system-x86_64') && cmdline.includes(HOSTS[host].name) ? pid : null;
  } catch {
    return null;
  }
}
