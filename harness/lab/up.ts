import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InterruptedError, UserError } from '../errors.ts';
import { RemoteHost } from '../remote/ssh.ts';
import { ensureTools, type RequiredTool } from '../setup/system-packages.ts';
import { alivePid, labDir, labTarget } from './hosts.ts';
import { ensureImage } from './image.ts';
import { guestSegment, labScript } from './scripts.ts';
import { HOSTS, type LabHost } from './topology.ts';

const BOOT_TIMEOUT_MS = 300_000;
const MIN_MEMORY_MB = 8 * 1024;

const TOOLS: RequiredTool[] = [
  { command: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86', neededBy: 'the Xen lab' },
  { command: 'qemu-img', debianPackage: 'qemu-utils', neededBy: 'the Xen lab' },
  { command: 'mmdebstrap', debianPackage: 'mmdebstrap', neededBy: 'the Xen lab image' },
  { command: 'mkfs.ext4', debianPackage: 'e2fsprogs', neededBy: 'the Xen lab image' },
  { command: 'ssh-keygen', debianPackage: 'openssh-client', neededBy: 'the Xen lab keys' },
  { command: 'cpio', debianPackage: 'cpio', neededBy: 'the Xen lab image' },
  { command: 'vde_switch', debianPackage: 'vde2', neededBy: "the Xen lab's guest network" },
  { command: 'cc', debianPackage: 'build-essential', neededBy: "the Xen lab guest's page dirtier" },
  { command: 'dpkg-source', debianPackage: 'dpkg-dev', neededBy: "the Xen lab's libxl source" },
];

/** A port another program (e.g. a lab started from another folder) already listens on. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

async function waitForSsh(host: LabHost, dir: string): Promise<RemoteHost> {
  const deadline = performance.now() + BOOT_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    if (!alivePid(dir, host))
      throw new UserError(
        `The QEMU of ${HOSTS[host].name} exited during boot; see ${join(dir, `${host}.console.log`)}.`,
      );
    try {
      return await RemoteHost.connect({ ...labTarget(host, dir), connectTimeoutMs: 15_000 });
    } catch (error) {
      last = (error as Error).message;
      await sleep(2000);
    }
  }
  throw new UserError(
    `${HOSTS[host].name} did not answer SSH within ${BOOT_TIMEOUT_MS / 1000} s (last: ${last}); see ${join(dir, `${host}.console.log`)}.`,
  );
}

/** Builds the image if needed, boots both hosts, waits for SSH and Xen, and logs the timings. */
export async function labUp(
  log: (line: string) => void,
  signal?: AbortSignal,
  /** Runs once both hosts answer (the xen-lab testbed places its guest); a failure stops what this call started. */
  afterBoot?: (dir: string) => Promise<void>,
): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new UserError('The Xen lab needs root (mmdebstrap --mode=root, QEMU networking).');
  const totalMB = Math.round(
    Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0) / 1024,
  );
  if (totalMB < MIN_MEMORY_MB)
    throw new UserError(
      `The Xen lab needs at least 8 GB of RAM (two 2 GB QEMUs scrub all their memory); this machine has ${totalMB} MB.`,
    );
  await ensureTools(TOOLS, log);
  const dir = labDir();
  mkdirSync(dir, { recursive: true });
  // The images hold root's SSH keys of both hosts (and the host keys): only root may read them.
  chmodSync(dir, 0o700);
  // Before any build: a lab of another folder holding the ports would make the boot fail late.
  for (const host of ['a', 'b'] as const) {
    if (!alivePid(dir, host) && (await portInUse(HOSTS[host].sshPort)))
      throw new UserError(
        `Port 127.0.0.1:${HOSTS[host].sshPort} (${HOSTS[host].name}'s SSH) is already in use, probably by a lab started from another folder; stop it with \`npm run lab -- down\` and that folder in REMUS_BENCH_LAB_DIR.`,
      );
  }
  const began = performance.now();
  const { cached } = await ensureImage(dir, log);
  const started: number[] = [];
  const stopStarted = () => {
    for (const pid of started) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  };
  signal?.addEventListener('abort', stopStarted, { once: true });
  try {
    await labScript('net.ts', ['up'], dir, log);
    for (const host of ['a', 'b'] as const) {
      if (alivePid(dir, host)) {
        log(`  ${HOSTS[host].name} is already running (pid ${alivePid(dir, host)})`);
        continue;
      }
      await labScript('start-host.ts', [host], dir, log);
      const pid = alivePid(dir, host);
      if (pid) started.push(pid);
    }
    const [a, b] = await Promise.all([waitForSsh('a', dir), waitForSsh('b', dir)]);
    for (const [host, remote] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const version = await remote.exec(['xl', 'info', 'xen_version'], { timeoutMs: 60_000 });
      const caps = await remote.exec(['xl', 'info', 'virt_caps'], { timeoutMs: 60_000 });
      remote.close();
      if (version.exitCode !== 0)
        throw new UserError(`${HOSTS[host].name}: xl info failed: ${version.stderr.trim()}`);
      log(
        `  ${HOSTS[host].name}: Xen ${version.stdout.trim()}, virt_caps ${caps.stdout.trim()}, ssh root@127.0.0.1 -p ${HOSTS[host].sshPort}`,
      );
    }
    await afterBoot?.(dir);
  } catch (error) {
    stopStarted();
    // Nothing of the lab left running: the switch goes too (it is the QEMUs' only peer).
    if (!alivePid(dir, 'a') && !alivePid(dir, 'b')) await guestSegment('down', dir);
    throw signal?.aborted ? new InterruptedError() : error;
  } finally {
    signal?.removeEventListener('abort', stopStarted);
  }
  log(
    `Lab up in ${((performance.now() - began) / 1000).toFixed(1)} s (${cached ? 'warm' : 'cold'}). Keys: ${join(dir, 'keys')}, known_hosts: ${join(dir, 'known_hosts')}.`,
  );
}
