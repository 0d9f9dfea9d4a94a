import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { InterruptedError, UserError } from '../errors.ts';
import { buildNetbufLibxl, NETBUF_INSTALL_SCRIPT, type NetbufBuild } from '../netbuf/build.ts';
import { RemoteHost, type SshTarget } from '../remote/ssh.ts';
import { buildCProgram } from '../setup/guest-programs.ts';
import { ensureTools, type RequiredTool } from '../setup/system-packages.ts';
import { parseXlList, type XlDomain } from '../testbeds/xen/xl-output.ts';
import { runScript } from '../util/run-script.ts';
import { PROJECT_ROOT } from '../version.ts';

/**
 * The Xen lab in a box: two Xen 4.17 hosts under QEMU's software emulation on this machine, built
 * from Debian packages with the machine's own apt sources, cached, each host's SSH on a loopback port
 * with a host key recorded by our own build. Its libxl is rebuilt from Debian's own xen source with
 * libnl (scripts/build-netbuf.sh), so Remus can hold the guest's output until each checkpoint
 * commits. Recipe and measured costs: README, "The Xen lab in a box".
 */
const SCRIPTS = fileURLToPath(new URL('./scripts/', import.meta.url));
export const HOSTS = { a: { name: 'xena', sshPort: 10021 }, b: { name: 'xenb', sshPort: 10022 } } as const;
export type LabHost = keyof typeof HOSTS;
/**
 * The protected guest (scripts/guest.sh): reachable only from the network namespace net.sh creates,
 * whose tap port shares a hub with both dom0 bridges.
 */
export const LAB_GUEST = { domain: 'bench', address: '10.99.1.10', netns: 'remuslab' } as const;
const DIRTIER_SOURCE = join(PROJECT_ROOT, 'workloads', 'memory', 'guest', 'dirtier.c');
const GUEST_BOOT_TIMEOUT_MS = 180_000;
const BOOT_TIMEOUT_MS = 300_000;
const POWEROFF_WAIT_MS = 60_000;
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

/** SSH into the lab's guest, from inside the lab's network namespace; its host key is from guest.sh. */
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

function alivePid(dir: string, host: LabHost): number | null {
  try {
    const pid = Number(readFileSync(join(dir, `${host}.pid`), 'utf8').trim());
    process.kill(pid, 0);
    // Only a QEMU we started: the pid file could be stale and the pid reused.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('qemu-system-x86_64') && cmdline.includes(`xen${host}`) ? pid : null;
  } catch {
    return null;
  }
}

/** The scripts that build the image, in order; net.sh and start-host.sh run at every `up`. */
const IMAGE_SCRIPTS = ['build-rootfs.sh', 'configure.sh', 'guest.sh', 'image.sh'];

/** The image scripts, the dirtier source and the netbuf install script decide whether a cached image is valid. */
function imageStamp(netbuf: NetbufBuild): string {
  const hash = createHash('sha256');
  for (const file of IMAGE_SCRIPTS) hash.update(readFileSync(join(SCRIPTS, file)));
  hash.update(readFileSync(DIRTIER_SOURCE));
  hash.update(readFileSync(NETBUF_INSTALL_SCRIPT));
  return `${hash.digest('hex').slice(0, 16)} ${basename(netbuf.tarball)}`;
}

