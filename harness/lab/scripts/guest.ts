/**
 * Xen lab, step 3: the protected guest: PVH, no disk, everything in its initramfs (busybox,
 * sysbench, socat, dropbear, the page dirtier, xen-netfront), one vif on dom0's bridge with a fixed
 * MAC so that the backup's copy has the same one. Its SSH host key goes into $LAB_DIR/known_hosts.
 * Design and measurements: README, "The Xen lab in a box".
 * Usage: LAB_DIR=<cache> DIRTIER=<static binary> node --import tsx guest.ts
 *   (after configure.ts, before image.ts)
 */
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { $ } from 'zx';
import { GUEST_BRIDGE, LAB_GUEST, LAB_PREFIX } from '../topology.ts';
import { newestKernel, ROOTFS, requiredEnv, runSteps } from './lab-script.ts';

/** The programs the guest runs, copied from the root filesystem with the libraries ldd names. */
const PROGRAMS = ['/usr/bin/sysbench', '/usr/sbin/dropbear', '/usr/bin/socat'];
const INITRD = 'root/bench-initrd.gz';

/** The guest's /init: network up, a web server, sshd, and a counter that lives in guest memory. */
function initScript(): string {
  return `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts; mount -t devpts devpts /dev/pts
hostname ${LAB_GUEST.domain}
insmod /lib/modules/xen-netfront.ko
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
ip link set lo up; ip link set eth0 up; ip addr add ${LAB_GUEST.address}/${LAB_PREFIX} dev eth0
# No TCP metrics carried from one trial's connection to the next (as on the client side).
echo 1 > /proc/sys/net/ipv4/tcp_no_metrics_save
httpd -p 80 -h /www
dropbear -s -r /etc/dropbear/dropbear_ed25519_host_key -p 22
echo "${LAB_GUEST.domain} up: $(cat /proc/uptime) ip ${LAB_GUEST.address}" > /dev/hvc0
# A counter in guest memory, served at /tick: after a failover it continues from the checkpoint.
n=0
while true; do n=$((n+1)); echo $n > /www/tick; sleep 1; done
`;
}

function domainConfig(kernel: string): string {
  return `name    = "${LAB_GUEST.domain}"
type    = "pvh"
kernel  = "/boot/vmlinuz-${kernel}"
ramdisk = "/${INITRD}"
extra   = "console=hvc0 quiet loglevel=3"
memory  = ${LAB_GUEST.memoryMB}
vcpus   = 1
vif     = [ "mac=${LAB_GUEST.mac},bridge=${GUEST_BRIDGE}" ]
on_crash = "preserve"
`;
}

/** Copies a program and the libraries it links (resolved inside the root filesystem) into the tree. */
async function copyProgram(tree: string, program: string): Promise<void> {
  copyFileSync(join(ROOTFS, program), join(tree, program));
  const ldd = (await $`chroot ${ROOTFS} ldd ${program}`).stdout;
  for (const library of ldd.match(/\/[^ \n]*/g) ?? []) {
    if (existsSync(join(tree, library))) continue;
    const real = (await $`chroot ${ROOTFS} readlink -f ${library}`).stdout.trim();
    copyFileSync(join(ROOTFS, real), join(tree, library));
  }
}

/** The guest's dropbear host key: made once per lab folder (in the root filesystem's dropbearkey). */
async function guestHostKey(): Promise<string> {
  const scratch = join(ROOTFS, 'tmp/guest_host_key');
  if (!existsSync('keys/guest_host_key')) {
    rmSync(scratch, { force: true });
    await $`chroot ${ROOTFS} dropbearkey -t ed25519 -f /tmp/guest_host_key`;
    copyFileSync(scratch, 'keys/guest_host_key');
    chmodSync('keys/guest_host_key', 0o600);
    rmSync(scratch);
  }
  copyFileSync('keys/guest_host_key', scratch);
  try {
    const publicKey = (await $`chroot ${ROOTFS} dropbearkey -y -f /tmp/guest_host_key`).stdout;
    const key = /^ssh-ed25519 \S+/m.exec(publicKey)?.[0];
    if (!key) throw new Error('dropbearkey -y printed no ssh-ed25519 key');
    return key;
  } finally {
    rmSync(scratch, { force: true });
  }
}

await runSteps('guest', async () => {
  const dirtier = requiredEnv('DIRTIER', 'a static build of workloads/memory/guest/dirtier.c');
  const kernel = newestKernel();
  const tree = mkdtempSync(join(tmpdir(), 'lab-guest-'));
  try {
    for (const dir of [
      'bin',
      'sbin',
      'dev',
      'proc',
      'sys',
      'tmp',
      'root',
      'www',
      'lib/modules',
      'etc/dropbear',
      'var/run',
      'var/log',
    ])
      mkdirSync(join(tree, dir), { recursive: true });
    for (const dir of ['bin', 'sbin', 'share', 'lib64', 'lib/x86_64-linux-gnu'])
      mkdirSync(join(tree, 'usr', dir), { recursive: true });
    // ldd names /lib/x86_64-linux-gnu/... and /lib64/...: merged-/usr links as in the rootfs.
    symlinkSync('../usr/lib/x86_64-linux-gnu', join(tree, 'lib/x86_64-linux-gnu'));
    symlinkSync('usr/lib64', join(tree, 'lib64'));
    copyFileSync(join(ROOTFS, 'bin/busybox'), join(tree, 'bin/busybox'));
    for (const program of PROGRAMS) await copyProgram(tree, program);
    cpSync(join(ROOTFS, 'usr/share/sysbench'), join(tree, 'usr/share/sysbench'), { recursive: true });
    copyFileSync(dirtier, join(tree, 'usr/bin/dirtier'));
    chmodSync(join(tree, 'usr/bin/dirtier'), 0o755);
    copyFileSync(
      join(ROOTFS, 'lib/modules', kernel, 'kernel/drivers/net/xen-netfront.ko'),
      join(tree, 'lib/modules/xen-netfront.ko'),
    );
    writeFileSync(join(tree, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    writeFileSync(join(tree, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(tree, 'etc/shells'), '/bin/sh\n');
    mkdirSync(join(tree, 'root/.ssh'), { mode: 0o700 });
    copyFileSync('keys/id_ed25519.pub', join(tree, 'root/.ssh/authorized_keys'));
    chmodSync(join(tree, 'root/.ssh/authorized_keys'), 0o600);
    const hostKey = await guestHostKey();
    copyFileSync('keys/guest_host_key', join(tree, 'etc/dropbear/dropbear_ed25519_host_key'));
    chmodSync(join(tree, 'etc/dropbear/dropbear_ed25519_host_key'), 0o600);
    appendFileSync('known_hosts', `${LAB_GUEST.address} ${hostKey}\n`);
    writeFileSync(join(tree, 'init'), initScript(), { mode: 0o755 });
    await $({
      cwd: tree,
    })`find . | cpio -H newc -o --quiet | gzip -6 > ${join(process.cwd(), ROOTFS, INITRD)}`;
    writeFileSync(join(ROOTFS, `etc/xen/${LAB_GUEST.domain}.cfg`), domainConfig(kernel));
    const unpacked = (await $`du -sh ${tree}`).stdout.split('\t')[0];
    const gzipped = (await $`du -h ${join(ROOTFS, INITRD)}`).stdout.split('\t')[0];
    console.log(
      `guest ${LAB_GUEST.domain}: ${LAB_GUEST.address}, initramfs ${unpacked} unpacked, ${gzipped} gzipped`,
    );
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
});