/** A port another program (e.g. a lab started from another folder) already listens on. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

function script(
  name: string,
  args: string[],
  dir: string,
  log: (line: string) => void,
  env: Record<string, string> = {},
): Promise<number> {
  return runScript(join(SCRIPTS, name), args, { logDir: dir, log, env: { LAB_DIR: dir, ...env } });
}

/** net.sh status/down, whose outcome is reported rather than thrown (up goes through script()). */
async function guestSegment(
  action: 'status' | 'down',
  dir: string,
): Promise<{ exitCode: number; output: string }> {
  const result = await execa(join(SCRIPTS, 'net.sh'), [action], {
    env: { LAB_DIR: dir },
    all: true,
    reject: false,
  });
  return { exitCode: result.exitCode ?? 1, output: (result.all ?? '').trim() };
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

/** Builds the image if needed, boots both hosts, waits for SSH and Xen. Returns the timings. */
export async function labUp(log: (line: string) => void, signal?: AbortSignal): Promise<void> {
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
  const stampFile = join(dir, 'image.stamp');
  // Before any build: a lab of another folder holding the ports would make the boot fail late.
  for (const host of ['a', 'b'] as const) {
    if (!alivePid(dir, host) && (await portInUse(HOSTS[host].sshPort)))
      throw new UserError(
        `Port 127.0.0.1:${HOSTS[host].sshPort} (${HOSTS[host].name}'s SSH) is already in use, probably by a lab started from another folder; stop it with \`npm run lab -- down\` and that folder in REMUS_BENCH_LAB_DIR.`,
      );
  }
  const began = performance.now();
  const netbuf = await buildNetbufLibxl(join(dir, 'netbuf'), log);
  const stamp = imageStamp(netbuf);
  const cached =
    existsSync(join(dir, 'base.img')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp;
  if (!cached && (alivePid(dir, 'a') || alivePid(dir, 'b')))
    // The running hosts booted from the old image, and a new build writes new host keys over theirs.
    throw new UserError(
      `The lab's image recipe changed since the running hosts booted (harness/lab/scripts/ or the netbuf libxl): stop them with \`npm run lab -- down\`, then \`npm run lab -- up\` builds the new image.`,
    );
  if (!cached) {
    log(`Building the lab image in ${dir} (cold: about 1-2 minutes)`);
    await script('build-rootfs.sh', [], dir, log, { XEN_VERSION: netbuf.xenVersion });
    await script('configure.sh', [], dir, log);
    const dirtier = await buildCProgram(DIRTIER_SOURCE, { static: true });
    await script('guest.sh', [], dir, log, { DIRTIER: dirtier });
    await runScript(NETBUF_INSTALL_SCRIPT, ['install', netbuf.tarball], {
      logDir: dir,
      log,
      env: { ROOT: join(dir, 'rootfs') },
    });
    await script('image.sh', [], dir, log);
    writeFileSync(stampFile, stamp);
  } else log(`Using the cached lab image in ${dir}`);
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
    await script('net.sh', ['up'], dir, log);
    for (const host of ['a', 'b'] as const) {
      if (alivePid(dir, host)) {
        log(`  ${HOSTS[host].name} is already running (pid ${alivePid(dir, host)})`);
        continue;
      }
      await script('start-host.sh', [host], dir, log);
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
    await ensureGuest(dir, log, signal);
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

async function domains(host: RemoteHost): Promise<XlDomain[]> {
  const list = await host.exec(['xl', 'list'], { timeoutMs: 60_000 });
  if (list.exitCode !== 0) throw new UserError(`${host.target.role}: xl list failed: ${list.stderr.trim()}`);
  return parseXlList(list.stdout);
}

/**
 * Makes the lab's guest run on xena (the primary of every run) and answer SSH from the lab
 * namespace. Created when it runs nowhere. A copy on xenb (left by a failover or a split brain) is
 * destroyed first, and a copy on xena that is not running (suspended or paused by a Remus that
 * ended badly; Xen 4.17 has no `xl resume`) is destroyed and created again. Every action is logged.
 */
export async function ensureGuest(
  dir: string,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const name = LAB_GUEST.domain;
  const a = await RemoteHost.connect(labTarget('a', dir));
  const b = await RemoteHost.connect(labTarget('b', dir)).catch((error: unknown) => {
    a.close();
    throw error;
  });
  try {
    for (const copy of (await domains(b)).filter((d) => d.name === name || d.name === `${name}--incoming`)) {
      await b.exec(['xl', 'destroy', copy.name], { timeoutMs: 60_000 });
      log(`  destroyed ${copy.name} (${copy.state}) on xenb: the guest must start on xena`);
    }
    const onA = (await domains(a)).filter((d) => d.name === name);
    // State letters r b p s c d: only running or blocked counts (not paused, suspended, crashed, dying).
    const running = onA.find((d) => !/[pscd]/.test(d.state));
    for (const copy of onA) {
      if (copy === running) continue;
      await a.exec(['xl', 'destroy', copy.name], { timeoutMs: 60_000 });
      log(`  destroyed ${copy.name} (${copy.state}) on xena: not running, recreated below`);
    }
    if (!running) {
      const began = performance.now();
      const created = await a.exec(['xl', 'create', `/etc/xen/${name}.cfg`], { timeoutMs: 120_000 });
      if (created.exitCode !== 0)
        throw new UserError(`xena: xl create /etc/xen/${name}.cfg failed: ${created.stderr.trim()}`);
      log(`  created ${name} on xena in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }
  } finally {
    a.close();
    b.close();
  }
  const began = performance.now();
  const deadline = began + GUEST_BOOT_TIMEOUT_MS;
  let last = '';
  while (performance.now() < deadline) {
    if (signal?.aborted) return;
    try {
      const guest = await RemoteHost.connect({ ...labGuestTarget(dir), connectTimeoutMs: 15_000 });
      guest.close();
      log(
        `  ${name} answers SSH at ${LAB_GUEST.address} (netns ${LAB_GUEST.netns}) after ${((performance.now() - began) / 1000).toFixed(1)} s`,
      );
      return;
    } catch (error) {
      last = (error as Error).message;
      await sleep(1000);
    }
  }
  throw new UserError(
    `The lab guest ${name} did not answer SSH at ${LAB_GUEST.address} within ${GUEST_BOOT_TIMEOUT_MS / 1000} s (last: ${last}); see \`xl console ${name}\` on xena.`,
  );
}

export async function labStatus(log: (line: string) => void): Promise<boolean> {
  const dir = labDir();
  let allUp = true;
  for (const host of ['a', 'b'] as const) {
    const pid = alivePid(dir, host);
    if (!pid) {
      log(`${HOSTS[host].name}: not running`);
      allUp = false;
      continue;
    }
    try {
      const remote = await RemoteHost.connect(labTarget(host, dir));
      const list = await remote.exec(['xl', 'list'], { timeoutMs: 60_000 });
      remote.close();
      log(
        `${HOSTS[host].name}: QEMU pid ${pid}, ssh 127.0.0.1:${HOSTS[host].sshPort}\n${list.stdout.trimEnd()}`,
      );
    } catch (error) {
      log(`${HOSTS[host].name}: QEMU pid ${pid}, SSH not answering (${(error as Error).message})`);
      allUp = false;
    }
  }
  const net = await guestSegment('status', dir);
  log(`guest segment: ${net.output.replace(/\n/g, '; ')}`);
  if (net.exitCode !== 0) allUp = false;
  else {
    try {
      const guest = await RemoteHost.connect({ ...labGuestTarget(dir), connectTimeoutMs: 15_000 });
      guest.close();
      log(`guest ${LAB_GUEST.domain}: answers SSH at ${LAB_GUEST.address} (netns ${LAB_GUEST.netns})`);
    } catch (error) {
      log(`guest ${LAB_GUEST.domain}: not answering SSH (${(error as Error).message})`);
      allUp = false;
    }
  }
  return allUp;
}

/** Powers both hosts off cleanly; then ends only the QEMU processes the lab started, by pid. */
export async function labDown(log: (line: string) => void): Promise<void> {
  const dir = labDir();
  await Promise.all(
    (['a', 'b'] as const).map(async (host) => {
      const pid = alivePid(dir, host);
      if (!pid) {
        log(`${HOSTS[host].name}: not running`);
        return;
      }
      try {
        const remote = await RemoteHost.connect({ ...labTarget(host, dir), connectTimeoutMs: 20_000 });
        await remote
          .exec(['sh', '-c', 'xl list | awk "NR>2{print \\$1}" | xargs -r -n1 xl destroy; poweroff'], {
            timeoutMs: 30_000,
          })
          .catch(() => {});
        remote.close();
      } catch (error) {
        log(`${HOSTS[host].name}: no clean poweroff (${(error as Error).message})`);
      }
      const deadline = performance.now() + POWEROFF_WAIT_MS;
      while (alivePid(dir, host) && performance.now() < deadline) await sleep(1000);
      if (alivePid(dir, host)) {
        process.kill(pid, 'SIGKILL');
        log(
          `${HOSTS[host].name}: did not power off within ${POWEROFF_WAIT_MS / 1000} s; killed its QEMU (pid ${pid})`,
        );
      } else log(`${HOSTS[host].name}: powered off`);
    }),
  );
  // After the QEMUs: they are the switch's clients.
  log((await guestSegment('down', dir)).output);
}
